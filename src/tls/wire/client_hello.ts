/**
 * ClientHello (RFC 8446 §4.1.2), with the extensions a TLS 1.3 server acts on decoded into typed fields.
 * Unknown and GREASE extensions are kept in `extensions` and otherwise ignored (RFC 8446 §4.2, RFC 8701).
 */
import { failure } from "../failures.ts";
import { ExtensionType as X } from "./constants.ts";
import { decodeBody, type Extension, readExtensions, writeExtensions } from "./extensions/extension_list.ts";
import { decodeServerName } from "./extensions/server_name.ts";
import { decodeSupportedVersionsList } from "./extensions/supported_versions.ts";
import { decodeSupportedGroups } from "./extensions/supported_groups.ts";
import { decodeClientKeyShares, type KeyShareEntry } from "./extensions/key_share.ts";
import { decodeSignatureSchemes } from "./extensions/signature_algorithms.ts";
import { decodeProtocolNames } from "./extensions/alpn.ts";
import { decodeCookie } from "./extensions/cookie.ts";
import { decodePskModes } from "./extensions/psk_key_exchange_modes.ts";
import { decodeOfferedPsks, type OfferedPsks } from "./extensions/pre_shared_key.ts";
import { decodeRecordSizeLimit } from "./extensions/record_size_limit.ts";
import { decodeStatusRequest } from "./extensions/status_request.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  legacySessionId: Uint8Array;
  cipherSuites: number[];
  legacyCompressionMethods: Uint8Array;
  /** All extensions in wire order, known or not. */
  extensions: Extension[];
  serverName?: string;
  supportedVersions?: number[];
  supportedGroups?: number[];
  keyShares?: KeyShareEntry[];
  signatureAlgorithms?: number[];
  signatureAlgorithmsCert?: number[];
  alpn?: string[];
  cookie?: Uint8Array;
  pskModes?: number[];
  preSharedKey?: OfferedPsks;
  earlyData: boolean;
  recordSizeLimit?: number;
  postHandshakeAuth: boolean;
  /** The client asked for an OCSP staple (RFC 6066 §8 status_request). */
  statusRequest: boolean;
}

export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytesN(32);
  const legacySessionId = r.vec8();
  if (legacySessionId.length > 32) throw failure("field_out_of_range", "legacy_session_id longer than 32 bytes");
  const cipherSuites = r.u16List(2);
  const legacyCompressionMethods = r.vec8(1);
  // RFC 8446 §4.1.2: a ClientHello without extensions is a pre-TLS 1.3 hello; keep it parseable so the
  // server can answer protocol_version rather than decode_error.
  const extensions = r.remaining > 0 ? readExtensions(r) : [];
  r.expectEnd("ClientHello");
  const hello: ClientHello = {
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
    earlyData: false,
    postHandshakeAuth: false,
    statusRequest: false,
  };
  extensions.forEach((ext, i) => decodeKnownExtension(hello, ext, i === extensions.length - 1));
  return hello;
}

function decodeKnownExtension(h: ClientHello, ext: Extension, isLast: boolean): void {
  switch (ext.type) {
    case X.server_name:
      h.serverName = decodeBody(ext, decodeServerName);
      break;
    case X.supported_versions:
      h.supportedVersions = decodeBody(ext, decodeSupportedVersionsList);
      break;
    case X.supported_groups:
      h.supportedGroups = decodeBody(ext, decodeSupportedGroups);
      break;
    case X.key_share:
      h.keyShares = decodeBody(ext, decodeClientKeyShares);
      break;
    case X.signature_algorithms:
      h.signatureAlgorithms = decodeBody(ext, decodeSignatureSchemes);
      break;
    case X.signature_algorithms_cert:
      h.signatureAlgorithmsCert = decodeBody(ext, decodeSignatureSchemes);
      break;
    case X.application_layer_protocol_negotiation:
      h.alpn = decodeBody(ext, decodeProtocolNames);
      break;
    case X.cookie:
      h.cookie = decodeBody(ext, decodeCookie);
      break;
    case X.psk_key_exchange_modes:
      h.pskModes = decodeBody(ext, decodePskModes);
      break;
    case X.pre_shared_key:
      // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension in the ClientHello.
      if (!isLast) throw failure("pre_shared_key_not_last");
      h.preSharedKey = decodeBody(ext, decodeOfferedPsks);
      break;
    case X.early_data:
      if (ext.data.length !== 0) throw failure("extension_malformed", "early_data in a ClientHello is empty");
      h.earlyData = true;
      break;
    case X.record_size_limit:
      h.recordSizeLimit = decodeBody(ext, decodeRecordSizeLimit);
      break;
    case X.status_request:
      h.statusRequest = decodeBody(ext, decodeStatusRequest);
      break;
    case X.post_handshake_auth:
      if (ext.data.length !== 0) throw failure("extension_malformed", "post_handshake_auth is empty");
      h.postHandshakeAuth = true;
      break;
  }
}

/** Encodes a ClientHello body from its fields and `extensions` (the typed fields are not re-encoded). */
export function encodeClientHello(
  h: Omit<ClientHello, "earlyData" | "postHandshakeAuth" | "statusRequest">,
): Uint8Array {
  const w = new Writer(512)
    .u16(h.legacyVersion)
    .bytes(h.random)
    .opaque8(h.legacySessionId)
    .u16List(h.cipherSuites)
    .opaque8(h.legacyCompressionMethods);
  writeExtensions(w, h.extensions);
  return w.finish();
}

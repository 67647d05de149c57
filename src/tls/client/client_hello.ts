/**
 * Building our ClientHello (RFC 8446 §4.1.2). The first and the second (after a HelloRetryRequest) share
 * everything but the key shares, the cookie, early_data and the PSK's age and binder (§4.1.2: "the client MUST
 * send the same ClientHello without modification, except as follows"), so both come from this one function.
 *
 * A PSK offer goes last (§4.2.11) with a zeroed binder of the right length; psk_offer.ts writes the binder,
 * which covers everything before the binders list.
 */
import type { KeyShare } from "../../crypto/provider.ts";
import { ExtensionType as X, HandshakeType, ProtocolVersion } from "../wire/constants.ts";
import { encodeClientHello } from "../wire/client_hello.ts";
import type { Extension } from "../wire/extensions/extension_list.ts";
import { encodeProtocolNames } from "../wire/extensions/alpn.ts";
import { encodeCookie } from "../wire/extensions/cookie.ts";
import { encodeOfferedPsks } from "../wire/extensions/pre_shared_key.ts";
import { encodeClientKeyShares } from "../wire/extensions/key_share.ts";
import { encodePskModes } from "../wire/extensions/psk_key_exchange_modes.ts";
import { encodeRecordSizeLimit } from "../wire/extensions/record_size_limit.ts";
import { encodeServerName } from "../wire/extensions/server_name.ts";
import { encodeSignatureSchemes } from "../wire/extensions/signature_algorithms.ts";
import { encodeStatusRequest } from "../wire/extensions/status_request.ts";
import { encodeSupportedGroups } from "../wire/extensions/supported_groups.ts";
import { encodeSupportedVersionsList } from "../wire/extensions/supported_versions.ts";
import { encodeHandshake } from "../wire/handshake.ts";
import { type ClientConfig, groupCodes, sniName } from "./client_config.ts";
import type { PskIdentityParams } from "./psk_offer.ts";

export interface HelloParams {
  random: Uint8Array;
  legacySessionId: Uint8Array;
  shares: readonly KeyShare[];
  /** The cookie of a HelloRetryRequest, echoed in the second ClientHello (RFC 8446 §4.2.2). */
  cookie?: Uint8Array;
  /** A ticket to offer (RFC 8446 §4.2.11); its binder is left zero for the caller to write. */
  psk?: PskIdentityParams;
  /** Announce 0-RTT data (RFC 8446 §4.2.10); never in a second ClientHello. */
  earlyData?: boolean;
}

export interface BuiltHello {
  /** The handshake message, header included: what the transcript hashes. */
  raw: Uint8Array;
  /** The extension types we sent: a server may answer only these (RFC 8446 §4.2). */
  sent: ReadonlySet<number>;
}

export function buildClientHello(config: ClientConfig, p: HelloParams): BuiltHello {
  const extensions = orderExtensions(helloExtensions(config, p), config.extensionOrder);
  // RFC 8446 §4.2.11: pre_shared_key "MUST be the last extension in the ClientHello" (after any padding).
  const psk = p.psk ? pskExtension(p.psk) : null;
  if (psk) extensions.push(psk);
  const hello = {
    legacyVersion: ProtocolVersion.TLS1_2,
    random: p.random,
    legacySessionId: p.legacySessionId,
    cipherSuites: [...config.cipherSuites],
    // RFC 8446 §4.1.2: exactly one byte, set to zero (the "null" compression method).
    legacyCompressionMethods: Uint8Array.of(0),
    extensions,
  };
  let raw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
  const pad = config.padding ? paddingLength(raw.length) : null;
  if (pad !== null) {
    extensions.splice(psk ? extensions.length - 1 : extensions.length, 0, {
      type: X.padding,
      data: new Uint8Array(pad),
    });
    raw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
  }
  return { raw, sent: new Set(extensions.map((e) => e.type)) };
}

/** Our extensions in our default order; `extraExtensions` after them. */
function helloExtensions(config: ClientConfig, p: HelloParams): Extension[] {
  const out: Extension[] = [];
  const sni = sniName(config.serverName);
  if (sni !== null) out.push({ type: X.server_name, data: encodeServerName(sni) });
  out.push({ type: X.supported_groups, data: encodeSupportedGroups(config.advertisedGroups) });
  out.push({ type: X.signature_algorithms, data: encodeSignatureSchemes(config.signatureSchemes) });
  if (config.alpnProtocols.length > 0) {
    out.push({ type: X.application_layer_protocol_negotiation, data: encodeProtocolNames(config.alpnProtocols) });
  }
  if (config.statusRequest) out.push({ type: X.status_request, data: encodeStatusRequest() });
  if (config.recordSizeLimit !== null) {
    out.push({ type: X.record_size_limit, data: encodeRecordSizeLimit(config.recordSizeLimit) });
  }
  // RFC 8446 §4.2.1: TLS 1.3 only.
  out.push({ type: X.supported_versions, data: encodeSupportedVersionsList([ProtocolVersion.TLS1_3]) });
  if (config.pskModes.length > 0) out.push({ type: X.psk_key_exchange_modes, data: encodePskModes(config.pskModes) });
  if (p.cookie) out.push({ type: X.cookie, data: encodeCookie(p.cookie) });
  const shares = p.shares.map((s) => ({ group: groupCodes[s.group], keyExchange: s.publicKey }));
  out.push({ type: X.key_share, data: encodeClientKeyShares(shares) });
  // RFC 8446 §4.2.6: only a client that will answer a post-handshake CertificateRequest offers it.
  if (config.certificate) out.push({ type: X.post_handshake_auth, data: new Uint8Array(0) });
  if (p.earlyData) out.push({ type: X.early_data, data: new Uint8Array(0) });
  out.push(...config.extraExtensions);
  return out;
}

function pskExtension(psk: PskIdentityParams): Extension {
  const identities = [{ identity: psk.identity, obfuscatedTicketAge: psk.obfuscatedTicketAge }];
  return {
    type: X.pre_shared_key,
    data: encodeOfferedPsks({ identities, binders: [new Uint8Array(psk.binderLength)] }),
  };
}

function orderExtensions(extensions: Extension[], order: readonly number[] | null): Extension[] {
  if (!order) return extensions;
  const rank = (e: Extension, i: number) => {
    const at = order.indexOf(e.type);
    return at >= 0 ? at : order.length + i;
  };
  return extensions.map((e, i) => ({ e, r: rank(e, i) })).sort((a, b) => a.r - b.r).map((x) => x.e);
}

/**
 * RFC 7685 §4, as BoringSSL and NSS apply it: a ClientHello of 256 to 511 bytes (handshake header included) is
 * padded to exactly 512, since some middleboxes hang on those lengths. Returns the padding body length, or null.
 */
function paddingLength(unpadded: number): number | null {
  if (unpadded < 256 || unpadded >= 512) return null;
  const room = 512 - unpadded;
  return room >= 5 ? room - 4 : 1;
}

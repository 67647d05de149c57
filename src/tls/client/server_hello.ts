/**
 * The client's checks on a ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4, §4.2.1): what both share
 * (version, session id echo, suite, compression, which extensions) and, for a real ServerHello, the key share.
 * Each refusal is the alert the RFC names.
 */
import { failure } from "../failures.ts";
import { type SuiteParams, suiteParams } from "../cipher_suite.ts";
import { ExtensionType as X, groupName, ProtocolVersion, suiteName } from "../wire/constants.ts";
import { decodeBody } from "../wire/extensions/extension_list.ts";
import { decodeServerKeyShare, type KeyShareEntry } from "../wire/extensions/key_share.ts";
import { decodeSelectedVersion } from "../wire/extensions/supported_versions.ts";
import { DOWNGRADE_TLS11, DOWNGRADE_TLS12, type ServerHello } from "../wire/server_hello.ts";
import { checkServerExtensions, findExtension, type ServerMessage } from "./extension_rules.ts";

/** What we sent that a ServerHello or HelloRetryRequest is checked against. */
export interface Offer {
  legacySessionId: Uint8Array;
  cipherSuites: readonly number[];
  /** Extension types of the ClientHello this message answers. */
  sent: ReadonlySet<number>;
}

/** RFC 8446 §4.1.3, §4.1.4: the checks common to ServerHello and HelloRetryRequest; returns the suite. */
export function checkServerHelloFields(sh: ServerHello, offer: Offer, message: ServerMessage): SuiteParams {
  checkVersion(sh);
  // RFC 8446 §4.1.3: "A client which receives a legacy_session_id_echo field that does not match what it sent
  // in the ClientHello MUST abort the handshake with an "illegal_parameter" alert."
  if (!sameBytes(sh.legacySessionIdEcho, offer.legacySessionId)) {
    throw failure("server_hello_session_id", `${message} does not echo our legacy_session_id`);
  }
  // RFC 8446 §4.1.3: "A client which receives a cipher suite that was not offered MUST abort the handshake with
  // an "illegal_parameter" alert."
  const suite = offer.cipherSuites.includes(sh.cipherSuite) ? suiteParams(sh.cipherSuite) : undefined;
  if (!suite) {
    throw failure("server_hello_suite", `${message} picked ${suiteName(sh.cipherSuite)}`);
  }
  // RFC 8446 §4.1.3: legacy_compression_method "MUST have the value 0".
  if (sh.legacyCompressionMethod !== 0) throw failure("server_hello_compression", `${message} with compression`);
  checkServerExtensions(message, sh.extensions, offer.sent);
  return suite;
}

/**
 * RFC 8446 §4.2.1: the version is in supported_versions only. Without it the server negotiated TLS 1.2 or
 * below, which we do not speak (protocol_version) — unless its random carries the downgrade sentinel of
 * §4.1.3, which means someone stripped our TLS 1.3 offer (illegal_parameter).
 */
function checkVersion(sh: ServerHello): void {
  const ext = findExtension(sh.extensions, X.supported_versions);
  if (!ext) {
    const tail = sh.random.subarray(24);
    if (sameBytes(tail, DOWNGRADE_TLS12) || sameBytes(tail, DOWNGRADE_TLS11)) {
      throw failure("server_hello_downgrade", "TLS 1.3 was stripped from our offer");
    }
    const v = sh.legacyVersion.toString(16).padStart(4, "0");
    throw failure("server_version_unsupported", `the server chose version 0x${v}`);
  }
  // RFC 8446 §4.2.1: "If the "supported_versions" extension in the ServerHello contains a version not offered
  // by the client or contains a version prior to TLS 1.3, the client MUST abort the handshake with an
  // "illegal_parameter" alert."
  const selected = decodeBody(ext, decodeSelectedVersion);
  if (selected !== ProtocolVersion.TLS1_3) {
    throw failure("server_version_invalid", `supported_versions selects 0x${selected.toString(16)}`);
  }
  // RFC 8446 §4.1.3: legacy_version "MUST be set to 0x0303" (as Go checks it, illegal_parameter).
  if (sh.legacyVersion !== ProtocolVersion.TLS1_2) {
    throw failure("server_hello_legacy_version", `legacy_version 0x${sh.legacyVersion.toString(16)}`);
  }
}

/**
 * RFC 8446 §4.2.8: the server's share must be for a group we sent a share for ("This value MUST be in the same
 * group as the KeyShareEntry value offered by the client"); after a HelloRetryRequest, the group it asked for.
 */
export function serverKeyShare(sh: ServerHello, offeredGroups: readonly number[]): KeyShareEntry {
  const ext = findExtension(sh.extensions, X.key_share);
  // RFC 8446 §9.2: a certificate-based (EC)DHE handshake needs key_share in the ServerHello.
  if (!ext) throw failure("extension_missing", "ServerHello without key_share");
  const share = decodeBody(ext, decodeServerKeyShare);
  if (!offeredGroups.includes(share.group)) {
    throw failure("server_key_share_group", `a share for ${groupName(share.group)}, which we did not share`);
  }
  return share;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

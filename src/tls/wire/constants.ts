/**
 * Wire code points (RFC 8446 §4, Appendix B) as plain numbers with `as const` name tables, so that unknown
 * and GREASE values (RFC 8701) still parse and print.
 */
import { SignatureScheme } from "../../crypto/signature_scheme.ts";

/** RFC 8446 §5.1 ContentType */
export const ContentType = {
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

/** RFC 8446 §4 HandshakeType */
export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** RFC 8446 §4.2 ExtensionType, plus RFC 6066, 7301, 8449. */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;

/** RFC 8446 §B.4 cipher suites. */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
} as const;

/**
 * RFC 8446 §4.2.7 NamedGroup, RFC 7919 §2 (ffdhe*), draft-ietf-tls-ecdhe-mlkem §6 (the hybrids). The keys are the
 * IANA names, which are also the crypto layer's GroupNames, so `NamedGroup[group]` is a group's code point.
 */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
} as const;

/** RFC 8446 §4.2.3 SignatureScheme: the table lives in the crypto layer, which maps each scheme to its primitive. */
export { SignatureScheme };

/** RFC 8446 §4.2.9 PskKeyExchangeMode */
export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** RFC 8446 §4.6.3 KeyUpdateRequest */
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

/** RFC 8446 §4.1.2, §5.1: the version numbers. */
export const ProtocolVersion = { TLS1_0: 0x0301, TLS1_2: 0x0303, TLS1_3: 0x0304 } as const;

function reverse(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([k, v]) => [v, k]));
}

const suiteNames = reverse(CipherSuite);
const groupNames = reverse(NamedGroup);
const schemeNames = reverse(SignatureScheme);
const handshakeNames = reverse(HandshakeType);
const extensionNames = reverse(ExtensionType);

const hex4 = (v: number) => "0x" + v.toString(16).padStart(4, "0");

export const suiteName = (v: number) => suiteNames.get(v) ?? hex4(v);
export const groupName = (v: number) => groupNames.get(v) ?? hex4(v);
export const schemeName = (v: number) => schemeNames.get(v) ?? hex4(v);
export const handshakeName = (v: number) => handshakeNames.get(v) ?? `handshake(${v})`;
export const extensionName = (v: number) => extensionNames.get(v) ?? hex4(v);

/** RFC 8701: GREASE values look like 0x?A?A; they must be ignored wherever they appear. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

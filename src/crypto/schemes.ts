/**
 * What each SignatureScheme (RFC 8446 §4.2.3) asks of the key and of the primitive, shared by both providers
 * so that they accept and refuse exactly the same combinations. Besides the wire schemes, a few private code
 * points name ECDSA curve/hash pairs that only certificates use (see CertificateSignatureScheme).
 */
import { CryptoError } from "./errors.ts";
import { SignatureScheme } from "./signature_scheme.ts";
import type { PublicKeyInfo } from "./key_der.ts";
import type { KeyKind } from "./provider.ts";
import { type SchemeHash, schemeHashLength } from "./scheme_hash.ts";

export { type SchemeHash, schemeHashLength };

export interface SchemeInfo {
  readonly kind: KeyKind;
  /** The hash the scheme signs with; EdDSA hashes internally (RFC 8032), so none. */
  readonly hash: SchemeHash | null;
  /** RSA only: PSS with salt length = hash length (RFC 8446 §4.2.3), or PKCS#1 v1.5. */
  readonly rsaPadding: "pss" | "pkcs1" | null;
  /**
   * RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 "MUST NOT be used in signed TLS handshake messages"; it is here only to
   * verify signatures on certificates, as are the CertificateSignatureScheme code points.
   */
  readonly forHandshake: boolean;
}

/**
 * ECDSA curve/hash pairs that certificates use and TLS 1.3 has no scheme for. RFC 8446 §4.2.3 ties the curve to
 * the hash (ecdsa_secp384r1_sha384), but an X.509 ecdsa-with-SHA* algorithm names only the hash and any SHA-2 may
 * go with any curve (RFC 5758 §3.2): real roots have P-384 keys signing with SHA-256. The values are from the
 * Private Use range (RFC 8446 §11: 0xFE00-0xFFFF) and never go on the wire: signatureSchemesFor and
 * signingScheme leave them out, so we never sign a CertificateVerify with them, and the client accepts only a
 * CertificateVerify scheme it offered (isHandshakeScheme tells the two kinds apart).
 */
export const CertificateSignatureScheme = {
  ecdsa_secp256r1_sha384: 0xfe01,
  ecdsa_secp256r1_sha512: 0xfe02,
  ecdsa_secp384r1_sha256: 0xfe03,
  ecdsa_secp384r1_sha512: 0xfe04,
  ecdsa_secp521r1_sha256: 0xfe05,
  ecdsa_secp521r1_sha384: 0xfe06,
} as const;

const S = SignatureScheme;
const C = CertificateSignatureScheme;
const table = new Map<number, SchemeInfo>([
  [S.ecdsa_secp256r1_sha256, { kind: "ecdsa-p256", hash: "SHA-256", rsaPadding: null, forHandshake: true }],
  [S.ecdsa_secp384r1_sha384, { kind: "ecdsa-p384", hash: "SHA-384", rsaPadding: null, forHandshake: true }],
  [C.ecdsa_secp256r1_sha384, { kind: "ecdsa-p256", hash: "SHA-384", rsaPadding: null, forHandshake: false }],
  [C.ecdsa_secp256r1_sha512, { kind: "ecdsa-p256", hash: "SHA-512", rsaPadding: null, forHandshake: false }],
  [C.ecdsa_secp384r1_sha256, { kind: "ecdsa-p384", hash: "SHA-256", rsaPadding: null, forHandshake: false }],
  [C.ecdsa_secp384r1_sha512, { kind: "ecdsa-p384", hash: "SHA-512", rsaPadding: null, forHandshake: false }],
  [S.ecdsa_secp521r1_sha512, { kind: "ecdsa-p521", hash: "SHA-512", rsaPadding: null, forHandshake: true }],
  [C.ecdsa_secp521r1_sha256, { kind: "ecdsa-p521", hash: "SHA-256", rsaPadding: null, forHandshake: false }],
  [C.ecdsa_secp521r1_sha384, { kind: "ecdsa-p521", hash: "SHA-384", rsaPadding: null, forHandshake: false }],
  [S.ed25519, { kind: "ed25519", hash: null, rsaPadding: null, forHandshake: true }],
  [S.ed448, { kind: "ed448", hash: null, rsaPadding: null, forHandshake: true }],
  [S.rsa_pss_rsae_sha256, { kind: "rsa", hash: "SHA-256", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pss_rsae_sha384, { kind: "rsa", hash: "SHA-384", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pss_rsae_sha512, { kind: "rsa", hash: "SHA-512", rsaPadding: "pss", forHandshake: true }],
  // RFC 8446 §4.2.3: rsa_pss_pss_* for keys with the id-RSASSA-PSS OID (RFC 5756), in certificates and handshakes.
  [S.rsa_pss_pss_sha256, { kind: "rsa-pss", hash: "SHA-256", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pss_pss_sha384, { kind: "rsa-pss", hash: "SHA-384", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pss_pss_sha512, { kind: "rsa-pss", hash: "SHA-512", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pkcs1_sha256, { kind: "rsa", hash: "SHA-256", rsaPadding: "pkcs1", forHandshake: false }],
  [S.rsa_pkcs1_sha384, { kind: "rsa", hash: "SHA-384", rsaPadding: "pkcs1", forHandshake: false }],
  [S.rsa_pkcs1_sha512, { kind: "rsa", hash: "SHA-512", rsaPadding: "pkcs1", forHandshake: false }],
]);

const hex4 = (v: number) => "0x" + v.toString(16).padStart(4, "0");

/**
 * Whether an id-RSASSA-PSS key's parameters allow `info`'s hash (RFC 8446 §4.2.3 via RFC 4055 §3.1: "If the
 * corresponding public key's parameters are present, then the parameters in the signature MUST be identical").
 */
const pssAllows = (pssHash: PssRestriction, info: SchemeInfo) => pssHash === undefined || pssHash === info.hash;

type PssRestriction = PublicKeyInfo["pssHash"];

/**
 * The schemes a key of `kind` can sign CertificateVerify with, in our order of preference; for an id-RSASSA-PSS key
 * with parameters, only the scheme of its hash (`pssHash`).
 */
export function signatureSchemesFor(kind: KeyKind, pssHash?: PssRestriction): number[] {
  return [...table]
    .filter(([, info]) => info.kind === kind && info.forHandshake && pssAllows(pssHash, info))
    .map(([scheme]) => scheme);
}

/**
 * Whether a CertificateVerify may use `scheme` and we can check it: false for what only certificates use
 * (rsa_pkcs1_*, RFC 8446 §4.2.3; CertificateSignatureScheme) and for schemes we do not implement.
 */
export function isHandshakeScheme(scheme: number): boolean {
  return table.get(scheme)?.forHandshake ?? false;
}

/**
 * The scheme to verify a certificate's ECDSA signature with: the issuer's curve and the hash its signature
 * algorithm names (RFC 5758 §3.2), a wire scheme where TLS 1.3 has one, else a CertificateSignatureScheme.
 */
export function ecdsaCertificateScheme(kind: "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521", hash: SchemeHash): number {
  for (const [scheme, info] of table) {
    if (info.kind === kind && info.hash === hash) return scheme;
  }
  throw new TypeError(`no ECDSA scheme for ${kind} with ${hash}`); // unreachable: the table has every pair
}

/**
 * The scheme our own key signs with. The engine picks it from what the peer offered and what the key allows, so a
 * mismatch here is our bug, not the peer's: key_cannot_sign (the engine sends internal_error).
 */
export function signingScheme(kind: KeyKind, scheme: number, pssHash?: PssRestriction): SchemeInfo {
  const info = table.get(scheme);
  if (!info || info.kind !== kind || !info.forHandshake || !pssAllows(pssHash, info)) {
    throw new CryptoError("key_cannot_sign", `a ${kind} key cannot sign with signature scheme ${hex4(scheme)}`);
  }
  return info;
}

/**
 * The scheme a peer's signature claims, checked against its public key (`null`: an algorithm we do not implement).
 * RFC 8446 §4.4.3: the signature must use the scheme and the certificate's key must fit it (an id-RSASSA-PSS key with
 * parameters: their hash); if not, unsupported_scheme (the engine sends illegal_parameter).
 */
export function verifyingScheme(key: Pick<PublicKeyInfo, "kind" | "pssHash"> | null, scheme: number): SchemeInfo {
  const kind = key?.kind ?? null;
  const info = table.get(scheme);
  if (!info) throw new CryptoError("unsupported_scheme", `unsupported signature scheme ${hex4(scheme)}`);
  if (info.kind !== kind || !pssAllows(key?.pssHash, info)) {
    throw new CryptoError(
      "unsupported_scheme",
      `a ${kind ?? "unsupported"} key does not fit signature scheme ${hex4(scheme)}`,
    );
  }
  return info;
}

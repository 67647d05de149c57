/**
 * What each SignatureScheme (RFC 8446 §4.2.3) asks of the key and of the primitive, shared by both providers
 * so that they accept and refuse exactly the same combinations.
 */
import { TlsAlert } from "../tls/alert.ts";
import { SignatureScheme } from "../tls/wire/constants.ts";
import type { KeyKind } from "./provider.ts";

export type SchemeHash = "SHA-256" | "SHA-384" | "SHA-512";

export interface SchemeInfo {
  readonly kind: KeyKind;
  /** The hash the scheme signs with; Ed25519 hashes internally (RFC 8032), so none. */
  readonly hash: SchemeHash | null;
  /** RSA only: PSS with salt length = hash length (RFC 8446 §4.2.3), or PKCS#1 v1.5. */
  readonly rsaPadding: "pss" | "pkcs1" | null;
  /**
   * RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 "MUST NOT be used in signed TLS handshake messages"; it is here only to
   * verify signatures on certificates.
   */
  readonly forHandshake: boolean;
}

const S = SignatureScheme;
const table = new Map<number, SchemeInfo>([
  [S.ecdsa_secp256r1_sha256, { kind: "ecdsa-p256", hash: "SHA-256", rsaPadding: null, forHandshake: true }],
  [S.ecdsa_secp384r1_sha384, { kind: "ecdsa-p384", hash: "SHA-384", rsaPadding: null, forHandshake: true }],
  [S.ed25519, { kind: "ed25519", hash: null, rsaPadding: null, forHandshake: true }],
  [S.rsa_pss_rsae_sha256, { kind: "rsa", hash: "SHA-256", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pss_rsae_sha384, { kind: "rsa", hash: "SHA-384", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pss_rsae_sha512, { kind: "rsa", hash: "SHA-512", rsaPadding: "pss", forHandshake: true }],
  [S.rsa_pkcs1_sha256, { kind: "rsa", hash: "SHA-256", rsaPadding: "pkcs1", forHandshake: false }],
  [S.rsa_pkcs1_sha384, { kind: "rsa", hash: "SHA-384", rsaPadding: "pkcs1", forHandshake: false }],
  [S.rsa_pkcs1_sha512, { kind: "rsa", hash: "SHA-512", rsaPadding: "pkcs1", forHandshake: false }],
]);

const hex4 = (v: number) => "0x" + v.toString(16).padStart(4, "0");

/** Byte length of a scheme hash: the RSA-PSS salt length of RFC 8446 §4.2.3. */
export const schemeHashLength = (hash: SchemeHash) => (hash === "SHA-256" ? 32 : hash === "SHA-384" ? 48 : 64);

/** The schemes a key of `kind` can sign CertificateVerify with, in our order of preference. */
export function signatureSchemesFor(kind: KeyKind): number[] {
  return [...table].filter(([, info]) => info.kind === kind && info.forHandshake).map(([scheme]) => scheme);
}

/**
 * The scheme our own key signs with. The engine picks it from what the peer offered and what the key allows, so a
 * mismatch here is our bug, not the peer's: internal_error.
 */
export function signingScheme(kind: KeyKind, scheme: number): SchemeInfo {
  const info = table.get(scheme);
  if (!info || info.kind !== kind || !info.forHandshake) {
    throw new TlsAlert("internal_error", `a ${kind} key cannot sign with signature scheme ${hex4(scheme)}`);
  }
  return info;
}

/**
 * The scheme a peer's signature claims, checked against its public key (`null`: an algorithm we do not implement).
 * RFC 8446 §4.4.3: the signature must use the scheme and the certificate's key must fit it; if not, illegal_parameter.
 */
export function verifyingScheme(kind: KeyKind | null, scheme: number): SchemeInfo {
  const info = table.get(scheme);
  if (!info) throw new TlsAlert("illegal_parameter", `unsupported signature scheme ${hex4(scheme)}`);
  if (info.kind !== kind) {
    throw new TlsAlert(
      "illegal_parameter",
      `a ${kind ?? "unsupported"} key does not fit signature scheme ${hex4(scheme)}`,
    );
  }
  return info;
}

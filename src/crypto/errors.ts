/**
 * The errors the crypto layer throws. `src/crypto` knows nothing of TLS alerts (DESIGN.md: layers keep their
 * rules); the engine maps each code to the alert its RFC names (src/tls/failures.ts).
 */

export type CryptoErrorCode =
  /** A key share that is not a valid public value of its group (RFC 8446 §4.2.8.2, §7.4): illegal_parameter. */
  | "invalid_key_share"
  /** A (EC)DHE or KEM result the RFC forbids, e.g. an all-zero X25519 secret (RFC 8446 §7.4.2): illegal_parameter. */
  | "invalid_shared_secret"
  /** A public key in a certificate that does not decode or is not on its curve. */
  | "invalid_public_key"
  /** A signature scheme this provider does not implement, or one the key cannot be used with. */
  | "unsupported_scheme"
  /** DER that does not parse (a private key, a SubjectPublicKeyInfo). */
  | "malformed_der"
  /** Our own key cannot sign with the scheme asked for: a configuration error, never the peer's fault. */
  | "key_cannot_sign";

export class CryptoError extends Error {
  constructor(readonly code: CryptoErrorCode, message: string) {
    super(message);
    this.name = "CryptoError";
  }
}

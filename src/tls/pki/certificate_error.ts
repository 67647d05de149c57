/**
 * Why a peer's certificate chain was refused, and the one table that maps each reason to its alert
 * (RFC 8446 §6.2).
 *
 * Choices where the RFC leaves room:
 * - not_yet_valid → certificate_expired: §6.2 defines certificate_expired as "a certificate has expired or is
 *   not currently valid", which covers a notBefore in the future.
 * - bad_signature → bad_certificate: decrypt_error is for handshake signatures (CertificateVerify, Finished);
 *   a certificate whose own signature fails is "corrupt" in §6.2's words.
 * - unknown_issuer, self_signed, missing_intermediate → unknown_ca: in all three no trusted CA could be found.
 * - not_for_server_auth / not_for_client_auth / unsupported_algorithm / unknown_critical_extension →
 *   unsupported_certificate: the certificate is fine but not of a type (or purpose) we accept.
 */
import { type AlertName, TlsAlert } from "../alert.ts";

/** Each certificate failure by name, with the alert it is sent as (RFC 8446 §6.2). */
export const certificateErrorAlerts = {
  /** notAfter is in the past. */
  expired: "certificate_expired",
  /** notBefore is in the future. */
  not_yet_valid: "certificate_expired",
  /** No subjectAltName covers the host name the client asked for (RFC 9525). */
  hostname_mismatch: "bad_certificate",
  /** An issuer name is known, but no certificate of that name (with a matching key id) signed this one. */
  unknown_issuer: "unknown_ca",
  /** The leaf is self-signed and not itself a trust anchor. */
  self_signed: "unknown_ca",
  /** An issuer name that no supplied certificate or anchor has. */
  missing_intermediate: "unknown_ca",
  /** A signature in the chain does not verify. */
  bad_signature: "bad_certificate",
  /** extendedKeyUsage without serverAuth, or keyUsage without digitalSignature (RFC 5280 §4.2.1.3, §4.2.1.12). */
  not_for_server_auth: "unsupported_certificate",
  not_for_client_auth: "unsupported_certificate",
  /** An issuing certificate without basicConstraints cA, or whose keyUsage lacks keyCertSign (RFC 5280 §4.2.1.9). */
  not_a_ca: "bad_certificate",
  /** A pathLenConstraint is exceeded (RFC 5280 §4.2.1.9). */
  path_length: "bad_certificate",
  /** The chain is longer than the depth we are willing to build. */
  chain_too_long: "bad_certificate",
  /** A signature algorithm or key type we do not verify (SHA-1, DSA, brainpool curves, …). */
  unsupported_algorithm: "unsupported_certificate",
  /** A critical extension we do not process (RFC 5280 §4.2: must reject). */
  unknown_critical_extension: "unsupported_certificate",
  /** A certificate that does not parse. */
  malformed: "bad_certificate",
  /** No certificate at all. Callers normally handle this first: RFC 8446 §4.4.2.4 wants decode_error
   * from a client and certificate_required from a server. */
  empty_chain: "bad_certificate",
} as const satisfies Record<string, AlertName>;

/** Why a chain did not verify, one name per rule; each maps to the alert it sends. */
export type CertificateErrorCode = keyof typeof certificateErrorAlerts;

/** A certificate chain that did not verify: `code` names the rule, and it is sent as the mapped alert. */
export class CertificateError extends TlsAlert {
  /** Which rule failed. */
  readonly code: CertificateErrorCode;
  /** The plain reason, without the "sending <alert>:" prefix of the message. */
  readonly reason: string;
  /** Position in the supplied chain (0 is the leaf) or in the built path, when one certificate is to blame. */
  readonly depth?: number;

  /** The error for `code`, sent as its alert. */
  constructor(code: CertificateErrorCode, reason: string, depth?: number) {
    super(certificateErrorAlerts[code], reason);
    this.name = "CertificateError";
    this.code = code;
    this.reason = reason;
    this.depth = depth;
  }
}

/**
 * Failures while loading certificates and keys at start-up. Nothing goes on the wire, so these are not
 * TlsAlerts: they name the file (or "key"/"cert" for in-memory input) and say what is wrong with it.
 */

/** What is wrong with a certificate, key or trust store given to the server or client. */
export type LoadErrorCode =
  | "unreadable" // the file could not be read
  | "bad_pem" // PEM framing or base64 is broken
  | "no_certificate" // no CERTIFICATE block
  | "no_key" // no private key block
  | "bad_certificate" // a CERTIFICATE block that does not parse as X.509
  | "bad_key" // a key block that does not parse
  | "encrypted_key" // password-protected keys are refused: we have no password to ask for
  | "unsupported_key" // an algorithm or size TLS 1.3 signing does not cover here
  | "key_mismatch"; // the private key is not the one the leaf certificate certifies

/** A certificate, key or trust store that cannot be used, found at start-up, naming the file and the reason. */
export class LoadError extends Error {
  /** What is wrong. */
  readonly code: LoadErrorCode;
  /** The file path, or a description of in-memory input. */
  readonly source: string;
  /** The reason, without the source prefix of the message. */
  readonly reason: string;

  /** An error about `source` (a path, or "cert"/"key" for in-memory input). */
  constructor(code: LoadErrorCode, source: string, reason: string, options?: { cause?: unknown }) {
    super(`${source}: ${reason}`, options);
    this.name = "LoadError";
    this.code = code;
    this.source = source;
    this.reason = reason;
  }
}

/**
 * Misuse of the engine's API by the application: calling something the connection's state does not allow.
 * It is thrown to the caller and nothing goes on the wire: the connection carries on as it was, and no alert
 * is ever reported that was not sent (as h11 keeps LocalProtocolError apart from what the peer did).
 */

export type UsageErrorCode =
  /** send() before the keys to send with exist, or after close(). */
  | "cannot_send"
  /** KeyUpdate, tickets or the exporter before the handshake completed. */
  | "handshake_incomplete"
  /** sendTickets() on a server configured without tickets. */
  | "tickets_disabled"
  /** requestClientCertificate() when the client did not offer post_handshake_auth or no CA is configured. */
  | "post_handshake_auth_unavailable";

/** Thrown to the application that misused the API; nothing is sent and the connection is unchanged. */
export class TlsUsageError extends Error {
  /** `code` names the misuse; `message` says what was called when. */
  constructor(readonly code: UsageErrorCode, message: string) {
    super(message);
    this.name = "TlsUsageError";
  }
}

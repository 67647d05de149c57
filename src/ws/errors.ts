/**
 * Close codes (RFC 6455 §7.4) and the one error type of the WebSocket codec and session.
 *
 * Every failure has a name, and one table maps each name to the close code it ends the connection with
 * (as h11 carries the HTTP status in its errors). The error says whether we are sending that code
 * (`local`: the peer broke a rule, or a local condition such as the idle timeout) or whether nothing could
 * be sent (`abnormal`: the transport went away, or the peer stopped reading).
 */

/** RFC 6455 §7.4.1 and the IANA registry: plain numbers, so that unknown codes still parse and print. */
export const CloseCode = {
  normal: 1000,
  going_away: 1001,
  protocol_error: 1002,
  unsupported_data: 1003,
  /** Reserved: never sent; reported when a Close frame carried no code (§7.1.5). */
  no_status: 1005,
  /** Reserved: never sent; reported when the connection ended without a Close frame (§7.1.5). */
  abnormal: 1006,
  invalid_payload: 1007,
  policy_violation: 1008,
  message_too_big: 1009,
  mandatory_extension: 1010,
  internal_error: 1011,
  service_restart: 1012,
  try_again_later: 1013,
  bad_gateway: 1014,
  /** Reserved: never sent; a TLS handshake failure (§7.4.1). */
  tls_handshake: 1015,
} as const;

/** A failure's name and the close code it maps to. */
export const WebSocketErrorCode = {
  // §5.1: a server MUST close on an unmasked client frame; a client on a masked server frame.
  unmasked_frame: 1002,
  masked_frame: 1002,
  // §5.2: RSV1-3 MUST be 0 unless an extension defines them, and we negotiate none.
  reserved_bits: 1002,
  // §5.2: reserved opcodes (3-7, 0xB-0xF) fail the connection.
  unknown_opcode: 1002,
  // §5.2: "the minimal number of bytes MUST be used to encode the length"; the 64-bit form's top bit MUST be 0.
  bad_length: 1002,
  // §5.5: control frames carry at most 125 bytes and MUST NOT be fragmented.
  control_frame_too_long: 1002,
  fragmented_control_frame: 1002,
  // §5.4: a continuation with no message open, or a new message while one is open.
  unexpected_continuation: 1002,
  expected_continuation: 1002,
  // §5.5.1 and §7.4: a one-byte Close body, or a code that is reserved or unassigned.
  bad_close_payload: 1002,
  bad_close_code: 1002,
  // §8.1: text (and a Close reason) MUST be valid UTF-8.
  invalid_utf8: 1007,
  // §7.4.1: a message too big to process; the limit is `maxMessageSize`.
  message_too_big: 1009,
  // Local conditions of the session.
  idle_timeout: 1001,
  shutdown: 1001,
  close_timeout: 1006,
  backpressure_limit: 1006,
  connection_lost: 1006,
} as const;

/** The name of a WebSocket failure, e.g. "unmasked_frame". */
export type WebSocketErrorName = keyof typeof WebSocketErrorCode;

/** A WebSocket connection failed (RFC 6455 §7.1.7): `closeCode` is what it closed with, 1006 when nothing was sent. */
export class WebSocketError extends Error {
  /** The failure's name in `WebSocketErrorCode`. */
  readonly code: WebSocketErrorName;
  /** The close code sent for it (1006: none could be sent). */
  readonly closeCode: number;

  /** The error named `code`, with `detail` in the message. */
  constructor(code: WebSocketErrorName, detail?: string) {
    const closeCode = WebSocketErrorCode[code];
    super(detail ? `${closeCode} ${code}: ${detail}` : `${closeCode} ${code}`);
    this.name = "WebSocketError";
    this.code = code;
    this.closeCode = closeCode;
  }

  /** True when a Close frame with `closeCode` goes to the peer; false when the transport is simply dropped. */
  get sendsClose(): boolean {
    return this.closeCode !== CloseCode.abnormal;
  }
}

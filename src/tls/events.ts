/**
 * What a connection reports to its owner after `receive()`. The engine is sans-IO: these events and the
 * bytes from `takeOutput()` are everything it produces.
 */
import type { TlsAlert } from "./alert.ts";
import type { ConnectionInfo } from "./connection_info.ts";

/** What `receive()` reports, in the order it happened on the wire. */
export type TlsEvent =
  /** The handshake completed; `info` says what was negotiated. */
  | { type: "handshake_complete"; info: ConnectionInfo }
  /**
   * The server accepted 0-RTT: early data may follow before the handshake completes (RFC 8446 §4.2.10), and
   * the server may already answer it.
   */
  | { type: "early_data_accepted"; info: ConnectionInfo }
  /** Application data from the peer. The buffer belongs to the receiver. */
  | { type: "data"; data: Uint8Array }
  /** 0-RTT application data accepted by the server (RFC 8446 §4.2.10). */
  | { type: "early_data"; data: Uint8Array }
  /** The peer updated its sending keys (RFC 8446 §4.6.3); `requested` if it asked us to update ours too. */
  | { type: "key_update"; requested: boolean }
  /** The peer sent close_notify: it will send nothing more (RFC 8446 §6.1). */
  | { type: "peer_closed" }
  /** The connection failed: either we sent `alert` (source "local") or the peer did (source "remote"). */
  | { type: "failed"; alert: TlsAlert }
  /** A post-handshake message the side-specific code turned into an event (tickets, client certificates). */
  | { type: "session_ticket"; ticket: unknown }
  /**
   * The client authenticated with this verified chain: during the handshake (`context` null) or in answer to
   * the post-handshake CertificateRequest with that context (RFC 8446 §4.6.2).
   */
  | { type: "client_certificate"; chain: Uint8Array[]; context: Uint8Array | null }
  /** A post-handshake request got no usable certificate; the connection carries on (RFC 8446 §4.4.2.4). */
  | { type: "client_certificate_refused"; context: Uint8Array; code: string; reason: string };

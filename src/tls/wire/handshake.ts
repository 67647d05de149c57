/**
 * Handshake message framing (RFC 8446 §4): `HandshakeType msg_type; uint24 length; body`.
 *
 * Messages may be fragmented over several records and several may share one record (RFC 8446 §5.1); the
 * reassembler hides both. The raw bytes (header included) are kept for the transcript hash.
 */
import { failure } from "../failures.ts";
import { handshakeName } from "./constants.ts";

export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
  /** header + body, exactly as on the wire: what the transcript hashes. */
  raw: Uint8Array;
}

export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

export class HandshakeReassembler {
  private pending: Uint8Array = new Uint8Array(0);

  /** `maxMessageSize` bounds memory: a peer announcing a larger message gets an alert before we buffer it. */
  constructor(private maxMessageSize: number) {}

  setMaxMessageSize(n: number): void {
    this.maxMessageSize = n;
  }

  /** True when a partial message is buffered; RFC 8446 §5.1 forbids a key change in the middle of one. */
  get hasPartial(): boolean {
    return this.pending.length > 0;
  }

  /** Adds the content of one handshake record and returns every message it completes. */
  push(fragment: Uint8Array): HandshakeMessage[] {
    // RFC 8446 §5.1: zero-length fragments of Handshake type are not allowed.
    if (fragment.length === 0) throw failure("empty_handshake_record");
    let buf = this.pending.length ? concat2(this.pending, fragment) : fragment;
    const out: HandshakeMessage[] = [];
    while (buf.length >= 4) {
      const length = (buf[1] << 16) | (buf[2] << 8) | buf[3];
      if (length > this.maxMessageSize) {
        throw failure(
          "message_over_limit",
          `${handshakeName(buf[0])} of ${length} bytes exceeds the limit of ${this.maxMessageSize}`,
        );
      }
      if (buf.length < 4 + length) break;
      const raw = buf.slice(0, 4 + length);
      out.push({ type: raw[0], body: raw.subarray(4), raw });
      buf = buf.subarray(4 + length);
    }
    this.pending = buf.length ? buf.slice() : new Uint8Array(0);
    return out;
  }
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

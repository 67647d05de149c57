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

const EMPTY = new Uint8Array(0);

/**
 * Handshake messages out of handshake records (RFC 8446 §5.1: a message may span records, several may share
 * one). `push` hands over one record's content, `next` yields the messages it completes. A message that lies
 * whole inside one record is returned as a view into it; one that spans records is copied once into a buffer
 * of its announced size, so reassembly is linear in the bytes received and its memory bounded by the limit.
 */
export class HandshakeReassembler {
  private chunk: Uint8Array = EMPTY;
  private at = 0;
  /** The first bytes of a header that a record ended inside. */
  private readonly head = new Uint8Array(4);
  private headLength = 0;
  /** A message whose body is still arriving, header included, and how much of it is filled. */
  private partial: Uint8Array | null = null;
  private filled = 0;

  /** `maxMessageSize` bounds memory: a peer announcing a larger message gets an alert before we buffer it. */
  constructor(private readonly maxMessageSize: number) {}

  /** Takes the content of one handshake record; call `next()` until it returns null before pushing again. */
  push(fragment: Uint8Array): void {
    // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types".
    if (fragment.length === 0) throw failure("empty_handshake_record");
    this.chunk = fragment;
    this.at = 0;
  }

  /** True while bytes of an incomplete message are held: RFC 8446 §5.1 lets nothing else arrive until it is whole. */
  get hasPartial(): boolean {
    return this.partial !== null || this.headLength > 0;
  }

  /** True when bytes remain after the last message returned: unread in this record, or a message begun. */
  get hasMore(): boolean {
    return this.at < this.chunk.length || this.hasPartial;
  }

  /** The next complete message, or null when the records so far hold no more. */
  next(): HandshakeMessage | null {
    if (this.partial) return this.fill();
    const c = this.chunk, o = this.at, left = c.length - o;
    if (left === 0) return null;
    if (this.headLength === 0 && left >= 4) {
      const length = this.announced(c[o], (c[o + 1] << 16) | (c[o + 2] << 8) | c[o + 3]);
      if (left >= 4 + length) {
        this.at = o + 4 + length;
        return message(c.subarray(o, o + 4 + length));
      }
      this.partial = new Uint8Array(4 + length);
      this.filled = 0;
      return this.fill();
    }
    // A header split across records: gather its four bytes first.
    const take = Math.min(4 - this.headLength, left);
    this.head.set(c.subarray(o, o + take), this.headLength);
    this.headLength += take;
    this.at = o + take;
    if (this.headLength < 4) return null;
    const h = this.head;
    this.partial = new Uint8Array(4 + this.announced(h[0], (h[1] << 16) | (h[2] << 8) | h[3]));
    this.partial.set(h);
    this.filled = 4;
    this.headLength = 0;
    return this.fill();
  }

  /** Checks the length a header announces before anything is buffered for it. */
  private announced(type: number, length: number): number {
    if (length > this.maxMessageSize) {
      throw failure(
        "message_over_limit",
        `${handshakeName(type)} of ${length} bytes exceeds the limit of ${this.maxMessageSize}`,
      );
    }
    return length;
  }

  private fill(): HandshakeMessage | null {
    const p = this.partial!, c = this.chunk;
    const take = Math.min(p.length - this.filled, c.length - this.at);
    p.set(c.subarray(this.at, this.at + take), this.filled);
    this.filled += take;
    this.at += take;
    if (this.filled < p.length) return null;
    this.partial = null;
    return message(p);
  }
}

function message(raw: Uint8Array): HandshakeMessage {
  return { type: raw[0], body: raw.subarray(4), raw };
}

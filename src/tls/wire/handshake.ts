/**
 * Handshake message framing (RFC 8446 §4): `HandshakeType msg_type; uint24 length; body`.
 *
 * Messages may be fragmented over several records and several may share one record (RFC 8446 §5.1); the
 * reassembler hides both. The raw bytes (header included) are kept for the transcript hash.
 */
import { concat } from "../../bytes.ts";
import { failure } from "../failures.ts";
import { handshakeName, HandshakeType } from "./constants.ts";

/** One reassembled handshake message (RFC 8446 §4). */
export interface HandshakeMessage {
  /** The HandshakeType code point. */
  type: number;
  /** The message without its 4-byte header. */
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
 * The longest body each message's structure allows (RFC 8446 §4, Appendix B: the sum of its fields at their
 * largest), so that a header announcing more is decode_error at once, before anything is buffered. A
 * ClientHello: legacy_version 2, random 32, legacy_session_id 1+32, cipher_suites 2+65534,
 * legacy_compression_methods 1+255, extensions 2+65535.
 */
export const MAX_CLIENT_HELLO = 131_396;

const maxBody = new Map<number, number>([
  [HandshakeType.client_hello, MAX_CLIENT_HELLO],
  // legacy_version, random, legacy_session_id_echo<0..32>, cipher_suite, compression, extensions<6..2^16-1>
  [HandshakeType.server_hello, 2 + 32 + 33 + 2 + 1 + 65_537],
  // lifetime, age_add, ticket_nonce<0..255>, ticket<1..2^16-1>, extensions<0..2^16-2>
  [HandshakeType.new_session_ticket, 4 + 4 + 256 + 65_537 + 65_536],
  [HandshakeType.end_of_early_data, 0],
  [HandshakeType.encrypted_extensions, 65_537],
  // certificate_request_context<0..2^8-1>, certificate_list<0..2^24-1>: only the uint24 length bounds it.
  [HandshakeType.certificate, 0xffffff],
  [HandshakeType.certificate_request, 256 + 65_537],
  [HandshakeType.certificate_verify, 2 + 65_537],
  // verify_data is Hash.length bytes; no TLS 1.3 hash is longer than 64.
  [HandshakeType.finished, 64],
  [HandshakeType.key_update, 1],
]);

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
  /**
   * A message still arriving: its size (header included) and copies of the pieces so far, joined once it is
   * whole. Memory grows with what arrives, never with what a header merely announces.
   */
  private partial: { size: number; parts: Uint8Array[]; filled: number } | null = null;

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
    // A consumed record is let go: an established connection keeps none of its handshake's bytes.
    if (left === 0) {
      this.chunk = EMPTY;
      this.at = 0;
      return null;
    }
    if (this.headLength === 0 && left >= 4) {
      const length = this.announced(c[o], (c[o + 1] << 16) | (c[o + 2] << 8) | c[o + 3]);
      if (left >= 4 + length) {
        this.at = o + 4 + length;
        return message(c.subarray(o, o + 4 + length));
      }
      this.partial = { size: 4 + length, parts: [], filled: 0 };
      return this.fill();
    }
    // A header split across records: gather its four bytes first.
    const take = Math.min(4 - this.headLength, left);
    this.head.set(c.subarray(o, o + take), this.headLength);
    this.headLength += take;
    this.at = o + take;
    if (this.headLength < 4) return null;
    const h = this.head;
    const length = this.announced(h[0], (h[1] << 16) | (h[2] << 8) | h[3]);
    this.partial = { size: 4 + length, parts: [h.slice()], filled: 4 };
    this.headLength = 0;
    return this.fill();
  }

  /** Checks the type and length a header announces before anything is buffered for it. */
  private announced(type: number, length: number): number {
    const max = maxBody.get(type);
    // RFC 8446 §4: a message type TLS 1.3 does not define can fit no state.
    if (max === undefined) throw failure("message_unexpected", `handshake message of unknown type ${type}`);
    if (length > max) throw failure("message_too_long", `${handshakeName(type)} of ${length} bytes; at most ${max}`);
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
    const take = Math.min(p.size - p.filled, c.length - this.at);
    if (take > 0) p.parts.push(c.slice(this.at, this.at + take));
    p.filled += take;
    this.at += take;
    if (p.filled < p.size) return null;
    this.partial = null;
    return message(concat(p.parts));
  }
}

function message(raw: Uint8Array): HandshakeMessage {
  return { type: raw[0], body: raw.subarray(4), raw };
}

/**
 * Record framing (RFC 8446 §5.1): splits the incoming byte stream into TLSPlaintext / TLSCiphertext records,
 * checking lengths before anything is decrypted, so that an oversized record is `record_overflow` and never
 * reaches the AEAD.
 */
import { failure } from "../failures.ts";
import { ContentType } from "../wire/constants.ts";

export const RECORD_HEADER_LENGTH = 5;
/** RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14 bytes. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 8446 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256 bytes. */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;

export interface RawRecord {
  type: number;
  /** The 5-byte header, which is the AEAD's additional data (RFC 8446 §5.2). */
  header: Uint8Array;
  fragment: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Yields complete records out of the incoming chunks. Records that lie whole inside a chunk are views into it
 * (the framer owns the chunks pushed; the caller must not reuse them); only a record that straddles two chunks
 * is copied, into a buffer of its own size once its header is known, so each byte of the stream is copied at
 * most once and memory is bounded by one record.
 */
export class RecordFramer {
  private chunk: Uint8Array = EMPTY;
  private at = 0;
  /** The first bytes of a header that a chunk ended inside. */
  private readonly head = new Uint8Array(RECORD_HEADER_LENGTH);
  private headLength = 0;
  /** A record that a chunk ended inside, header included, and how much of it has arrived. */
  private carry: Uint8Array | null = null;
  private carried = 0;

  /** Takes the next chunk; call `next()` until it returns null before pushing again. */
  push(data: Uint8Array): void {
    this.chunk = data;
    this.at = 0;
  }

  /** Forgets every buffered byte. */
  clear(): void {
    this.chunk = EMPTY;
    this.at = this.headLength = this.carried = 0;
    this.carry = null;
  }

  /**
   * The next complete record, or null when more bytes are needed. `maxLength` is the largest fragment the
   * current read state allows (plaintext or ciphertext), checked from the header alone.
   */
  next(maxLength: number): RawRecord | null {
    if (this.carry) return this.fillCarry();
    const c = this.chunk, o = this.at, left = c.length - o;
    if (this.headLength > 0 || (left > 0 && left < RECORD_HEADER_LENGTH)) return this.fillHead(maxLength);
    // A consumed chunk is let go: an idle connection keeps none of the bytes it has read.
    if (left === 0) {
      this.chunk = EMPTY;
      this.at = 0;
      return null;
    }
    const length = checkHeader(c, o, maxLength);
    if (left < RECORD_HEADER_LENGTH + length) {
      this.carry = new Uint8Array(RECORD_HEADER_LENGTH + length);
      this.carried = 0;
      return this.fillCarry();
    }
    this.at = o + RECORD_HEADER_LENGTH + length;
    return split(c.subarray(o, this.at));
  }

  /** A header split across chunks: its five bytes first, then the record it announces. */
  private fillHead(maxLength: number): RawRecord | null {
    const c = this.chunk;
    const take = Math.min(RECORD_HEADER_LENGTH - this.headLength, c.length - this.at);
    this.head.set(c.subarray(this.at, this.at + take), this.headLength);
    this.headLength += take;
    this.at += take;
    if (this.headLength < RECORD_HEADER_LENGTH) return null;
    this.headLength = 0;
    this.carry = new Uint8Array(RECORD_HEADER_LENGTH + checkHeader(this.head, 0, maxLength));
    this.carry.set(this.head);
    this.carried = RECORD_HEADER_LENGTH;
    return this.fillCarry();
  }

  private fillCarry(): RawRecord | null {
    const r = this.carry!, c = this.chunk;
    const take = Math.min(r.length - this.carried, c.length - this.at);
    r.set(c.subarray(this.at, this.at + take), this.carried);
    this.carried += take;
    this.at += take;
    if (this.carried < r.length) return null;
    this.carry = null;
    return split(r);
  }
}

/** Checks a record header at `b[o]` (RFC 8446 §5.1) and returns the fragment length it announces. */
function checkHeader(b: Uint8Array, o: number, maxLength: number): number {
  const type = b[o];
  const length = (b[o + 3] << 8) | b[o + 4];
  if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
    // RFC 8446 §5: a record with an unexpected content type is unexpected_message.
    throw failure("record_type_unknown", `record of content type ${type}`);
  }
  // RFC 8446 §5.1: the version bytes are ignored except that a TLS 1.3 peer uses 0x03XX.
  if (b[o + 1] !== 0x03) throw failure("record_version_invalid", `record version 0x${hex2(b[o + 1])}${hex2(b[o + 2])}`);
  if (length > maxLength) throw failure("record_overflow", `record of ${length} bytes exceeds ${maxLength}`);
  return length;
}

function split(bytes: Uint8Array): RawRecord {
  return {
    type: bytes[0],
    header: bytes.subarray(0, RECORD_HEADER_LENGTH),
    fragment: bytes.subarray(RECORD_HEADER_LENGTH),
  };
}

/** A TLSPlaintext or TLSCiphertext header (RFC 8446 §5.1, §5.2). */
export function recordHeader(type: number, length: number, version = 0x0303): Uint8Array {
  return new Uint8Array([type, version >> 8, version & 0xff, length >> 8, length & 0xff]);
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

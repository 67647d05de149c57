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

/**
 * Accumulates bytes and yields complete records. Takes ownership of the chunks pushed (the caller must not
 * reuse them); fragments are views into them.
 */
export class RecordFramer {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;

  push(data: Uint8Array): void {
    const pending = this.end - this.start;
    if (pending === 0) {
      // Fast path: nothing buffered, so parse straight from the caller's chunk, which we now own.
      this.buf = data;
      this.start = 0;
      this.end = data.length;
      return;
    }
    // Only the unparsed tail (less than one record) is carried into a buffer sized for it and the new chunk,
    // so memory stays bounded by one record plus one chunk however long the stream runs.
    const next = new Uint8Array(pending + data.length);
    next.set(this.buf.subarray(this.start, this.end));
    next.set(data, pending);
    this.buf = next;
    this.start = 0;
    this.end = next.length;
  }

  /** Forgets every buffered byte. */
  clear(): void {
    this.buf = new Uint8Array(0);
    this.start = this.end = 0;
  }

  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * The next complete record, or null when more bytes are needed. `maxLength` is the largest fragment the
   * current read state allows (plaintext or ciphertext), checked from the header alone.
   */
  next(maxLength: number): RawRecord | null {
    if (this.end - this.start < RECORD_HEADER_LENGTH) return null;
    const b = this.buf, o = this.start;
    const type = b[o];
    const length = (b[o + 3] << 8) | b[o + 4];
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
      // RFC 8446 §5: a record with an unexpected content type is unexpected_message.
      throw failure("record_type_unknown", `record of content type ${type}`);
    }
    // RFC 8446 §5.1: the version bytes are ignored except that a TLS 1.3 peer uses 0x03XX.
    if (b[o + 1] !== 0x03) {
      throw failure("record_version_invalid", `record version 0x${hex2(b[o + 1])}${hex2(b[o + 2])}`);
    }
    if (length > maxLength) {
      throw failure("record_overflow", `record of ${length} bytes exceeds ${maxLength}`);
    }
    if (this.end - o < RECORD_HEADER_LENGTH + length) return null;
    const header = b.subarray(o, o + RECORD_HEADER_LENGTH);
    const fragment = b.subarray(o + RECORD_HEADER_LENGTH, o + RECORD_HEADER_LENGTH + length);
    this.start = o + RECORD_HEADER_LENGTH + length;
    return { type, header, fragment };
  }
}

/** A TLSPlaintext or TLSCiphertext header (RFC 8446 §5.1, §5.2). */
export function recordHeader(type: number, length: number, version = 0x0303): Uint8Array {
  return new Uint8Array([type, version >> 8, version & 0xff, length >> 8, length & 0xff]);
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

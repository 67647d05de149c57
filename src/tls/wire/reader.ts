/**
 * Cursor over a received byte vector (RFC 8446 §3 presentation language).
 *
 * Every read checks bounds and throws `decode_error` on truncation, so codecs never index past the end.
 * Sub-vectors are views, not copies.
 */
import { failure } from "../failures.ts";

export class Reader {
  private offset = 0;

  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++];
  }

  u16(): number {
    this.need(2);
    const b = this.bytes, o = this.offset;
    this.offset += 2;
    return (b[o] << 8) | b[o + 1];
  }

  u24(): number {
    this.need(3);
    const b = this.bytes, o = this.offset;
    this.offset += 3;
    return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  }

  u32(): number {
    this.need(4);
    const b = this.bytes, o = this.offset;
    this.offset += 4;
    return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  bytesN(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** opaque x<floor..2^8-1> */
  vec8(min = 0): Uint8Array {
    return this.checkedVec(this.u8(), min);
  }

  /** opaque x<floor..2^16-1> */
  vec16(min = 0): Uint8Array {
    return this.checkedVec(this.u16(), min);
  }

  /** opaque x<floor..2^24-1> */
  vec24(min = 0): Uint8Array {
    return this.checkedVec(this.u24(), min);
  }

  /** A length-prefixed vector read as its own Reader; the sub-reader must be consumed exactly by the caller. */
  sub8(min = 0): Reader {
    return new Reader(this.vec8(min));
  }

  sub16(min = 0): Reader {
    return new Reader(this.vec16(min));
  }

  sub24(min = 0): Reader {
    return new Reader(this.vec24(min));
  }

  rest(): Uint8Array {
    return this.bytesN(this.remaining);
  }

  /** Codecs end with this: trailing bytes inside a structure are a decode_error (RFC 8446 §4). */
  expectEnd(what: string): void {
    if (this.remaining !== 0) throw failure("decode_trailing_bytes", `${this.remaining} trailing bytes in ${what}`);
  }

  /** A vector of u16 items (cipher suites, groups, signature schemes); odd lengths are malformed. */
  u16List(min = 0): number[] {
    const body = this.vec16(min);
    if (body.length % 2 !== 0) throw failure("decode_odd_list");
    const out: number[] = new Array(body.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = (body[2 * i] << 8) | body[2 * i + 1];
    return out;
  }

  private checkedVec(len: number, min: number): Uint8Array {
    if (len < min) throw failure("decode_vector_too_short", `vector of ${len} bytes, minimum ${min}`);
    return this.bytesN(len);
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) throw failure("decode_truncated");
  }
}

/**
 * Growable byte writer for building TLS structures (RFC 8446 §3).
 *
 * Length-prefixed vectors are written with `vec8/16/24(body => ...)`: the length is patched in after the
 * body is written, so nested structures need no intermediate copies.
 */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.len;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  vec8(body: (w: this) => void): this {
    return this.prefixed(1, 0xff, body);
  }

  vec16(body: (w: this) => void): this {
    return this.prefixed(2, 0xffff, body);
  }

  vec24(body: (w: this) => void): this {
    return this.prefixed(3, 0xffffff, body);
  }

  /** Shorthand for an opaque vector with the given length-prefix width. */
  opaque8(b: Uint8Array): this {
    return this.vec8((w) => w.bytes(b));
  }

  opaque16(b: Uint8Array): this {
    return this.vec16((w) => w.bytes(b));
  }

  opaque24(b: Uint8Array): this {
    return this.vec24((w) => w.bytes(b));
  }

  u16List(values: readonly number[]): this {
    return this.vec16((w) => {
      for (const v of values) w.u16(v);
    });
  }

  /** A copy of the written bytes, sized exactly. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private prefixed(width: 1 | 2 | 3, max: number, body: (w: this) => void): this {
    const at = this.len;
    this.reserve(width);
    this.len += width;
    body(this);
    const n = this.len - at - width;
    if (n > max) throw new RangeError(`vector of ${n} bytes exceeds its ${width}-byte length prefix`);
    for (let i = 0; i < width; i++) this.buf[at + i] = (n >>> (8 * (width - 1 - i))) & 0xff;
    return this;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/**
 * The parsers' input buffer: bytes go in at the end and come out at the front.
 *
 * Contract: `push` takes ownership of the chunk (the caller must not change it afterwards), and bytes
 * handed out by `take` are views that stay valid forever, because the queue never writes over memory it
 * has already filled: it appends only into spare room that was never handed out, and it grows or compacts
 * into a fresh allocation. Growth doubles, so feeding a head one byte at a time stays linear. Once
 * everything is taken the queue lets go of its buffer: an idle connection holds no bytes it has consumed.
 */
/** The empty queue's buffer, shared: never written, since the queue only fills room it owns. */
const EMPTY = new Uint8Array(0);

export class ByteQueue {
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  /** Whether the spare room after `#end` is ours to fill (false while holding a pushed chunk as is). */
  #owned = false;

  get length(): number {
    return this.#end - this.#start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.length === 0) {
      this.#buf = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      this.#owned = false;
      return;
    }
    if (this.#owned && this.#buf.length - this.#end >= chunk.length) {
      this.#buf.set(chunk, this.#end);
      this.#end += chunk.length;
      return;
    }
    const needed = this.length + chunk.length;
    const grown = new Uint8Array(Math.max(needed, 2 * this.length, 256));
    grown.set(this.#buf.subarray(this.#start, this.#end), 0);
    grown.set(chunk, this.length);
    this.#buf = grown;
    this.#start = 0;
    this.#end = needed;
    this.#owned = true;
  }

  /** The byte at `index` from the front (undefined past the end). */
  at(index: number): number | undefined {
    return index < this.length ? this.#buf[this.#start + index] : undefined;
  }

  /** Index from the front of the first `byte` at or after `from`, or -1. */
  indexOf(byte: number, from = 0): number {
    return this.#buf.subarray(this.#start, this.#end).indexOf(byte, from);
  }

  /** A view of the first `n` bytes, without consuming them. */
  peek(n: number = this.length): Uint8Array {
    return this.#buf.subarray(this.#start, this.#start + Math.min(n, this.length));
  }

  /** Removes and returns the first `n` bytes (or fewer if fewer are buffered). */
  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.#start += out.length;
    if (this.#start === this.#end) this.clear();
    return out;
  }

  skip(n: number): void {
    this.#start += Math.min(n, this.length);
    if (this.#start === this.#end) this.clear();
  }

  clear(): void {
    this.#buf = EMPTY;
    this.#start = 0;
    this.#end = 0;
    this.#owned = false;
  }
}

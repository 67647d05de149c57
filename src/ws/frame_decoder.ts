/**
 * A byte stream in, frames out (RFC 6455 §5.2), sans-IO and streaming: a frame's payload comes out piece by
 * piece as its bytes arrive, so a large frame is never buffered here, and its header is checked (mask,
 * reserved bits, opcode, control-frame rules, length) before any of its payload is accepted.
 *
 * Contract:
 * - `feed(bytes)` hands bytes over: the decoder owns them from then on and unmasks payloads in place.
 * - `next()` returns the next event or null when it needs more bytes. Per frame: one "header", then one or
 *   more "payload" pieces, the last with `end: true` (an empty payload gives one empty piece). Pieces are
 *   views into the fed bytes, already unmasked.
 * - A header this endpoint must refuse throws a WebSocketError; the decoder is then spent and rethrows it.
 * - Buffered input is at most what was fed and not yet consumed through `next()`.
 */
import { applyMask, type FrameHeader, maxHeaderLength, parseFrameHeader } from "./frame.ts";
import { WebSocketError } from "./errors.ts";

/** What `FrameDecoder.next()` returns. */
export type FrameEvent =
  | { type: "header"; header: FrameHeader }
  | { type: "payload"; data: Uint8Array; end: boolean };

/** Decodes frames from a byte stream; see the module's contract. */
export class FrameDecoder {
  readonly #expectMasked: boolean;
  readonly #chunks: Uint8Array[] = [];
  /** Bytes of `#chunks[0]` already consumed. */
  #position = 0;
  #buffered = 0;
  /** The frame whose payload is being read, and how far. */
  #frame: FrameHeader | null = null;
  #payloadOffset = 0;
  #error: WebSocketError | null = null;

  /** `expectMasked`: true on a server (client frames MUST be masked), false on a client. */
  constructor(expectMasked: boolean) {
    this.#expectMasked = expectMasked;
  }

  /** Bytes fed and not yet consumed. */
  get buffered(): number {
    return this.#buffered;
  }

  feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
  }

  next(): FrameEvent | null {
    if (this.#error) throw this.#error;
    try {
      return this.#frame === null ? this.#nextHeader() : this.#nextPayload(this.#frame);
    } catch (error) {
      if (error instanceof WebSocketError) this.#error = error;
      throw error;
    }
  }

  #nextHeader(): FrameEvent | null {
    const header = parseFrameHeader(this.#peek(maxHeaderLength), this.#expectMasked);
    if (header === null) return null;
    this.#skip(header.headerLength);
    this.#frame = header;
    this.#payloadOffset = 0;
    return { type: "header", header };
  }

  #nextPayload(frame: FrameHeader): FrameEvent | null {
    const left = frame.length - this.#payloadOffset;
    if (left > 0 && this.#buffered === 0) return null;
    const data = this.#takeFromFirst(left);
    if (frame.mask) applyMask(data, frame.mask, this.#payloadOffset);
    this.#payloadOffset += data.length;
    const end = this.#payloadOffset === frame.length;
    if (end) this.#frame = null;
    return { type: "payload", data, end };
  }

  /** Up to `n` bytes from the front, copied across chunks, without consuming them. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first === undefined) return new Uint8Array(0);
    if (first.length - this.#position >= n || this.#chunks.length === 1) {
      return first.subarray(this.#position, this.#position + n);
    }
    const out = new Uint8Array(Math.min(n, this.#buffered));
    let filled = 0;
    for (let i = 0; filled < out.length; i++) {
      const chunk = i === 0 ? first.subarray(this.#position) : this.#chunks[i];
      const part = chunk.subarray(0, out.length - filled);
      out.set(part, filled);
      filled += part.length;
    }
    return out;
  }

  #skip(n: number): void {
    while (n > 0) {
      const available = this.#chunks[0].length - this.#position;
      const step = Math.min(n, available);
      this.#advance(step);
      n -= step;
    }
  }

  /** A view of at most `n` bytes from the first chunk (none when `n` is 0). */
  #takeFromFirst(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0];
    const data = first.subarray(this.#position, this.#position + n);
    this.#advance(data.length);
    return data;
  }

  #advance(n: number): void {
    this.#position += n;
    this.#buffered -= n;
    if (this.#position === this.#chunks[0].length) {
      this.#chunks.shift();
      this.#position = 0;
    }
  }
}

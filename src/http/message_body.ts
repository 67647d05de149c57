/**
 * Decoding one message body, whatever delimits it (see framing.ts), from the front of a queue. Shared by
 * the request parser (server) and the response parser (client).
 */
import type { ByteQueue } from "./byte_queue.ts";
import { ChunkedDecoder, type ChunkedLimits } from "./chunked.ts";
import { HttpError } from "./errors.ts";
import type { Fields } from "./field_lines.ts";
import type { BodyFraming } from "./framing.ts";

export type BodyEvent = { type: "data"; data: Uint8Array } | { type: "end"; trailers: Fields };

const noTrailers: Fields = [];

/**
 * Contract: `next(queue, eof)` consumes body bytes only, returns null when it needs more, and returns
 * "end" exactly once. `eof` says the peer has closed: that ends a close-delimited body and truncates
 * any other (400, `truncated_message`).
 */
export class BodyDecoder {
  readonly framing: BodyFraming;
  #received = 0;
  #ended = false;
  readonly #chunked: ChunkedDecoder | null;
  readonly #limits: ChunkedLimits;

  constructor(framing: BodyFraming, limits: ChunkedLimits) {
    this.framing = framing;
    this.#limits = limits;
    this.#chunked = framing.kind === "chunked" ? new ChunkedDecoder(limits) : null;
  }

  /** Body bytes decoded so far. */
  get received(): number {
    return this.#received;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes still to come for a Content-Length body; null when the framing does not say. */
  get remaining(): number | null {
    if (this.#ended) return 0;
    return this.framing.kind === "length" ? this.framing.length - this.#received : null;
  }

  next(queue: ByteQueue, eof: boolean): BodyEvent | null {
    if (this.#ended) return null;
    const event = this.#decode(queue, eof);
    if (event?.type === "data") this.#received += event.data.length;
    if (event?.type === "end") this.#ended = true;
    return event;
  }

  #decode(queue: ByteQueue, eof: boolean): BodyEvent | null {
    switch (this.framing.kind) {
      case "none":
        return { type: "end", trailers: noTrailers };
      case "length": {
        const remaining = this.framing.length - this.#received;
        if (remaining === 0) return { type: "end", trailers: noTrailers };
        if (queue.length > 0) return { type: "data", data: queue.take(Math.min(remaining, queue.length)) };
        if (eof) throw new HttpError("truncated_message", `${remaining} body bytes missing`);
        return null;
      }
      case "chunked": {
        const event = this.#chunked!.next(queue);
        if (event === null && eof) throw new HttpError("truncated_message", "chunked body cut short");
        return event;
      }
      case "close": {
        if (queue.length > 0) {
          if (this.#received + queue.length > this.#limits.maxBodySize) {
            throw new HttpError("content_too_large", `body over ${this.#limits.maxBodySize} bytes`);
          }
          return { type: "data", data: queue.take(queue.length) };
        }
        return eof ? { type: "end", trailers: noTrailers } : null;
      }
    }
  }
}

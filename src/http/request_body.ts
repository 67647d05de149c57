/**
 * A request body as the handler sees it: decoded chunks pulled from the parser as bytes arrive, either
 * through a ReadableStream (body_stream.ts, made only when the handler asks for `Request.body`) or read
 * whole (`readAll`, for `text()` and friends).
 *
 * After the response is sent, the server detaches the stream (a handler still reading it gets an error)
 * and drains what is left of the body, so that the next request on the connection can be parsed.
 */
import { concat } from "../bytes.ts";
import { PulledBody } from "./body_stream.ts";
import type { ConnReader } from "./conn_reader.ts";
import { HttpError } from "./errors.ts";
import type { RequestParser } from "./request_parser.ts";

export interface BodyIo {
  parser: RequestParser;
  reader: ConnReader;
  /** Longest wait for the next body bytes (408 after it). */
  bodyTimeout: number;
  /** Runs once, before the first socket read for this body: where `100 Continue` is sent. */
  beforeFirstRead: (() => Promise<void>) | null;
}

export class RequestBody {
  readonly #io: BodyIo;
  /** Whether the handler is given the body at all (not for GET, HEAD, or a message without one). */
  readonly #exposed: boolean;
  #pulled: PulledBody | null = null;
  #ended = false;
  #error: unknown = null;
  #readStarted = false;
  /** Serializes parser access between the handler's pulls and the final drain. */
  #busy: Promise<unknown> = Promise.resolve();

  constructor(io: BodyIo, exposeToHandler: boolean) {
    this.#io = io;
    // A message without body ends at once: consume its "end" now so that `ended` is true.
    if (io.parser.body?.framing.kind === "none") {
      io.parser.next();
      this.#ended = true;
    }
    this.#exposed = exposeToHandler && !this.#ended;
  }

  /** Whether the handler gets a body (so `Request.body` is not null). */
  get exposed(): boolean {
    return this.#exposed;
  }

  /**
   * What `Request.body` is built from, made on first use (most handlers never ask); null when the
   * handler is not given the body (GET, HEAD, none).
   */
  get stream(): ReadableStream<Uint8Array> | null {
    if (!this.#exposed) return null;
    return (this.#pulled ??= new PulledBody(() => this.next())).stream;
  }

  /**
   * The whole body in one buffer, without a stream: what `text()`, `json()` and `arrayBuffer()` need.
   * Bounded by the parser's `maxBodySize`; rejects like `next()` when the body breaks.
   */
  async readAll(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (let chunk = await this.next(); chunk !== null; chunk = await this.next()) {
      chunks.push(chunk);
      size += chunk.length;
    }
    return concat(chunks, size);
  }

  /** The whole body has been received (and handed out or discarded). */
  get ended(): boolean {
    return this.#ended;
  }

  /** The body broke (bad framing, over the limit, stalled, cut short): the connection cannot continue. */
  get error(): unknown {
    return this.#error;
  }

  /** Bytes still expected for a Content-Length body; null for chunked. */
  get remaining(): number | null {
    return this.#ended ? 0 : this.#io.parser.body?.remaining ?? 0;
  }

  /** Next decoded chunk, or null at the end. Rejects with an `HttpError` when the body breaks. */
  next(): Promise<Uint8Array | null> {
    const result = this.#busy.then(() => this.#next());
    this.#busy = result.catch(() => {});
    return result;
  }

  /**
   * Ends the handler's access, then reads and discards the rest of the body, up to `limit` bytes.
   * Resolves true when the body ended within the limit (the connection can be reused).
   */
  async drain(limit: number): Promise<boolean> {
    this.#pulled?.detach(new TypeError("request body is no longer readable: the response was sent"));
    this.#readStarted = true; // no 100 Continue just to discard a body
    let discarded = 0;
    try {
      for (;;) {
        const chunk = await this.next();
        if (chunk === null) return true;
        discarded += chunk.length;
        if (discarded > limit) return false;
      }
    } catch {
      return false;
    }
  }

  async #next(): Promise<Uint8Array | null> {
    if (this.#ended) return null;
    if (this.#error !== null) throw this.#error;
    try {
      for (;;) {
        const event = this.#io.parser.next();
        if (event?.type === "data") return event.data;
        if (event?.type === "end") {
          this.#ended = true;
          return null;
        }
        await this.#fill();
      }
    } catch (error) {
      this.#error = error;
      throw error;
    }
  }

  async #fill(): Promise<void> {
    if (!this.#readStarted) {
      this.#readStarted = true;
      await this.#io.beforeFirstRead?.();
    }
    const result = await this.#io.reader.read(this.#io.bodyTimeout);
    if (result.kind === "data") this.#io.parser.feed(result.data);
    else if (result.kind === "eof") this.#io.parser.feedEof();
    else throw new HttpError("request_timeout", `no body bytes for ${this.#io.bodyTimeout} ms`);
  }
}

/**
 * A small HTTP/1.1 client over a Duplex (plain TCP or our TLS client socket), fetch-shaped:
 * `request(conn, new Request(url, init))` resolves with a `Response` once the head arrives, and its body
 * streams from the connection as it is read.
 *
 * Keep-alive: requests on the same Duplex go one after another over it. Starting a request discards
 * what is left of the previous response body (read it first if you want it); a connection the server
 * closes, or one whose response was delimited by closing, is not reused: `request` then rejects. The
 * Duplex stays the caller's to close.
 */
import type { Duplex } from "../net/duplex.ts";
import { PulledBody } from "./body_stream.ts";
import { HttpError } from "./errors.ts";
import type { HttpLimits } from "./limits.ts";
import { peekBody, type PeekedBody, writeMessage } from "./outgoing_body.ts";
import { chooseRequestFraming, requestAsksClose, serializeRequestHead } from "./request_writer.ts";
import { type ResponseEvent, type ResponseHead, ResponseParser } from "./response_parser.ts";
import { declaredContentLength } from "./response_writer.ts";

/** Options of `request()` over one connection. */
export interface ClientOptions {
  /** Bounds on what the server sends (heads are bounded by default; bodies are not). */
  limits?: Partial<HttpLimits>;
  /** Unread body left by a previous response that a new request drains; beyond it the request rejects. */
  maxDrainSize?: number;
}

/** The client side of one connection; `request()` below keeps one per Duplex. */
export class HttpClientConnection {
  readonly #conn: Duplex;
  readonly #parser: ResponseParser;
  readonly #maxDrainSize: number;
  #reusable = true;
  /** The exchange in progress: its response body may still be on the wire. */
  #current: Promise<Exchange> | null = null;

  constructor(conn: Duplex, options: ClientOptions = {}) {
    this.#conn = conn;
    this.#parser = new ResponseParser(options.limits);
    this.#maxDrainSize = options.maxDrainSize ?? 1024 * 1024;
  }

  /** False once the server closed, asked to close, or a message failed: no further request fits. */
  get reusable(): boolean {
    return this.#reusable;
  }

  request(request: Request): Promise<Response> {
    const previous = this.#current;
    const exchange = (async () => {
      if (previous !== null) await (await previous.catch(() => null))?.finish(this.#maxDrainSize);
      if (!this.#reusable) throw new Error("HTTP connection is closed; open a new one");
      return await this.#send(request);
    })();
    this.#current = exchange;
    return exchange.then((e) => e.response);
  }

  async #send(request: Request): Promise<Exchange> {
    request.signal.throwIfAborted();
    const peeked = request.body === null ? null : await peekBody(request.body);
    const declared = declaredContentLength(request.headers);
    const known = peeked === null ? null : peeked.complete ? peeked.length : declared;
    const framing = chooseRequestFraming(request.method, peeked !== null, known);
    const close = requestAsksClose(request.headers);
    let head: Uint8Array;
    try {
      head = serializeRequestHead(request, framing, close);
    } catch (error) {
      peeked?.reader.cancel(error).catch(() => {});
      throw error;
    }
    if (close) this.#reusable = false;
    this.#parser.expect(request.method);
    const exchange = new Exchange(this.#conn, this.#parser, () => this.#reusable = false);
    exchange.sending = this.#sendRequest(head, peeked, framing);
    const onAbort = () => exchange.abort(request.signal.reason);
    request.signal.addEventListener("abort", onAbort, { once: true });
    exchange.finished.finally(() => request.signal.removeEventListener("abort", onAbort));
    await exchange.start();
    return exchange;
  }

  /** Sends the request; a failure only matters if no response arrives, which the reading side reports. */
  #sendRequest(head: Uint8Array, peeked: PeekedBody | null, framing: Parameters<typeof writeMessage>[3]) {
    return writeMessage((bytes) => this.#conn.write(bytes), head, peeked, framing).then(
      () => true,
      () => {
        this.#reusable = false;
        return false;
      },
    );
  }
}

/** One request/response; owns the parser from the request until the end of the response body. */
class Exchange {
  response!: Response;
  sending: Promise<boolean> = Promise.resolve(true);
  readonly finished: Promise<void>;
  readonly #conn: Duplex;
  readonly #parser: ResponseParser;
  readonly #unusable: () => void;
  #head!: ResponseHead;
  #done = false;
  #markFinished!: () => void;
  #body: PulledBody | null = null;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(conn: Duplex, parser: ResponseParser, unusable: () => void) {
    this.#conn = conn;
    this.#parser = parser;
    this.#unusable = unusable;
    this.finished = new Promise((resolve) => this.#markFinished = resolve);
  }

  /** Reads up to the final response head and builds the Response. */
  async start(): Promise<void> {
    try {
      let event = await this.#nextEvent();
      // RFC 9110 §15.2: interim responses (100 Continue, 103 Early Hints) are skipped.
      while (event.type !== "head" || event.head.status < 200) {
        if (event.type === "head" && event.head.status === 101) {
          throw new HttpError("bad_request_line", "unexpected 101");
        }
        event = await this.#nextEvent();
      }
      this.#head = event.head;
      if (!event.head.keepAlive) this.#unusable();
      const hasBody = event.head.framing.kind !== "none";
      const init = { status: event.head.status, statusText: event.head.reason, headers: event.head.headers };
      // The rest of a body nobody will read: the connection cannot carry another message.
      if (hasBody) this.#body = new PulledBody(() => this.#next(), () => this.#fail());
      this.response = new Response(this.#body?.stream ?? null, init);
      if (!hasBody) await this.#next();
    } catch (error) {
      this.#fail();
      throw error;
    }
  }

  /** Ends this exchange before the next request: drains the rest of the body, up to `limit` bytes. */
  async finish(limit: number): Promise<void> {
    this.#body?.detach(new TypeError("response body discarded: a new request was started"));
    let drained = 0;
    try {
      for (let chunk = await this.#next(); chunk !== null; chunk = await this.#next()) {
        drained += chunk.length;
        if (drained > limit) throw new Error("previous response body too large to drain");
      }
      if (!(await this.sending)) this.#unusable();
    } catch {
      this.#fail();
    }
  }

  abort(reason: unknown): void {
    this.#body?.detach(reason);
    this.#fail();
    this.#conn.close();
  }

  /** The next body chunk, or null at the end; serialized between the body stream and `finish`. */
  #next(): Promise<Uint8Array | null> {
    const result = this.#busy.then(async () => {
      if (this.#done) return null;
      const event = await this.#nextEvent();
      if (event.type === "data") return event.data;
      this.#done = true;
      this.#markFinished();
      return null;
    });
    this.#busy = result.catch(() => this.#fail());
    return result;
  }

  async #nextEvent(): Promise<ResponseEvent> {
    for (;;) {
      const event = this.#parser.next();
      if (event !== null) return event;
      const chunk = await this.#conn.read();
      if (chunk === null) this.#parser.feedEof();
      else this.#parser.feed(chunk);
    }
  }

  #fail(): void {
    this.#unusable();
    this.#done = true;
    this.#markFinished();
  }
}

const connections = new WeakMap<Duplex, HttpClientConnection>();

/**
 * Sends `req` over `conn` and resolves with the response once its head has arrived. Sequential calls on
 * the same Duplex reuse it (keep-alive); `options` apply when the Duplex is first used.
 */
export function request(conn: Duplex, req: Request, options?: ClientOptions): Promise<Response> {
  let client = connections.get(conn);
  if (client === undefined) {
    client = new HttpClientConnection(conn, options);
    connections.set(conn, client);
  }
  return client.request(req);
}

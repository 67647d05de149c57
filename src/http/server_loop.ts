/**
 * The HTTP/1.1 server loop over one connection: it glues the byte stream (a Duplex, with or without TLS
 * under it), the sans-IO request parser and a fetch-style handler.
 *
 * Requests are answered one at a time, in the order they arrived: a pipelined request waits, unparsed,
 * in the parser's buffer until the response before it has been written (RFC 9112 §9.3.2). Reading is
 * driven by need: the head, then the body only as the handler reads it, then whatever is left of the
 * body is drained, then the next head.
 *
 * Closing always goes the same way: write what has to be written (an error response carries
 * `Connection: close`), half-close (`closeWrite()`, which under TLS sends close_notify), read and discard
 * for a short while so that the peer receives our last bytes before a reset (RFC 9112 §9.6), close.
 */
import type { Duplex, NetAddr } from "../net/duplex.ts";
import { ConnReader } from "./conn_reader.ts";
import { HttpError } from "./errors.ts";
import { fieldValues } from "./field_lines.ts";
import { incomingRequest, installRequestInterop } from "./incoming_request.ts";
import { installResponseInterop } from "./known_body.ts";
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from "./limits.ts";
import { RequestBody } from "./request_body.ts";
import { type RequestHead, RequestParser } from "./request_parser.ts";
import { targetUri } from "./request_target.ts";
import { continueResponse, errorResponse } from "./response_writer.ts";
import { sendResponse } from "./send_response.ts";
import { splitList } from "./syntax.ts";
import { claimedSwitch, type ProtocolSwitch, switchingProtocolsHead } from "./upgrade.ts";

/** What a handler learns about the connection; the Hono glue spreads it into `env` next to `tls`. */
export interface HttpConnectionInfo {
  readonly remoteAddr: NetAddr;
  readonly localAddr: NetAddr;
}

export type HttpHandler = (request: Request, info: HttpConnectionInfo) => Response | Promise<Response>;

export type CloseReason =
  | "peer_closed"
  | "idle_timeout"
  | "request_timeout"
  | "protocol_error"
  | "not_persistent"
  | "shutdown"
  | "body_unfinished"
  | "response_failed"
  /** The connection switched protocols (a 101); the new protocol closed it. */
  | "upgraded";

/** Per-connection counters, resolved when the connection is closed. */
export interface ConnectionStats {
  /** Responses written completely. */
  requestsServed: number;
  bytesRead: number;
  closeReason: CloseReason;
  /** The error that ended the connection, if one did. */
  error?: unknown;
}

/** Methods the fetch `Request` cannot carry (Fetch §2.2.1, forbidden methods): answered with 501. */
const unrepresentableMethods = new Set(["CONNECT", "TRACE", "TRACK"]);

/** How much the linger after our half-close reads and discards at most. */
const lingerBytes = 64 * 1024;

/**
 * Serves HTTP/1.1 on `conn` until the connection ends; resolves with its counters. Never rejects: every
 * failure ends in an error response where one can still be written, and a closed connection.
 */
export async function serveHttpConnection(
  conn: Duplex,
  handler: HttpHandler,
  options: ServerOptions = {},
): Promise<ConnectionStats> {
  return await new ServerConnection(conn, handler, resolveServerOptions(options)).run();
}

class ServerConnection {
  readonly #conn: Duplex;
  readonly #handler: HttpHandler;
  readonly #options: ResolvedServerOptions;
  readonly #info: HttpConnectionInfo;
  readonly #parser: RequestParser;
  readonly #reader: ConnReader;
  readonly #stats: ConnectionStats = { requestsServed: 0, bytesRead: 0, closeReason: "peer_closed" };
  /** The last write issued (writes go out in call order; this one settles last). */
  #writeTail: Promise<void> = Promise.resolve();
  /** Our half-close, started with the last bytes of a response that ends the connection. */
  #closing: Promise<void> | null = null;
  /** A write failed: the peer is gone, nothing more goes out. */
  #lost = false;
  /** The current response's head has started to go out (so no 100 Continue, no error response). */
  #headWritten = false;
  #continueSent = false;
  /** What `onIdle` was last told. */
  #idle = false;
  /** Aborted when the connection is lost or closed; one per connection, made when a handler asks. */
  #abort: AbortController | null = null;
  readonly #signal = () => (this.#abort ??= new AbortController()).signal;
  /** After a 101 the connection is the new protocol's, which closes it itself. */
  #handedOver = false;

  constructor(conn: Duplex, handler: HttpHandler, options: ResolvedServerOptions) {
    this.#conn = conn;
    this.#handler = handler;
    this.#options = options;
    this.#info = { remoteAddr: conn.remoteAddr, localAddr: conn.localAddr };
    this.#parser = new RequestParser(options);
    this.#reader = new ConnReader(conn);
    installRequestInterop();
    installResponseInterop(options.responses);
  }

  async run(): Promise<ConnectionStats> {
    try {
      for (let first = true;; first = false) {
        this.#headWritten = false;
        this.#continueSent = false;
        const head = await this.#awaitHead(first);
        if (head === null) break;
        if (!(await this.#exchange(head))) break;
      }
    } catch (error) {
      await this.#answerError(error);
    }
    await this.#close();
    this.#stats.bytesRead = this.#reader.bytesRead;
    return this.#stats;
  }

  get #shuttingDown(): boolean {
    return this.#options.signal?.aborted ?? false;
  }

  /**
   * The next request head, or null when the connection should just close: the peer closed, nothing came
   * within the idle timeout, or shutdown began while idle. A head must arrive whole within
   * `headersTimeout` (slowloris) of the connection opening, for the first request, or of its first byte,
   * for a kept-alive connection's next one (which may idle for `idleTimeout` before that); a partial head
   * that misses it gets 408.
   */
  async #awaitHead(first: boolean): Promise<RequestHead | null> {
    const { headersTimeout, idleTimeout, signal } = this.#options;
    let deadline = first ? Date.now() + headersTimeout : Infinity;
    for (;;) {
      const event = this.#parser.next();
      if (event?.type === "head") return event.head;
      if (event?.type === "eof") return this.#ending("peer_closed");
      const idle = this.#parser.idle;
      if (idle && this.#shuttingDown) return this.#ending("shutdown");
      if (!idle && deadline === Infinity) deadline = Date.now() + headersTimeout;
      const wait = idle && !first ? idleTimeout : deadline - Date.now();
      if (idle) this.#markIdle(true);
      const result = await this.#reader.read(wait, idle ? signal : undefined);
      if (result.kind === "data") {
        this.#markIdle(false);
        this.#parser.feed(result.data);
      } else if (result.kind === "eof") this.#parser.feedEof();
      else if (result.kind === "aborted") return this.#ending("shutdown");
      else if (idle) return this.#ending("idle_timeout");
      else throw new HttpError("request_timeout", `head not complete within ${headersTimeout} ms`);
    }
  }

  #markIdle(idle: boolean): void {
    if (this.#idle === idle) return;
    this.#idle = idle;
    this.#options.onIdle?.(this.#conn, idle);
  }

  #ending(reason: CloseReason): null {
    this.#stats.closeReason = reason;
    return null;
  }

  /** One request and its response; resolves with whether the connection carries on. */
  async #exchange(head: RequestHead): Promise<boolean> {
    const expectContinue = expectsContinue(head);
    const body = this.#openBody(head, expectContinue);
    const request = this.#buildRequest(head, body);
    const response = await this.#callHandler(request, body);
    const protocolSwitch = claimedSwitch(request, response);
    if (protocolSwitch) return await this.#switchProtocols(head, body, protocolSwitch, response);
    const wanted = this.#wantsKeepAlive(head, body, expectContinue, response);
    const write = (bytes: Uint8Array, last: boolean) => {
      this.#headWritten = true;
      const written = bytes.length > 0 ? this.#write(bytes) : this.#writeTail;
      // Closing after this response: the close goes out with its last bytes (one TLS write for both).
      if (last && !wanted) this.#startClose();
      return written;
    };
    const context = { requestMethod: head.method, requestVersion: head.version, keepAlive: wanted };
    const keepAlive = await sendResponse(write, response, context);
    this.#stats.requestsServed++;
    if (!keepAlive) {
      this.#stats.closeReason = this.#shuttingDown ? "shutdown" : "not_persistent";
      return false;
    }
    if (!(await body.drain(this.#options.maxDrainSize))) {
      this.#stats.closeReason = "body_unfinished";
      return false;
    }
    return true;
  }

  /**
   * RFC 9110 §7.8: the handler claimed the connection for another protocol (upgrade.ts). The request's own
   * body is HTTP's, so it is read to its end first; then the 101, then the bytes that followed the request
   * and the connection go to the new protocol, which closes it. An HTTP/1.0 request cannot switch.
   */
  async #switchProtocols(head: RequestHead, body: RequestBody, to: ProtocolSwitch, res: Response): Promise<false> {
    if (head.version !== "1.1") throw new HttpError("bad_version", "HTTP/1.0 cannot switch protocols");
    if (!(await body.drain(this.#options.maxDrainSize))) throw body.error ?? new HttpError("content_too_large");
    this.#headWritten = true;
    await this.#write(switchingProtocolsHead(to.protocol, res));
    this.#stats.requestsServed++;
    this.#stats.closeReason = "upgraded";
    this.#handedOver = true;
    await to.run(this.#conn, this.#parser.takeRemaining(), this.#options.signal);
    return false;
  }

  #openBody(head: RequestHead, expectContinue: boolean): RequestBody {
    // RFC 9110 §9.3.1 and §9.3.2: content on GET or HEAD has no defined semantics, and a fetch Request
    // cannot carry it; it is read and discarded after the response instead.
    const method = head.method.toUpperCase();
    const exposed = method !== "GET" && method !== "HEAD";
    const io = {
      parser: this.#parser,
      reader: this.#reader,
      bodyTimeout: this.#options.bodyTimeout,
      beforeFirstRead: expectContinue ? () => this.#sendContinue() : null,
    };
    return new RequestBody(io, exposed);
  }

  #buildRequest(head: RequestHead, body: RequestBody): Request {
    if (unrepresentableMethods.has(head.method.toUpperCase())) {
      throw new HttpError("method_not_implemented", head.method);
    }
    const url = targetUri(head, this.#options.scheme, this.#conn.localAddr);
    return incomingRequest({ method: head.method, url, fields: head.headers, body, signal: this.#signal });
  }

  /**
   * The handler's Response; a throw, or anything but a Response, goes to `onError`, whose Response (if it
   * gives one) is sent instead of the default 500.
   */
  async #callHandler(request: Request, body: RequestBody): Promise<Response> {
    let failure: unknown;
    try {
      const response = await this.#handler(request, this.#info);
      // The body broke while the handler read it, and the handler (an app framework) turned that into its
      // own answer: what broke the body decides the status (413, 400, 408), and the connection closes.
      if (body.error instanceof HttpError) throw body.error;
      if (response instanceof Response && response.status !== 101) return response;
      failure = new TypeError("handler did not return a Response (or returned 101)");
    } catch (error) {
      // The body broke while the handler read it: answer what broke it (413, 400, 408), and close.
      if (body.error instanceof HttpError) throw body.error;
      failure = error;
    }
    try {
      const shaped = await this.#options.onError(failure);
      if (shaped instanceof Response) return shaped;
    } catch { /* the hook failed too: the default answer */ }
    const text = "500 Internal Server Error\n";
    return new Response(text, { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
  }

  /** Decided before the head goes out, so that a closing response says `Connection: close`. */
  #wantsKeepAlive(head: RequestHead, body: RequestBody, expectContinue: boolean, response: Response): boolean {
    if (!head.keepAlive || this.#shuttingDown || body.error !== null) return false;
    if (splitList([response.headers.get("connection") ?? ""]).some((o) => o.toLowerCase() === "close")) return false;
    if (body.ended) return true;
    // The client was told nothing (no 100 Continue): whether it sends the body now is unknowable, so the
    // connection is not reused (RFC 9110 §10.1.1).
    if (expectContinue && !this.#continueSent) return false;
    const remaining = body.remaining;
    return remaining === null || remaining <= this.#options.maxDrainSize;
  }

  /**
   * RFC 9110 §10.1.1: 100 Continue is sent when the handler starts reading the body (the first socket
   * read for it), not before: a handler that answers without reading spares the client the upload.
   */
  async #sendContinue(): Promise<void> {
    if (this.#headWritten || this.#continueSent) return;
    this.#continueSent = true;
    await this.#write(continueResponse);
  }

  /**
   * Writes go to the Duplex at once and leave it in call order (its contract), so a 100 Continue from a
   * body read and the response head cannot cross.
   */
  #write(bytes: Uint8Array): Promise<void> {
    const done = this.#conn.write(bytes).catch((error) => {
      this.#lost = true;
      this.#abort?.abort(error);
      throw error;
    });
    this.#writeTail = done.catch(() => {});
    return done;
  }

  #startClose(): void {
    this.#closing ??= this.#conn.closeWrite().catch(() => {});
  }

  async #answerError(error: unknown): Promise<void> {
    this.#stats.error = error;
    if (error instanceof HttpError) {
      this.#stats.closeReason = error.code === "request_timeout" ? "request_timeout" : "protocol_error";
    } else {
      this.#stats.closeReason = "response_failed";
    }
    if (this.#headWritten || this.#lost) return;
    const written = this.#write(errorResponse(error instanceof HttpError ? error.status : 500));
    this.#startClose();
    try {
      await written;
    } catch { /* the peer is gone */ }
  }

  async #close(): Promise<void> {
    this.#abort?.abort(new Error("connection closed"));
    if (this.#handedOver) return;
    if (!this.#lost) {
      try {
        this.#startClose();
        await this.#writeTail;
        await this.#closing;
        await this.#linger();
      } catch { /* closing anyway */ }
    }
    this.#reader.dispose();
    this.#conn.close();
  }

  /** Reads and discards until the peer closes too, for at most `lingerTimeout` and `lingerBytes`. */
  async #linger(): Promise<void> {
    const deadline = Date.now() + this.#options.lingerTimeout;
    let discarded = 0;
    while (!this.#reader.eof && discarded < lingerBytes) {
      const result = await this.#reader.read(deadline - Date.now());
      if (result.kind !== "data") return;
      discarded += result.data.length;
    }
  }
}

/**
 * RFC 9110 §10.1.1: the only expectation defined is 100-continue; any other gets 417. An HTTP/1.0
 * client's 100-continue MUST be ignored, and one without a body needs no answer.
 */
function expectsContinue(head: RequestHead): boolean {
  const values = fieldValues(head.headers, "expect");
  if (values.length === 0) return false;
  const expectations = splitList(values).map((value) => value.toLowerCase());
  if (expectations.length !== 1 || expectations[0] !== "100-continue") {
    throw new HttpError("expectation_failed", values.join(", "));
  }
  return head.version === "1.1" && head.framing.kind !== "none";
}

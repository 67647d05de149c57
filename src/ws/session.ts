/**
 * A server-side WebSocket over a byte duplex (a TLS socket after the 101): the I/O around the sans-IO
 * `WebSocketConnection`. This is where the timers live and where bytes meet the socket.
 *
 * - Backpressure: frames wait in our queue and go to the socket one write at a time, each once the previous
 *   one is taken (`Duplex.write` resolves only then). While more than `highWaterMark` bytes wait, we stop
 *   reading, so a peer that sends without reading our answers is held back by TCP, not by our memory. A
 *   `send()` while `maxBufferedAmount` is already waiting drops the connection (1006): an app pushing to a
 *   peer that never reads cannot grow memory without end either.
 * - Idle timeout: nothing from the peer for half of `idleTimeout` sends a Ping (browsers answer it), for all
 *   of it starts the close handshake with 1001.
 * - Closing (RFC 6455 §7.1): after both Close frames, or after failing with one, we send the rest of our
 *   queue, half-close (close_notify under TLS), wait briefly for the peer to close, and close the socket;
 *   the server closes first (§7.1.1). A Close of ours unanswered within `closeTimeout` drops the socket.
 */
import { concat } from "../bytes.ts";
import type { Duplex } from "../transport/types.ts";
import { type ConnectionState, defaultMaxMessageSize, WebSocketConnection } from "./connection.ts";
import { CloseCode, WebSocketError, type WebSocketErrorName } from "./errors.ts";
import type { Message } from "./message.ts";

/** Limits and timeouts of a WebSocket session, in bytes and milliseconds. */
export interface WebSocketLimits {
  /** Largest message accepted, fragmented or not; beyond it the connection closes with 1009. Default 16 MiB. */
  maxMessageSize?: number;
  /** Nothing from the peer for this long closes the connection (1001); a Ping goes out at half. Default 120 s. */
  idleTimeout?: number;
  /** How long our Close waits for the peer's before the socket is dropped. Default 5 s. */
  closeTimeout?: number;
  /** Bytes waiting for a peer that does not read, past which a further `send()` drops it. Default 16 MiB. */
  maxBufferedAmount?: number;
}

/** How the connection ended, as a CloseEvent says it. */
export interface CloseDetails {
  /** The peer's close code (1005: it sent none); ours when we failed it; 1006 when no Close came. */
  code: number;
  /** The reason that came with `code` (for a failure of ours, what went wrong). */
  reason: string;
  /** True when both Close frames crossed. */
  wasClean: boolean;
}

/** What the session tells its owner (the Hono glue); every call is made at most once per event. */
export interface SessionHandlers {
  /** The 101 is out: the connection is open, and sending works. */
  onOpen(): void;
  /** A complete message (fragments joined, text checked as UTF-8). */
  onMessage(message: Message): void;
  /** The connection failed: the peer broke a rule, stopped reading, or went silent. `onClose` follows. */
  onError(error: WebSocketError): void;
  /** The connection has ended (the socket is being taken down); called once. */
  onClose(details: CloseDetails): void;
}

/** WebSocket's readyState values: CONNECTING, OPEN, CLOSING, CLOSED. */
export type ReadyState = 0 | 1 | 2 | 3;

/** Reading pauses while more than this waits to be written. */
const highWaterMark = 64 * 1024;
/** At most this much of the queue goes to the socket in one write. */
const maxWriteSize = 256 * 1024;
/** After our half-close, how long we wait for the peer to close its side. */
const lingerTimeout = 1000;

const stateToReadyState: Record<ConnectionState, ReadyState> = { open: 1, closing: 2, closed: 3 };

/** One WebSocket connection's I/O; `run` drives it once the 101 is out. */
export class WebSocketSession {
  /** The subprotocol selected in the handshake, or null. */
  readonly protocol: string | null;
  readonly #ws: WebSocketConnection;
  readonly #handlers: SessionHandlers;
  readonly #idleTimeout: number;
  readonly #closeTimeout: number;
  readonly #maxBuffered: number;
  #conn: Duplex | null = null;
  #queue: Uint8Array[] = [];
  #bufferedAmount = 0;
  #writing = false;
  #drained: (() => void)[] = [];
  #lastHeard = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set once the connection has ended, with how; the socket is then being taken down. */
  #ended: CloseDetails | null = null;
  #peerEof = false;
  /** The socket is being dropped: nothing more is written. */
  #dropped = false;
  #peerEofSeen: (() => void) | null = null;

  /** A session that reports to `handlers` once `run` starts it; `protocol` is the subprotocol the 101 selected. */
  constructor(handlers: SessionHandlers, limits: WebSocketLimits = {}, protocol: string | null = null) {
    this.protocol = protocol;
    this.#handlers = handlers;
    this.#ws = new WebSocketConnection({
      role: "server",
      maxMessageSize: limits.maxMessageSize ?? defaultMaxMessageSize,
    });
    this.#idleTimeout = limits.idleTimeout ?? 120_000;
    this.#closeTimeout = limits.closeTimeout ?? 5_000;
    this.#maxBuffered = limits.maxBufferedAmount ?? 16 * 1024 * 1024;
  }

  /** 0 before the 101 is out, 1 open, 2 closing (our Close is out), 3 closed. */
  get readyState(): ReadyState {
    if (this.#ended) return 3;
    return this.#conn === null ? 0 : stateToReadyState[this.#ws.state];
  }

  /** Bytes queued and not yet taken by the socket. */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** Sends a message; ignored unless open (as a browser's WebSocket ignores sends once closing). */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 1) return;
    if (this.#bufferedAmount > this.#maxBuffered) {
      return this.#drop(new WebSocketError("backpressure_limit", `${this.#bufferedAmount} bytes wait for the peer`));
    }
    this.#ws.send(typeof data === "string" ? data : bytesOf(data));
    this.#flush();
  }

  /** Sends a Ping (at most 125 bytes); the peer's Pong counts as activity. */
  ping(data?: Uint8Array): void {
    if (this.readyState === 1 && this.#ws.ping(data)) this.#flush();
  }

  /**
   * Starts the close handshake with `code` (default 1000) and `reason`. A RangeError for a code that may not
   * be sent (RFC 6455 §7.4) or a reason over 123 bytes. Ignored unless open.
   */
  close(code: number = CloseCode.normal, reason = ""): void {
    if (this.readyState !== 1) return;
    this.#ws.close(code, reason);
    this.#flush();
    this.#schedule(this.#closeTimeout);
  }

  /**
   * Runs the session over `conn`: `buffered` are bytes already read past the handshake, `signal` starts a
   * close with 1001 (server shutdown). Resolves once the socket is closed; never rejects.
   */
  async run(conn: Duplex, buffered: Uint8Array, signal?: AbortSignal): Promise<void> {
    this.#conn = conn;
    const onAbort = () => this.#closeFor("shutdown");
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#heard();
    try {
      this.#call(() => this.#handlers.onOpen());
      if (signal?.aborted) onAbort();
      if (buffered.length > 0) this.#receive(buffered);
      await this.#readLoop(conn);
    } catch (error) {
      // Only a bug of ours gets here: the connection cannot be trusted any more, so it is dropped.
      console.error("WebSocket session failed:", error);
      this.#end({ code: CloseCode.abnormal, reason: "", wasClean: false }, "abrupt");
      await conn.closed;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(this.#timer);
    }
  }

  async #readLoop(conn: Duplex): Promise<void> {
    for (;;) {
      while (this.#bufferedAmount > highWaterMark && this.#ended === null) await this.#whenDrained();
      const chunk = await conn.read().catch(() => null);
      if (chunk === null) break;
      this.#heard();
      this.#receive(chunk);
    }
    this.#peerEof = true;
    this.#peerEofSeen?.();
    // The peer closed (or the socket went) without completing the close handshake: §7.1.5, code 1006.
    this.#end({ code: CloseCode.abnormal, reason: "", wasClean: false }, "abrupt");
    await conn.closed;
  }

  #receive(bytes: Uint8Array): void {
    for (const event of this.#ws.receive(bytes)) {
      switch (event.type) {
        case "text":
        case "binary":
          this.#call(() => this.#handlers.onMessage(event));
          break;
        case "close":
          this.#flush();
          this.#end({ code: event.code, reason: event.reason, wasClean: true }, "graceful");
          break;
        case "failed":
          this.#flush();
          this.#call(() => this.#handlers.onError(event.error));
          this.#end({ code: event.error.closeCode, reason: event.error.message, wasClean: false }, "graceful");
          break;
      }
    }
    this.#flush();
  }

  /** A local reason to close: the handshake with the error's code (1001), the socket dropped if unanswered. */
  #closeFor(name: WebSocketErrorName): void {
    if (this.readyState !== 1) return;
    const error = new WebSocketError(name);
    this.#ws.close(error.closeCode, name.replace("_", " "));
    this.#flush();
    this.#schedule(this.#closeTimeout);
  }

  /** Fails without a Close frame (it could not be delivered): the queue is dropped with the socket. */
  #drop(error: WebSocketError): void {
    if (this.#ended) return;
    this.#queue = [];
    this.#bufferedAmount = 0;
    this.#call(() => this.#handlers.onError(error));
    this.#end({ code: CloseCode.abnormal, reason: "", wasClean: false }, "abrupt");
  }

  /** The connection has ended: tell the app once, then take the socket down. */
  #end(details: CloseDetails, how: "graceful" | "abrupt"): void {
    if (this.#ended) return;
    this.#ended = details;
    clearTimeout(this.#timer);
    this.#call(() => this.#handlers.onClose(details));
    if (how === "abrupt") {
      this.#dropped = true;
      this.#conn?.close();
    } else void this.#shutDownGracefully();
  }

  /** §7.1.1: the rest of our queue, our half-close, the peer's (briefly), then the socket. */
  async #shutDownGracefully(): Promise<void> {
    const conn = this.#conn!;
    try {
      await within(this.#whenFlushed(), this.#closeTimeout);
      if (this.#bufferedAmount === 0) {
        await conn.closeWrite();
        if (!this.#peerEof) await within(new Promise<void>((r) => (this.#peerEofSeen = r)), lingerTimeout);
      }
    } catch { /* closing anyway */ }
    conn.close();
  }

  /** One timer serves the idle timeout, the idle Ping and the close timeout, re-armed as time passes. */
  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#ended === null) this.#timer = setTimeout(() => this.#onTimer(), ms);
  }

  #heard(): void {
    this.#lastHeard = Date.now();
    if (this.#ws.state === "open") this.#schedule(this.#idleTimeout / 2);
  }

  #onTimer(): void {
    if (this.#ended) return;
    if (this.#ws.state !== "open") {
      // Our Close went unanswered (§7.1.1 lets us drop the connection then).
      return this.#drop(new WebSocketError("close_timeout", `no Close from the peer within ${this.#closeTimeout} ms`));
    }
    const silent = Date.now() - this.#lastHeard;
    if (silent >= this.#idleTimeout) return this.#closeFor("idle_timeout");
    if (silent >= this.#idleTimeout / 2) this.ping();
    this.#schedule(this.#idleTimeout - silent);
  }

  /** Moves what the connection queued into our write queue and starts writing. */
  #flush(): void {
    if (this.#ws.outputBytes === 0 || this.#conn === null) return;
    const out = this.#ws.takeOutput();
    if (this.#dropped) return;
    this.#queue.push(out);
    this.#bufferedAmount += out.length;
    if (!this.#writing) void this.#writeQueue(this.#conn);
  }

  async #writeQueue(conn: Duplex): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const chunk = takeUpTo(this.#queue, maxWriteSize);
        await conn.write(chunk);
        this.#bufferedAmount -= chunk.length;
      }
    } catch {
      this.#queue = [];
      this.#bufferedAmount = 0;
      this.#end({ code: CloseCode.abnormal, reason: "", wasClean: false }, "abrupt");
    } finally {
      this.#writing = false;
      const waiting = this.#drained;
      this.#drained = [];
      for (const wake of waiting) wake();
    }
  }

  #whenDrained(): Promise<void> {
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #whenFlushed(): Promise<void> {
    return this.#writing ? this.#whenDrained() : Promise.resolve();
  }

  /** Runs an app callback; a throw is reported, and never breaks the session. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      console.error("WebSocket handler failed:", error);
    }
  }
}

/** Waits for `promise`, or `ms`, whichever comes first. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Joins queued frames into one write of at most `max` bytes (a larger frame goes alone). */
function takeUpTo(queue: Uint8Array[], max: number): Uint8Array {
  const first = queue.shift()!;
  if (queue.length === 0 || first.length + queue[0].length > max) return first;
  const parts = [first];
  let size = first.length;
  while (queue.length > 0 && size + queue[0].length <= max) {
    const next = queue.shift()!;
    parts.push(next);
    size += next.length;
  }
  return concat(parts, size);
}

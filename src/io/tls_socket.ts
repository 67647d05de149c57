/**
 * Runs a sans-IO TLS connection over a transport `Duplex`, and is itself a `Duplex` of application bytes:
 * the HTTP layer cannot tell it from a plain socket. This is the only place where engine output meets a
 * socket, and where the handshake deadline lives (the engine has no timers).
 *
 * Writes are serialized through one chain, so records reach the socket in the order the engine made them.
 * Engine output is taken when the chain gets to it, not when it was made: everything queued meanwhile
 * (several writes, a response and the close_notify after it, tickets and a first response) goes out in
 * one transport write.
 */
import type { Duplex, NetAddr } from "../net/duplex.ts";
import type { TlsConnection } from "../tls/connection.ts";
import type { ConnectionInfo } from "../tls/connection_info.ts";
import type { TlsEvent } from "../tls/events.ts";

/** `handshakeComplete`'s promise and its settling functions (Promise.withResolvers is newer than Node 20). */
interface Completion {
  promise: Promise<ConnectionInfo>;
  resolve: (info: ConnectionInfo) => void;
  reject: (error: Error) => void;
}

/** The write chain's start: one settled promise shared by every socket. */
const settled: Promise<void> = Promise.resolve();

/** How long `close()` lets queued bytes drain before it drops the transport anyway. */
const closeGrace = 2_000;

/** Options of a `TlsSocket`. */
export interface TlsSocketOptions {
  /** Milliseconds for the whole handshake; a peer that stalls longer is dropped. */
  handshakeTimeout?: number;
}

/** A TLS connection over a transport duplex, and itself a duplex of application bytes; `listenTls` and `connectTls` make them. */
export class TlsSocket<C extends TlsConnection = TlsConnection> implements Duplex {
  /** Application data not read yet; null while there is none (most of an idle connection's life). */
  private incoming: { data: Uint8Array; early: boolean }[] | null = null;
  /** Why the handshake failed, for `handshakeComplete` (made only when someone asks for it). */
  private completionError: Error | null = null;
  private completion: Completion | null = null;
  /** True when the chunk last returned by `read()` arrived as 0-RTT early data (RFC 8446 §2.3). */
  lastReadWasEarlyData = false;
  /**
   * True when the chunk last returned by `read()` belongs to a run of early bytes: it arrived before the
   * handshake completed, or it follows such a chunk and was itself read as early data (a request pipelined in
   * the 0-RTT flight). `serve()` marks a request early by it (RFC 8470 §5.1).
   */
  readInEarlyRun = false;
  private sawEarly = false;
  private earlyInfo: ConnectionInfo | null = null;
  private writeChain: Promise<void> = settled;
  /** The transport write that will carry whatever the engine queues before it starts; null once it has. */
  private pendingFlush: Promise<void> | null = null;
  private eof = false;
  private failure: Error | null = null;
  private handshakeInfo: ConnectionInfo | null = null;
  private reading: Promise<void> | null = null;
  /** Transport bytes received so far (the connection budget tells a silent connection by it). */
  bytesReceived = 0;
  /** Events other than data (key updates, tickets, client certificates) for whoever wants them. */
  onEvent?: (event: TlsEvent) => void;
  /** `waitForEvent` callers; null while there are none. */
  private watchers: Set<(event: TlsEvent) => boolean> | null = null;

  /** Runs `engine` over `transport`; the handshake starts when the socket is first read or `handshake()` is called. */
  constructor(readonly transport: Duplex, readonly engine: C, private readonly options: TlsSocketOptions = {}) {}

  /** Resolves when the handshake is complete (after any 0-RTT data); rejects if the connection fails first. */
  get handshakeComplete(): Promise<ConnectionInfo> {
    if (this.completion === null) {
      const c = this.completion = {} as Completion;
      c.promise = new Promise((resolve, reject) => (c.resolve = resolve, c.reject = reject));
      c.promise.catch(() => {}); // observed through handshake() and read() as well
      this.settleCompletion();
    }
    return this.completion.promise;
  }

  /** The handshake failed (the first error wins); `handshakeComplete` rejects with it, if anyone asked. */
  private rejectComplete(error: Error): void {
    if (this.handshakeInfo === null) this.completionError ??= error;
    this.settleCompletion();
  }

  /** Settles the `handshakeComplete` promise, made only on demand, with whatever is known by now. */
  private settleCompletion(): void {
    const c = this.completion;
    if (c === null) return;
    if (this.handshakeInfo !== null) c.resolve(this.handshakeInfo);
    else if (this.completionError !== null) c.reject(this.completionError);
  }

  /** Our end of the transport connection. */
  get localAddr(): NetAddr {
    return this.transport.localAddr;
  }

  /** The peer's end of the transport connection. */
  get remoteAddr(): NetAddr {
    return this.transport.remoteAddr;
  }

  get closed(): Promise<void> {
    return this.transport.closed;
  }

  /** The handshake is complete (the peer's Finished verified): no more early data can arrive. */
  get established(): boolean {
    return this.handshakeInfo !== null;
  }

  /** What the handshake negotiated; null before the server's flight (or, for 0-RTT, its acceptance). */
  get info(): ConnectionInfo | null {
    return this.handshakeInfo ?? this.earlyInfo;
  }

  /**
   * Drives the handshake to completion (sending whatever the engine already queued, e.g. a ClientHello), or,
   * on a server that accepted 0-RTT, until then: early data can be read and answered before the client's
   * Finished (`handshakeComplete` tells when that arrived). Rejects with the TlsAlert that ended it, or on
   * timeout or EOF; the socket is closed then.
   */
  async handshake(): Promise<ConnectionInfo> {
    const timeout = this.options.handshakeTimeout ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`TLS handshake timed out after ${timeout} ms`)), timeout);
    });
    try {
      this.flush();
      while (!this.handshakeInfo && !this.earlyInfo) {
        await Promise.race([this.pump(), deadline]);
        if (this.failure) throw this.failure;
        if (this.eof && !this.handshakeInfo) throw new Error("connection closed during the TLS handshake");
      }
      return (this.handshakeInfo ?? this.earlyInfo)!;
    } catch (err) {
      this.rejectComplete(err as Error);
      await this.writeChain.catch(() => {});
      this.transport.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Not an async function: an idle connection waits here, and a promise chain holds less than a suspended frame. */
  read(): Promise<Uint8Array | null> {
    const incoming = this.incoming;
    if (incoming !== null) {
      const next = incoming.shift()!;
      if (incoming.length === 0) this.incoming = null;
      this.lastReadWasEarlyData = next.early;
      this.sawEarly = next.early || (this.sawEarly && !this.established);
      this.readInEarlyRun = this.sawEarly || !this.established;
      return Promise.resolve(next.data);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.eof) return Promise.resolve(null);
    return this.pump().then(() => this.read());
  }

  write(data: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      this.engine.send(data);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.flush();
  }

  /** Sends close_notify (RFC 8446 §6.1); the TCP connection stays open for the peer's answer. */
  closeWrite(): Promise<void> {
    if (this.engine.isClosed) return this.writeChain;
    this.engine.close();
    return this.flush();
  }

  /**
   * close_notify if still possible, then the socket goes down once queued bytes are out, or after
   * `closeGrace` ms if they cannot go out (a peer that does not read would otherwise keep it open forever).
   */
  close(): void {
    if (!this.engine.isClosed && this.engine.isHandshakeComplete) this.engine.close();
    const grace = setTimeout(() => this.transport.close(), closeGrace);
    this.flush().catch(() => {}).finally(() => {
      clearTimeout(grace);
      this.transport.close();
    });
  }

  /** Sends KeyUpdate (RFC 8446 §4.6.3). */
  updateKeys(requestPeerUpdate = false): Promise<void> {
    this.engine.updateKeys(requestPeerUpdate);
    return this.flush();
  }

  /**
   * Hands everything the engine produced (and whatever it produces before the write starts) to the
   * transport, in order; resolves once the transport has taken it.
   */
  flush(): Promise<void> {
    if (this.pendingFlush !== null) return this.pendingFlush;
    if (!this.engine.hasOutput) return this.writeChain;
    const flush = this.writeChain.then(() => {
      this.pendingFlush = null;
      const out = this.engine.takeOutput();
      return out.length > 0 ? this.transport.write(out) : undefined;
    });
    this.pendingFlush = flush;
    // A failed write is reported to the writer; readers learn of it through EOF.
    this.writeChain = flush.catch(() => {});
    return flush;
  }

  /** Reads one transport chunk into the engine. Concurrent callers share the same read. */
  private pump(): Promise<void> {
    return this.reading ??= this.transport.read().then((chunk) => this.received(chunk), (err) => {
      this.reading = null;
      throw err;
    });
  }

  /** One chunk through the engine (end of stream before the handshake fails it); the read stays shared until its events are dispatched. */
  private received(chunk: Uint8Array | null): Promise<void> | undefined {
    if (chunk === null) {
      this.reading = null;
      this.eof = true;
      if (!this.handshakeInfo) this.rejectComplete(new Error("connection closed before the handshake completed"));
      return;
    }
    this.bytesReceived += chunk.length;
    return this.engine.receive(chunk).then((events) => {
      try {
        this.flush().catch(() => {});
        for (const e of events) this.dispatch(e);
      } finally {
        this.reading = null;
      }
    }, (err) => {
      this.reading = null;
      throw err;
    });
  }

  /** Applies one engine event to the socket (data to read, handshake result, end of stream, failure), then tells watchers. */
  private dispatch(e: TlsEvent): void {
    switch (e.type) {
      case "data":
      case "early_data":
        (this.incoming ??= []).push({ data: e.data, early: e.type === "early_data" });
        break;
      case "early_data_accepted":
        this.earlyInfo = e.info;
        break;
      case "handshake_complete":
        this.handshakeInfo = e.info;
        this.settleCompletion();
        break;
      case "peer_closed":
        this.eof = true;
        break;
      case "failed":
        this.rejectComplete(e.alert);
        this.failure = e.alert;
        this.eof = true;
        this.writeChain.catch(() => {}).finally(() => this.transport.close());
        break;
    }
    this.onEvent?.(e);
    const watchers = this.watchers;
    if (watchers !== null) { for (const w of watchers) if (w(e)) watchers.delete(w); }
  }

  /**
   * Reads from the peer until an event satisfies `match` (application data read meanwhile stays queued for
   * `read()`, up to `maxBuffered` bytes). Rejects on timeout, on EOF, when the connection fails, or when the
   * peer sends more unread data than allowed while we wait.
   */
  async waitForEvent<E extends TlsEvent>(
    match: (e: TlsEvent) => e is E,
    options: { timeout: number; maxBuffered: number },
  ): Promise<E> {
    let found: E | null = null;
    const watcher = (e: TlsEvent) => match(e) ? (found = e, true) : false;
    (this.watchers ??= new Set()).add(watcher);
    const started = Date.now();
    try {
      while (found === null) {
        if (this.failure) throw this.failure;
        if (this.eof) throw new Error("connection closed while waiting");
        const left = options.timeout - (Date.now() - started);
        if (left <= 0) throw new Error(`no answer within ${options.timeout} ms`);
        if ((this.incoming ?? []).reduce((n, c) => n + c.data.length, 0) > options.maxBuffered) {
          throw new Error("the peer sent too much data while we waited");
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([this.pump(), new Promise<void>((r) => (timer = setTimeout(r, left)))]);
        clearTimeout(timer);
      }
      return found;
    } finally {
      this.watchers?.delete(watcher);
    }
  }
}

/**
 * Runs a sans-IO TLS connection over a transport `Duplex`, and is itself a `Duplex` of application bytes:
 * the HTTP layer cannot tell it from a plain socket. This is the only place where engine output meets a
 * socket, and where the handshake deadline lives (the engine has no timers).
 *
 * Writes are serialized through one chain, so records reach the socket in the order the engine made them.
 */
import type { Duplex, NetAddr } from "../transport/types.ts";
import type { TlsConnection } from "../tls/connection.ts";
import type { ConnectionInfo } from "../tls/connection_info.ts";
import type { TlsEvent } from "../tls/events.ts";

export interface TlsSocketOptions {
  /** Milliseconds for the whole handshake; a peer that stalls longer is dropped. */
  handshakeTimeout?: number;
}

export class TlsSocket<C extends TlsConnection = TlsConnection> implements Duplex {
  private readonly incoming: Uint8Array[] = [];
  private writeChain: Promise<void> = Promise.resolve();
  private eof = false;
  private failure: Error | null = null;
  private handshakeInfo: ConnectionInfo | null = null;
  private reading: Promise<void> | null = null;
  /** Events other than data (key updates, tickets, client certificates) for whoever wants them. */
  onEvent?: (event: TlsEvent) => void;

  constructor(readonly transport: Duplex, readonly engine: C, private readonly options: TlsSocketOptions = {}) {}

  get localAddr(): NetAddr {
    return this.transport.localAddr;
  }

  get remoteAddr(): NetAddr {
    return this.transport.remoteAddr;
  }

  get closed(): Promise<void> {
    return this.transport.closed;
  }

  /** What the handshake negotiated; null before it completes. */
  get info(): ConnectionInfo | null {
    return this.handshakeInfo;
  }

  /**
   * Drives the handshake to completion (sending whatever the engine already queued, e.g. a ClientHello).
   * Rejects with the TlsAlert that ended it, or on timeout or EOF; the socket is closed then.
   */
  async handshake(): Promise<ConnectionInfo> {
    const timeout = this.options.handshakeTimeout ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`TLS handshake timed out after ${timeout} ms`)), timeout);
    });
    try {
      this.flush();
      while (!this.handshakeInfo) {
        await Promise.race([this.pump(), deadline]);
        if (this.failure) throw this.failure;
        if (this.eof && !this.handshakeInfo) throw new Error("connection closed during the TLS handshake");
      }
      return this.handshakeInfo;
    } catch (err) {
      await this.writeChain.catch(() => {});
      this.transport.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.incoming.length > 0) return this.incoming.shift()!;
      if (this.failure) throw this.failure;
      if (this.eof) return null;
      await this.pump();
    }
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

  /** close_notify if still possible, then the socket goes down once queued bytes are out. */
  close(): void {
    if (!this.engine.isClosed && this.engine.isHandshakeComplete) this.engine.close();
    this.flush().catch(() => {}).finally(() => this.transport.close());
  }

  /** Sends KeyUpdate (RFC 8446 §4.6.3). */
  updateKeys(requestPeerUpdate = false): Promise<void> {
    this.engine.updateKeys(requestPeerUpdate);
    return this.flush();
  }

  /** Hands everything the engine produced to the transport, in order. */
  flush(): Promise<void> {
    const out = this.engine.takeOutput();
    if (out.length > 0) {
      this.writeChain = this.writeChain.then(() => this.transport.write(out));
      // A failed write is reported to the writer; readers learn of it through EOF.
      this.writeChain.catch(() => {});
    }
    return this.writeChain;
  }

  /** Reads one transport chunk into the engine. Concurrent callers share the same read. */
  private pump(): Promise<void> {
    this.reading ??= this.pumpOnce().finally(() => (this.reading = null));
    return this.reading;
  }

  private async pumpOnce(): Promise<void> {
    const chunk = await this.transport.read();
    if (chunk === null) {
      this.eof = true;
      return;
    }
    const events = await this.engine.receive(chunk);
    this.flush().catch(() => {});
    for (const e of events) this.dispatch(e);
  }

  private dispatch(e: TlsEvent): void {
    switch (e.type) {
      case "data":
      case "early_data":
        this.incoming.push(e.data);
        break;
      case "handshake_complete":
        this.handshakeInfo = e.info;
        break;
      case "peer_closed":
        this.eof = true;
        break;
      case "failed":
        this.failure = e.alert;
        this.eof = true;
        this.writeChain.catch(() => {}).finally(() => this.transport.close());
        break;
    }
    this.onEvent?.(e);
  }
}


/**
 * The one byte-duplex interface that every runtime's sockets are turned into (Deno.listen, Bun.listen,
 * node:net). Adapters only move bytes; nothing above this line names a runtime.
 *
 * Backpressure both ways: `read()` pulls one chunk when the caller is ready for it (the adapter pauses the
 * socket while nobody reads), and `write()` resolves only once the runtime has taken the bytes into its
 * send buffer, so a peer that stops reading stops the writer instead of growing memory.
 */

export interface NetAddr {
  address: string;
  port: number;
  family: "IPv4" | "IPv6";
}

export interface Duplex {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  /** The next chunk from the peer, or null once the peer has closed its side (EOF) or the socket is gone. */
  read(): Promise<Uint8Array | null>;
  /**
   * Resolves when the bytes are handed to the runtime; rejects if the socket is closed. The caller must not reuse
   * `data`. A write may be issued before the previous one resolved: writes go out in call order.
   */
  write(data: Uint8Array): Promise<void>;
  /** Half-close: no more writes from us (FIN), after the writes already issued. Reads continue. */
  closeWrite(): Promise<void>;
  /** Tears the socket down; pending reads resolve null and pending writes reject. Idempotent. */
  close(): void;
  /** Resolves once the socket is fully closed. */
  readonly closed: Promise<void>;
}

export interface Listener extends AsyncIterable<Duplex> {
  readonly addr: NetAddr;
  /** Stops accepting; the async iterator ends. Open connections are not touched. */
  close(): Promise<void>;
}

export interface ListenOptions {
  hostname?: string;
  port: number;
}

export interface ConnectOptions {
  hostname: string;
  port: number;
}

/** What each runtime adapter (deno.ts, bun.ts, node.ts) exports. */
export interface Transport {
  readonly runtime: "deno" | "bun" | "node";
  listen(options: ListenOptions): Promise<Listener>;
  connect(options: ConnectOptions): Promise<Duplex>;
}

/**
 * The byte stream every layer agrees on: what a transport adapter (src/transport) produces, what a TLS
 * socket (src/io) is on both sides, and what the HTTP/1.1 server and client (src/http) run over.
 *
 * It lives in a folder of its own, below all three, so that none of them has to import another to name
 * it: the HTTP layer runs over plain TCP or TLS without knowing which, and without depending on the
 * runtime adapters (DESIGN.md, "Data flows one way").
 *
 * Backpressure both ways: `read()` pulls one chunk when the caller is ready for it (an adapter pauses the
 * socket while nobody reads), and `write()` resolves only once the bytes are taken (by the runtime's send
 * buffer, or the TLS engine and then the transport), so a peer that stops reading stops the writer instead
 * of growing memory.
 */

/** A TCP endpoint. */
export interface NetAddr {
  /** IP address, e.g. "127.0.0.1" or "::1". */
  address: string;
  /** TCP port. */
  port: number;
  /** Address family. */
  family: "IPv4" | "IPv6";
}

/** A connection as bytes in and out, with backpressure: a runtime's TCP socket, or a TLS socket over one. */
export interface Duplex {
  /** Our end. */
  readonly localAddr: NetAddr;
  /** The peer's end. */
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

/**
 * Deno's TCP connections as a `Duplex`. Deno reads only when asked (`conn.read` into our buffer), so backpressure
 * on the read side comes for free; `conn.write` may take part of a buffer, so writes loop until all is taken.
 */
import type { ConnectOptions, Duplex, Listener, ListenOptions, NetAddr, Transport } from "./types.ts";

/**
 * Deno reads into a buffer we give it, and an idle connection holds its buffer for as long as its read
 * waits: so the first read is sized for a ClientHello (even with a post-quantum key share), a connection
 * whose reads fill the buffer gets one twice as big (up to four full TLS records), and one whose reads
 * stay small goes back down, to what a small request needs: after its handshake, an idle connection waits
 * with a 512-byte buffer.
 */
const FIRST_READ_SIZE = 2 * 1024;
const MIN_READ_SIZE = 512;
const MAX_READ_SIZE = 64 * 1024;

/** The write chain's start: one settled promise shared by every connection. */
const settled: Promise<void> = Promise.resolve();

function netAddr(addr: Deno.Addr): NetAddr {
  const { hostname, port } = addr as Deno.NetAddr;
  return { address: hostname, port, family: hostname.includes(":") ? "IPv6" : "IPv4" };
}

class DenoDuplex implements Duplex {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly closed: Promise<void>;
  #conn: Deno.TcpConn;
  #buffer = new Uint8Array(FIRST_READ_SIZE);
  #reading = false;
  #eof = false;
  #writeClosed = false;
  #gone = false;
  /** Writes run one after another, so that two callers' partial writes never interleave. */
  #writes: Promise<void> = settled;
  #resolveClosed!: () => void;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    conn.setNoDelay(true);
    this.localAddr = netAddr(conn.localAddr);
    this.remoteAddr = netAddr(conn.remoteAddr);
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /** Not an async function: an idle connection waits here, and a promise chain holds less than a suspended frame. */
  read(): Promise<Uint8Array | null> {
    if (this.#reading) return Promise.reject(new Error("read() is already pending"));
    if (this.#eof || this.#gone) return Promise.resolve(null);
    this.#reading = true;
    return this.#conn.read(this.#buffer).then((n) => this.#afterRead(n), () => {
      // Reset by the peer, or closed by us while waiting: either way there is nothing more to read.
      this.close();
      return this.#afterRead(null);
    });
  }

  #afterRead(n: number | null): Uint8Array | null {
    this.#reading = false;
    if (n === null) {
      this.#eof = true;
      if (this.#writeClosed) this.close();
      return null;
    }
    return this.#take(n);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#gone || this.#writeClosed) return Promise.reject(new Error("socket is closed for writing"));
    const done = this.#writes.then(() => this.#writeAll(data));
    this.#writes = done.catch(() => {});
    return done;
  }

  async closeWrite(): Promise<void> {
    if (this.#gone || this.#writeClosed) return;
    this.#writeClosed = true;
    await this.#writes;
    if (this.#gone) return;
    try {
      await this.#conn.closeWrite();
    } catch {
      return this.close();
    }
    if (this.#eof) this.close();
  }

  close(): void {
    if (this.#gone) return;
    this.#gone = true;
    try {
      this.#conn.close();
    } catch { /* already closed by the runtime */ }
    this.#resolveClosed();
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      if (this.#gone) throw new Error("socket is closed");
      try {
        offset += await this.#conn.write(data.subarray(offset));
      } catch (err) {
        this.close();
        throw err;
      }
    }
  }

  /**
   * Hands out the filled part of the read buffer and sizes the next one: twice as big after a full read, a
   * quarter as big after one that used less than a quarter (one small read, e.g. a request after the handshake,
   * and an idle connection waits with the smallest buffer). A small read is copied out, so that its buffer
   * (already the right size, or soon smaller) is not kept alive by a chunk of a few bytes.
   */
  #take(n: number): Uint8Array {
    const size = this.#buffer.length;
    const next = n === size
      ? Math.min(size * 2, MAX_READ_SIZE)
      : n < size / 4
      ? Math.max(size / 4, MIN_READ_SIZE)
      : size;
    if (n < size / 4) {
      const chunk = this.#buffer.slice(0, n);
      if (next !== size) this.#buffer = new Uint8Array(next);
      return chunk;
    }
    const chunk = this.#buffer.subarray(0, n);
    this.#buffer = new Uint8Array(next);
    return chunk;
  }
}

/** Milliseconds an accept loop waits when the process has no file descriptor left. */
const outOfFilesPause = 50;

class DenoListener implements Listener {
  readonly addr: NetAddr;
  #listener: Deno.TcpListener;
  #closed = false;

  constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    this.addr = netAddr(listener.addr);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Duplex> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        // A client that gave up between SYN and accept is its own problem, not the listener's.
        if (err instanceof Deno.errors.ConnectionAborted || err instanceof Deno.errors.ConnectionReset) continue;
        // Out of file descriptors (EMFILE, ENFILE): the pending connections wait in the backlog until some
        // close; the listener itself must not die of it.
        if (/os error 2[34]\b/.test(String(err))) {
          await new Promise((resolve) => setTimeout(resolve, outOfFilesPause));
          continue;
        }
        throw err;
      }
      yield new DenoDuplex(conn);
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    return Promise.resolve();
  }
}

export const transport: Transport = {
  runtime: "deno",

  // deno-lint-ignore require-await
  async listen({ hostname = "0.0.0.0", port }: ListenOptions): Promise<Listener> {
    return new DenoListener(Deno.listen({ hostname, port, transport: "tcp" }));
  },

  async connect({ hostname, port }: ConnectOptions): Promise<Duplex> {
    return new DenoDuplex(await Deno.connect({ hostname, port, transport: "tcp" }));
  },
};

/**
 * Bun's callback sockets (`Bun.listen`, `Bun.connect`) as a `Duplex`.
 *
 * Reads: Bun pushes chunks into a `data` handler. A chunk that arrives while no `read()` waits is queued and the
 * socket is paused (`socket.pause()` stops Bun polling the fd), so at most the chunks of one poll wait in memory
 * and the kernel's receive window holds the rest; `read()` resumes it when the queue is empty.
 * Writes: `socket.write` returns how many bytes the kernel took and keeps none of the rest, so the remainder waits
 * in our queue and is retried on `drain`; `write()` resolves once the kernel has taken the last byte.
 */
import { AcceptQueue } from "./accept_queue.ts";
import type { ConnectOptions, Duplex, Listener, ListenOptions, NetAddr, Transport } from "./types.ts";

// Bun's own types, from the bun-types package through deno.json's compilerOptions.types: its `bun` module and `Bun`
// namespace only, not its index, whose overrides of Node's and the web's globals would retype the rest of the tree.
// A socket's `data` slot carries its BunDuplex.
type BunSocket = Bun.Socket<BunDuplex>;
type BunServer = Bun.TCPSocketListener<BunDuplex>;
type SocketHandlers = Bun.SocketHandler<BunDuplex>;

function netAddr(address: string, port: number, family?: string): NetAddr {
  const v6 = family ? family === "IPv6" : address.includes(":");
  return { address, port, family: v6 ? "IPv6" : "IPv4" };
}

interface PendingWrite {
  data: Uint8Array;
  resolve: () => void;
  reject: (err: Error) => void;
}

class BunDuplex implements Duplex {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly closed: Promise<void>;
  #socket: BunSocket;
  #chunks: Uint8Array[] = [];
  #waiter: ((chunk: Uint8Array | null) => void) | null = null;
  /** Paused from the start: nobody reads yet. */
  #paused = true;
  #writes: PendingWrite[] = [];
  #flushed: (() => void)[] = [];
  #eof = false;
  #writeClosed = false;
  #gone = false;
  #resolveClosed!: () => void;

  constructor(socket: BunSocket) {
    this.#socket = socket;
    socket.pause();
    socket.setNoDelay(true);
    this.localAddr = netAddr(socket.localAddress, socket.localPort, socket.localFamily);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort, socket.remoteFamily);
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#waiter) return Promise.reject(new Error("read() is already pending"));
    const chunk = this.#chunks.shift();
    if (chunk) return Promise.resolve(chunk);
    if (this.#eof || this.#gone) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = resolve;
      if (this.#paused) {
        this.#paused = false;
        this.#socket.resume();
      }
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#gone || this.#writeClosed) return Promise.reject(new Error("socket is closed for writing"));
    return new Promise((resolve, reject) => {
      this.#writes.push({ data, resolve, reject });
      if (this.#writes.length === 1) this.onDrain();
    });
  }

  async closeWrite(): Promise<void> {
    if (this.#gone || this.#writeClosed) return;
    this.#writeClosed = true;
    if (this.#writes.length > 0) await new Promise<void>((resolve) => this.#flushed.push(resolve));
    if (this.#gone) return;
    this.#socket.shutdown();
    if (this.#eof) this.close();
  }

  close(): void {
    if (this.#gone) return;
    this.#socket.end();
    this.onClose();
  }

  onData(chunk: Uint8Array): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      return waiter(chunk);
    }
    this.#chunks.push(chunk);
    if (!this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  /** Writes as much of the queue as the kernel takes; called by write() and by Bun's `drain`. */
  onDrain(): void {
    while (this.#writes.length > 0 && !this.#gone) {
      const head = this.#writes[0];
      const n = this.#socket.write(head.data);
      if (n < 0) return this.close();
      if (n < head.data.length) {
        head.data = head.data.subarray(n);
        return;
      }
      this.#writes.shift();
      head.resolve();
    }
    if (this.#writes.length === 0) { for (const resolve of this.#flushed.splice(0)) resolve(); }
  }

  onEnd(): void {
    this.#eof = true;
    this.#wakeWithNull();
    if (this.#writeClosed && this.#writes.length === 0) this.close();
  }

  onClose(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#eof = true;
    this.#wakeWithNull();
    const err = new Error("socket closed");
    for (const pending of this.#writes.splice(0)) pending.reject(err);
    for (const resolve of this.#flushed.splice(0)) resolve();
    this.#resolveClosed();
  }

  #wakeWithNull(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.(null);
  }
}

/** One handler table for every socket; each socket's `data` slot carries its BunDuplex. */
function handlers(onOpen: (conn: BunDuplex) => void): SocketHandlers {
  return {
    open(socket) {
      socket.data = new BunDuplex(socket);
      onOpen(socket.data);
    },
    data: (socket, chunk) => socket.data?.onData(chunk),
    drain: (socket) => socket.data?.onDrain(),
    end: (socket) => socket.data?.onEnd(),
    close: (socket) => socket.data?.onClose(),
    // ECONNRESET and friends: Bun calls `close` next; swallowing here keeps one connection's error local.
    error: () => {},
    connectError: () => {},
  };
}

class BunListener implements Listener {
  readonly addr: NetAddr;
  #server: BunServer;
  #accepted = new AcceptQueue<Duplex>((conn) => conn.close());

  constructor(hostname: string, port: number) {
    this.#server = Bun.listen({ hostname, port, allowHalfOpen: true, socket: handlers((c) => this.#onOpen(c)) });
    this.addr = netAddr(this.#server.hostname, this.#server.port);
  }

  #onOpen(conn: Duplex): void {
    this.#accepted.push(conn);
  }

  [Symbol.asyncIterator](): AsyncIterator<Duplex> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    if (this.#accepted.closed) return Promise.resolve();
    // false: stop accepting but leave open connections alone.
    this.#server.stop(false);
    this.#accepted.close();
    return Promise.resolve();
  }
}

export const transport: Transport = {
  runtime: "bun",

  // deno-lint-ignore require-await
  async listen({ hostname = "0.0.0.0", port }: ListenOptions): Promise<Listener> {
    return new BunListener(hostname, port);
  },

  async connect({ hostname, port }: ConnectOptions): Promise<Duplex> {
    const socket = await Bun.connect({ hostname, port, allowHalfOpen: true, socket: handlers(() => {}) });
    return socket.data;
  },
};

/**
 * Node's `node:net` sockets as a `Duplex`. The socket stays paused unless a `read()` is waiting, so the
 * kernel's receive window (not our memory) absorbs a fast peer; `write()` resolves on Node's write
 * callback, which fires once libuv has handed the bytes to the kernel.
 */
import { AcceptQueue } from "./accept_queue.ts";
import * as net from "node:net";
import type { ConnectOptions, Duplex, Listener, ListenOptions, NetAddr, Transport } from "./types.ts";

function netAddr(address: string | undefined, port: number | undefined, family: string | undefined): NetAddr {
  const v6 = family === "IPv6" || (family === undefined && (address ?? "").includes(":"));
  return { address: address ?? "", port: port ?? 0, family: v6 ? "IPv6" : "IPv4" };
}

class NodeDuplex implements Duplex {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly closed: Promise<void>;
  #socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #waiter: ((chunk: Uint8Array | null) => void) | null = null;
  #eof = false;
  #writeClosed = false;
  #gone = false;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.pause();
    socket.setNoDelay(true);
    this.localAddr = netAddr(socket.localAddress, socket.localPort, socket.localFamily);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort, socket.remoteFamily);
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("end", () => this.#onEnd());
    // An error (ECONNRESET, EPIPE) is always followed by 'close'; listening here keeps it from crashing the process.
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.#gone = true;
        this.#eof = true;
        this.#wake(null);
        resolve();
      });
    });
  }

  read(): Promise<Uint8Array | null> {
    if (this.#waiter) return Promise.reject(new Error("read() is already pending"));
    const chunk = this.#chunks.shift();
    if (chunk) return Promise.resolve(chunk);
    if (this.#eof) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#socket.resume();
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#gone || this.#writeClosed) return Promise.reject(new Error("socket is closed for writing"));
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      // Node calls back without an error for a write cut short by destroy(), hence the `destroyed` test.
      socket.write(data, (err) => err || socket.destroyed ? reject(err ?? new Error("socket closed")) : resolve());
    });
  }

  closeWrite(): Promise<void> {
    if (this.#gone || this.#writeClosed) return Promise.resolve();
    this.#writeClosed = true;
    // end() queues the FIN behind pending writes; its callback runs on 'finish' (or with an error once destroyed).
    return new Promise((resolve) => this.#socket.end(() => resolve()));
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#waiter) return this.#wake(chunk);
    this.#chunks.push(chunk);
    this.#socket.pause();
  }

  #onEnd(): void {
    this.#eof = true;
    this.#wake(null);
  }

  #wake(chunk: Uint8Array | null): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    if (chunk === null) {
      waiter(this.#chunks.shift() ?? null);
      return;
    }
    waiter(chunk);
  }
}

class NodeListener implements Listener {
  readonly addr: NetAddr;
  #server: net.Server;
  #accepted = new AcceptQueue<Duplex>((conn) => conn.close());

  constructor(server: net.Server) {
    this.#server = server;
    const a = server.address() as net.AddressInfo;
    this.addr = netAddr(a.address, a.port, a.family);
    server.on("connection", (socket: net.Socket) => this.#onConnection(socket));
  }

  #onConnection(socket: net.Socket): void {
    const conn = new NodeDuplex(socket);
    this.#accepted.push(conn);
  }

  [Symbol.asyncIterator](): AsyncIterator<Duplex> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    if (this.#accepted.closed) return Promise.resolve();
    // server.close() stops accepting at once; its callback would wait for every open connection, so don't.
    this.#server.close();
    this.#accepted.close();
    return Promise.resolve();
  }
}

export const transport: Transport = {
  runtime: "node",

  listen({ hostname = "0.0.0.0", port }: ListenOptions): Promise<Listener> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    server.on("error", () => {});
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: hostname, port }, () => {
        server.off("error", reject);
        resolve(new NodeListener(server));
      });
    });
  },

  connect({ hostname, port }: ConnectOptions): Promise<Duplex> {
    const socket = net.connect({ host: hostname, port, allowHalfOpen: true, noDelay: true });
    socket.pause();
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new NodeDuplex(socket));
      });
    });
  },
};

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

/** Where a socket's listeners (shared by every socket, so none is a closure of its own) find its duplex. */
const duplexOf = Symbol("NodeDuplex");
type OwnedSocket = net.Socket & { [duplexOf]: NodeDuplex };

/** A socket error (ECONNRESET, EPIPE) is always followed by 'close'; listening keeps it from crashing the process. */
const ignore = () => {};

class NodeDuplex implements Duplex {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly closed: Promise<void>;
  #socket: net.Socket;
  /** Chunks that arrived while nobody read; null while there are none. */
  #chunks: Uint8Array[] | null = null;
  #waiter: ((chunk: Uint8Array | null) => void) | null = null;
  #eof = false;
  #writeClosed = false;
  #gone = false;
  #resolveClosed!: () => void;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.pause();
    socket.setNoDelay(true);
    this.localAddr = netAddr(socket.localAddress, socket.localPort, socket.localFamily);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort, socket.remoteFamily);
    (socket as OwnedSocket)[duplexOf] = this;
    socket.on("data", NodeDuplex.#onData);
    socket.on("end", NodeDuplex.#onEnd);
    socket.on("error", ignore);
    socket.on("close", NodeDuplex.#onClose);
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  static #onData(this: net.Socket, chunk: Uint8Array): void {
    const duplex = (this as OwnedSocket)[duplexOf];
    if (duplex.#waiter) return duplex.#wake(chunk);
    (duplex.#chunks ??= []).push(chunk);
    this.pause();
  }

  static #onEnd(this: net.Socket): void {
    const duplex = (this as OwnedSocket)[duplexOf];
    duplex.#eof = true;
    duplex.#wake(null);
  }

  static #onClose(this: net.Socket): void {
    const duplex = (this as OwnedSocket)[duplexOf];
    if (duplex.#gone) return;
    duplex.#gone = true;
    duplex.#eof = true;
    duplex.#wake(null);
    duplex.#resolveClosed();
  }

  read(): Promise<Uint8Array | null> {
    if (this.#waiter) return Promise.reject(new Error("read() is already pending"));
    const chunk = this.#shift();
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

  #shift(): Uint8Array | undefined {
    const chunks = this.#chunks;
    if (chunks === null) return undefined;
    const chunk = chunks.shift();
    if (chunks.length === 0) this.#chunks = null;
    return chunk;
  }

  #wake(chunk: Uint8Array | null): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    if (chunk === null) {
      waiter(this.#shift() ?? null);
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

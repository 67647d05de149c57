/**
 * Two connected in-memory Duplex ends, for testing the HTTP layer without sockets.
 *
 * Each direction is a pipe with a capacity: `write()` queues the bytes and resolves once the queue is at
 * or below the capacity, so a peer that does not read makes the writer wait, as a full socket send
 * buffer would. `closeWrite()` ends one direction (the peer reads what is queued, then null); `close()`
 * tears both directions down (our reads end, the peer's writes reject).
 */
import type { Duplex, NetAddr } from "../../src/net/duplex.ts";

class Pipe {
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #destroyed = false;
  #readers: ((chunk: Uint8Array | null) => void)[] = [];
  #drained: (() => void)[] = [];
  readonly capacity: number;
  /** Bytes that went through this pipe in total. */
  written = 0;
  /** Non-empty writes in total. */
  writes = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get queued(): number {
    return this.#queued;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#ended || this.#destroyed) return Promise.reject(new Error("pipe closed for writing"));
    if (data.length === 0) return Promise.resolve();
    const copy = data.slice();
    this.written += copy.length;
    this.writes++;
    const reader = this.#readers.shift();
    if (reader) {
      reader(copy);
      return Promise.resolve();
    }
    this.#chunks.push(copy);
    this.#queued += copy.length;
    if (this.#queued <= this.capacity) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#drained.push(() => this.#destroyed ? reject(new Error("pipe destroyed")) : resolve());
    });
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#queued -= chunk.length;
      if (this.#queued <= this.capacity) this.#wakeWriters();
      return Promise.resolve(chunk);
    }
    if (this.#ended || this.#destroyed) return Promise.resolve(null);
    return new Promise((resolve) => this.#readers.push(resolve));
  }

  /** No more writes; the reader gets what is queued, then null. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const reader of this.#readers.splice(0)) reader(null);
  }

  /** Drops what is queued; reads end, waiting writers reject. */
  destroy(): void {
    this.#destroyed = true;
    this.#chunks.length = 0;
    this.#queued = 0;
    this.end();
    this.#wakeWriters();
  }

  #wakeWriters(): void {
    for (const wake of this.#drained.splice(0)) wake();
  }
}

export class MemoryDuplex implements Duplex {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly closed: Promise<void>;
  readonly #inbound: Pipe;
  readonly #outbound: Pipe;
  #markClosed!: () => void;
  #isClosed = false;

  constructor(inbound: Pipe, outbound: Pipe, localAddr: NetAddr, remoteAddr: NetAddr) {
    this.#inbound = inbound;
    this.#outbound = outbound;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
    this.closed = new Promise((resolve) => this.#markClosed = resolve);
  }

  /** Bytes we have written that the peer has not read yet. */
  get unread(): number {
    return this.#outbound.queued;
  }

  /** Bytes we have written in total. */
  get bytesWritten(): number {
    return this.#outbound.written;
  }

  /** Non-empty `write()` calls we have made in total. */
  get writeCount(): number {
    return this.#outbound.writes;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  read(): Promise<Uint8Array | null> {
    return this.#inbound.read();
  }

  write(data: Uint8Array): Promise<void> {
    return this.#outbound.write(data);
  }

  closeWrite(): Promise<void> {
    this.#outbound.end();
    return Promise.resolve();
  }

  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#outbound.end();
    this.#inbound.destroy();
    this.#markClosed();
  }
}

export interface MemoryDuplexOptions {
  /** Bytes a direction holds before `write()` waits for the reader. Default 64 KiB. */
  capacity?: number;
}

/** [client end, server end]. */
export function memoryDuplexPair(options: MemoryDuplexOptions = {}): [MemoryDuplex, MemoryDuplex] {
  const capacity = options.capacity ?? 64 * 1024;
  const toServer = new Pipe(capacity);
  const toClient = new Pipe(capacity);
  const clientAddr: NetAddr = { address: "127.0.0.1", port: 50000, family: "IPv4" };
  const serverAddr: NetAddr = { address: "127.0.0.1", port: 8443, family: "IPv4" };
  return [
    new MemoryDuplex(toClient, toServer, clientAddr, serverAddr),
    new MemoryDuplex(toServer, toClient, serverAddr, clientAddr),
  ];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function writeText(conn: Duplex, text: string): Promise<void> {
  return conn.write(encoder.encode(text));
}

/** Everything the peer sends until it closes its side, as text. */
export async function readToEnd(conn: Duplex): Promise<string> {
  let text = "";
  for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/** Reads until `text` contains `marker` (or the peer closes); returns everything read. */
export async function readUntil(conn: Duplex, marker: string, already = ""): Promise<string> {
  let text = already;
  while (!text.includes(marker)) {
    const chunk = await conn.read();
    if (chunk === null) break;
    text += decoder.decode(chunk);
  }
  return text;
}

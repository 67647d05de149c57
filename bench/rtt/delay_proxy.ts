/**
 * A TCP proxy on loopback that adds a one-way latency in each direction and records the flights that cross it,
 * so that round trips can be counted from what was actually on the wire.
 *
 *   const proxy = await startDelayProxy({ target: { hostname: "127.0.0.1", port: 8443 }, delayMs: 50 });
 *   // connect clients to proxy.port; proxy.captures[i] is the i-th connection accepted
 *   countRoundTrips(proxy.captures[0], firstByteAt);
 *   await proxy.close();
 *
 * CLI: deno run -A bench/rtt/delay_proxy.ts --target 127.0.0.1:8443 [--port 9443] [--delay 50]
 * prints the flights of each connection when it closes.
 *
 * Delivery: every chunk read from one side is written to the other at `sent + delay`, never before a chunk that
 * arrived earlier in that direction (order kept), and a half-close (FIN) follows the last chunk the same way.
 *
 * TCP's own handshake: on loopback the client's connect() to the proxy completes at once, so a delay on data alone
 * would leave out the round trip every real connection pays before its first byte. With `emulateTcpHandshake` (the
 * default) the proxy holds what the client sends until SYN and SYN-ACK would have crossed (2 × delay after the
 * accept), and records those two as synthetic, empty flights: the ClientHello then reaches the server at 3 × delay,
 * as it would over a real path.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import process from "node:process";

export type Direction = "c2s" | "s2c";

export interface Chunk {
  dir: Direction;
  /** When the sender handed it over (ms, performance.now()); for a held client chunk, when it was let go. */
  sentAt: number;
  /** When the proxy wrote it to the other side. */
  deliveredAt: number;
  bytes: number;
  /** "SYN" / "SYN-ACK" for the emulated TCP handshake (0 bytes, nothing written). */
  synthetic?: string;
}

/** One connection through the proxy. */
export interface Capture {
  id: number;
  /** When the proxy accepted the client's connection (≈ the client's connect() on loopback). */
  acceptedAt: number;
  delayMs: number;
  chunks: Chunk[];
  /** Resolves once both sides are closed. */
  closed: Promise<void>;
}

/** Consecutive chunks in one direction. */
export interface Flight {
  dir: Direction;
  /** ms after the accept that its first chunk left the sender, and that its first and last chunk were delivered. */
  sentAt: number;
  firstDeliveredAt: number;
  lastDeliveredAt: number;
  bytes: number;
  chunks: number;
  synthetic?: string;
}

export interface DelayProxyOptions {
  target: { hostname: string; port: number };
  /** One-way latency added in each direction (ms), default 50. */
  delayMs?: number;
  /** Listening port on 127.0.0.1; default 0 (a free one). */
  port?: number;
  /** Hold the client's bytes for SYN/SYN-ACK (see above); default true. */
  emulateTcpHandshake?: boolean;
  /** Called when a connection has closed on both sides. */
  onClose?: (capture: Capture) => void;
}

export interface DelayProxy {
  readonly port: number;
  readonly delayMs: number;
  /** Every connection accepted so far, in order. */
  readonly captures: Capture[];
  /** Stops listening and destroys every connection still open. */
  close(): Promise<void>;
}

/** Schedules chunks of one direction for delivery, in order, at `sent + delay`. */
class DelayedPipe {
  readonly #queue: { data: Uint8Array | "end" | "reset"; due: number; chunk: Chunk | null }[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastDue = 0;
  #ready = false;
  #stopped = false;

  constructor(
    private readonly dir: Direction,
    private readonly delayMs: number,
    private readonly dest: Socket,
    private readonly record: (c: Chunk) => void,
    /** Bytes of this direction may not leave the sender before this time (the emulated SYN-ACK). */
    private readonly notBefore: number,
  ) {}

  /** The destination is connected: deliver what is due. */
  ready(): void {
    this.#ready = true;
    this.#arm();
  }

  /** Bytes, or the sender's FIN ("end") or abort ("reset"), delivered after everything before them. */
  push(data: Uint8Array | "end" | "reset"): void {
    if (this.#stopped) return;
    const sentAt = Math.max(performance.now(), this.notBefore);
    const due = Math.max(sentAt + this.delayMs, this.#lastDue);
    this.#lastDue = due;
    const chunk = typeof data === "string" ? null : { dir: this.dir, sentAt, deliveredAt: NaN, bytes: data.length };
    this.#queue.push({ data, due, chunk });
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (!this.#ready || this.#timer !== null || this.#queue.length === 0) return;
    const wait = Math.max(0, this.#queue[0].due - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, wait);
  }

  #flush(): void {
    const now = performance.now();
    while (this.#queue.length > 0 && this.#queue[0].due <= now + 0.5) {
      const { data, chunk } = this.#queue.shift()!;
      if (this.dest.destroyed) continue;
      if (typeof data === "string") {
        if (data === "end") this.dest.end();
        else this.dest.destroy();
        continue;
      }
      this.dest.write(data);
      chunk!.deliveredAt = performance.now();
      this.record(chunk!);
    }
    this.#arm();
  }
}

export function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const delayMs = options.delayMs ?? 50;
  const emulate = options.emulateTcpHandshake ?? true;
  const captures: Capture[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const acceptedAt = performance.now();
    const chunks: Chunk[] = [];
    const record = (c: Chunk) => chunks.push(c);
    if (emulate) {
      const at = acceptedAt;
      chunks.push({ dir: "c2s", sentAt: at, deliveredAt: at + delayMs, bytes: 0, synthetic: "SYN" });
      chunks.push({ dir: "s2c", sentAt: at + delayMs, deliveredAt: at + 2 * delayMs, bytes: 0, synthetic: "SYN-ACK" });
    }
    const upstream = createConnection({
      host: options.target.hostname,
      port: options.target.port,
      allowHalfOpen: true,
    });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
    }
    const toServer = new DelayedPipe("c2s", delayMs, upstream, record, emulate ? acceptedAt + 2 * delayMs : 0);
    const toClient = new DelayedPipe("s2c", delayMs, client, record, 0);
    toClient.ready();
    upstream.on("connect", () => toServer.ready());
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => (markClosed = r));
    const capture: Capture = { id: captures.length, acceptedAt, delayMs, chunks, closed };
    captures.push(capture);

    client.on("data", (d: Uint8Array) => toServer.push(d));
    upstream.on("data", (d: Uint8Array) => toClient.push(d));
    client.on("end", () => toServer.push("end"));
    upstream.on("end", () => toClient.push("end"));
    // A side that closes cleanly has sent its FIN (above), and the other side may still read and answer, as over a
    // real path; one that fails passes the abort on, after what was already in flight.
    let open = 2;
    const onClose = (hadError: boolean, pipe: DelayedPipe) => {
      if (hadError) pipe.push("reset");
      if (--open > 0) return;
      toServer.stop();
      toClient.stop();
      options.onClose?.(capture);
      markClosed();
    };
    client.on("close", (hadError: boolean) => {
      sockets.delete(client);
      onClose(hadError, toServer);
    });
    upstream.on("close", (hadError: boolean) => {
      sockets.delete(upstream);
      onClose(hadError, toClient);
    });
    client.on("error", () => {});
    upstream.on("error", () => {});
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        delayMs,
        captures,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** The chunks of a capture as flights, in the order they left their senders; times relative to the accept. */
export function flights(capture: Capture): Flight[] {
  const chunks = [...capture.chunks].sort((a, b) => a.sentAt - b.sentAt);
  const out: Flight[] = [];
  const rel = (t: number) => round(t - capture.acceptedAt);
  for (const c of chunks) {
    const last = out.at(-1);
    if (last && last.dir === c.dir && !last.synthetic && !c.synthetic) {
      last.bytes += c.bytes;
      last.chunks++;
      last.lastDeliveredAt = rel(c.deliveredAt);
      continue;
    }
    const f: Flight = {
      dir: c.dir,
      sentAt: rel(c.sentAt),
      firstDeliveredAt: rel(c.deliveredAt),
      lastDeliveredAt: rel(c.deliveredAt),
      bytes: c.bytes,
      chunks: 1,
    };
    if (c.synthetic) f.synthetic = c.synthetic;
    out.push(f);
  }
  return out;
}

/**
 * Round trips before the client saw its first response byte at `firstByteAt` (performance.now()): a round trip is
 * a client flight followed by a server flight, and the last one counted is the server flight holding the last
 * chunk delivered to the client at or before `firstByteAt`, the one that carried the first response byte.
 * The emulated SYN/SYN-ACK count as one. Returns null if nothing reached the client by then.
 */
export function countRoundTrips(capture: Capture, firstByteAt: number): number | null {
  const all = flights(capture);
  const at = firstByteAt - capture.acceptedAt;
  let lastIndex = -1;
  all.forEach((f, i) => {
    if (f.dir === "s2c" && f.firstDeliveredAt <= at + 0.5) lastIndex = i;
  });
  if (lastIndex < 0) return null;
  let trips = 0;
  for (let i = 1; i <= lastIndex; i++) {
    if (all[i].dir === "s2c" && all[i - 1].dir === "c2s") trips++;
  }
  return trips;
}

/** A flight list as one line per flight, for logs: `+150.2ms  C→S  517 B`. */
export function describeFlights(list: Flight[]): string {
  return list.map((f) =>
    `  +${f.sentAt.toFixed(1).padStart(7)}ms  ${f.dir === "c2s" ? "C→S" : "S→C"}  ${
      f.synthetic ?? `${f.bytes} B${f.chunks > 1 ? ` (${f.chunks} chunks)` : ""}`
    }  (delivered +${f.firstDeliveredAt.toFixed(1)}ms)`
  ).join("\n");
}

const round = (x: number) => Math.round(x * 10) / 10;

function parseCli(argv: string[]): DelayProxyOptions {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const target = value("--target");
  const m = target?.match(/^(.*):(\d+)$/);
  if (!m) throw new Error("usage: delay_proxy.ts --target HOST:PORT [--port N] [--delay MS] [--no-tcp-handshake]");
  return {
    target: { hostname: m[1], port: Number(m[2]) },
    port: Number(value("--port") ?? 0),
    delayMs: Number(value("--delay") ?? 50),
    emulateTcpHandshake: !argv.includes("--no-tcp-handshake"),
  };
}

if (import.meta.main) {
  const options = parseCli(process.argv.slice(2));
  const proxy = await startDelayProxy({
    ...options,
    onClose: (c) => console.log(`connection ${c.id}:\n${describeFlights(flights(c))}`),
  });
  console.log(
    `delay proxy 127.0.0.1:${proxy.port} → ${options.target.hostname}:${options.target.port}, ${proxy.delayMs} ms each way`,
  );
}

/**
 * A WebSocket client that sends exact bytes, for the hostile-input tests: our own TLS client (`connectTls`), an
 * upgrade request written by hand, and the server's frames read with the codec's decoder (client role, so a
 * masked server frame would throw). Every wait has a deadline; nothing here retries.
 */
import { connectTls, type ConnectTlsOptions, type TlsClientConnection } from "../../src/io/tls_connect.ts";
import { encodeFrame, Opcode } from "../../src/ws/frame.ts";
import { FrameDecoder } from "../../src/ws/frame_decoder.ts";
import { ensureDevCerts } from "../../certs/generate.ts";

const certs = await ensureDevCerts();

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A frame the server sent. */
export interface ServerFrame {
  opcode: number;
  fin: boolean;
  payload: Uint8Array;
}

/** What `RawWebSocket.open` got back: the status line's code, the head, the body of a non-101, and the socket. */
export interface Opened {
  status: number;
  head: string;
  /** The body of any answer but a 101 (by its Content-Length), as text. */
  body: string;
  ws: RawWebSocket;
}

/** The upgrade request for `path`, with fields added or (with "") removed. */
export function upgradeRequest(path: string, fields: Record<string, string> = {}, version = "1.1"): string {
  const all: Record<string, string> = {
    host: "localhost",
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...fields,
  };
  const lines = Object.entries(all).filter(([, v]) => v !== "").map(([k, v]) => `${k}: ${v}\r\n`);
  return `GET ${path} HTTP/${version}\r\n${lines.join("")}\r\n`;
}

/** Masks `payload` as a client must (§5.3), with a fixed key: tests want reproducible bytes. */
export function clientFrame(opcode: number, payload: Uint8Array | string, fin = true, rsv = 0): Uint8Array {
  const bytes = typeof payload === "string" ? enc.encode(payload) : payload;
  return encodeFrame(opcode, bytes, { fin, rsv, mask: new Uint8Array([1, 2, 3, 4]) });
}

/** A Close frame from the client with `code` (and `reason`). */
export function clientClose(code: number, reason = ""): Uint8Array {
  const text = enc.encode(reason);
  return clientFrame(Opcode.close, new Uint8Array([code >> 8, code & 0xff, ...text]));
}

export class RawWebSocket {
  readonly #conn: TlsClientConnection;
  readonly #decoder = new FrameDecoder(false);
  #eof = false;
  #pending: Promise<Uint8Array | null> | null = null;

  private constructor(conn: TlsClientConnection, rest: Uint8Array) {
    this.#conn = conn;
    this.#decoder.feed(rest);
  }

  /**
   * Connects to 127.0.0.1:`port`, sends `request` (an upgrade request, possibly followed by frame bytes), and
   * reads the response head. The socket stays usable whatever the status.
   */
  static async open(port: number, request: string | Uint8Array, tls: Partial<ConnectTlsOptions> = {}): Promise<Opened> {
    const conn = await connectTls({
      hostname: "127.0.0.1",
      servername: "localhost",
      port,
      ca: { path: certs.ca.cert },
      alpn: ["http/1.1"],
      sessionCache: false,
      ...tls,
    });
    const bytes = typeof request === "string" ? enc.encode(request) : request;
    // Empty when the request went as `tls.earlyData` (0-RTT).
    if (bytes.length > 0) await conn.socket.write(bytes);
    let buffered: Uint8Array = new Uint8Array(0);
    for (;;) {
      const end = findHeadEnd(buffered);
      const head = dec.decode(buffered.subarray(0, Math.max(end, 0)));
      const status = Number(head.split(" ")[1]);
      const length = status === 101 ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (end >= 0 && buffered.length >= end + 4 + length) {
        const body = dec.decode(buffered.subarray(end + 4, end + 4 + length));
        const ws = new RawWebSocket(conn, buffered.slice(end + 4 + length));
        return { status, head, body, ws };
      }
      const chunk = await withDeadline(conn.socket.read(), 10_000, "the response head");
      if (chunk === null) throw new Error(`EOF inside the response: ${JSON.stringify(dec.decode(buffered))}`);
      buffered = join(buffered, chunk);
    }
  }

  /** The TLS connection underneath. */
  get tls(): TlsClientConnection {
    return this.#conn;
  }

  /** Writes raw bytes (frames built with `clientFrame`, or anything at all). */
  send(bytes: Uint8Array): Promise<void> {
    return this.#conn.socket.write(bytes);
  }

  /** The next complete frame, or null once the server has closed the connection. Rejects after `timeout` ms. */
  async frame(timeout = 10_000): Promise<ServerFrame | null> {
    let frame: ServerFrame | null = null;
    for (;;) {
      for (let e = this.#decoder.next(); e !== null; e = this.#decoder.next()) {
        if (e.type === "header") frame = { opcode: e.header.opcode, fin: e.header.fin, payload: new Uint8Array(0) };
        else {
          frame!.payload = join(frame!.payload, e.data);
          if (e.end) return frame;
        }
      }
      if (this.#eof) return null;
      const chunk = await this.#read(timeout);
      if (chunk === null) this.#eof = true;
      else this.#decoder.feed(chunk.slice());
    }
  }

  /** Reads frames until a Close; returns its code (1005 for an empty one), or null if the connection ends first. */
  async closeCode(timeout = 10_000): Promise<{ code: number; reason: string; before: ServerFrame[] } | null> {
    const before: ServerFrame[] = [];
    for (;;) {
      const f = await this.frame(timeout);
      if (f === null) return null;
      if (f.opcode !== Opcode.close) {
        before.push(f);
        continue;
      }
      const code = f.payload.length >= 2 ? (f.payload[0] << 8) | f.payload[1] : 1005;
      return { code, reason: dec.decode(f.payload.subarray(2)), before };
    }
  }

  /** Resolves true once the server has closed the connection (EOF), reading and dropping frames until then. */
  async ended(timeout = 10_000): Promise<boolean> {
    for (;;) {
      const f = await this.frame(timeout);
      if (f === null) return true;
    }
  }

  /** Closes our side and the socket. */
  async close(): Promise<void> {
    await this.#conn.close().catch(() => {});
  }

  /** One read, kept across a timeout so that no chunk is lost. */
  async #read(timeout: number): Promise<Uint8Array | null> {
    this.#pending ??= this.#conn.socket.read().catch(() => null);
    const chunk = await withDeadline(this.#pending, timeout, "a frame");
    this.#pending = null;
    return chunk;
  }
}

function findHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Exact bytes in front of a real server: our client engine over a TCP socket, with a tap on each flight it
 * sends and a hook to send records of our own making once the handshake is complete (sealed with the client's
 * secrets from its key log, see RecordRewriter). Everything the server sends goes to the client engine, which
 * holds the server's keys, so a protected alert is read as the `failed` event it is. The run ends when the
 * server closes the connection, when `until` is satisfied, or at `deadline` (then `closed` is false).
 */
import type { ClientConnectionOptions } from "../../src/tls/client/client_connection.ts";
import type { ClientConfigOptions } from "../../src/tls/client/client_config.ts";
import type { ClientConnection } from "../../src/tls/client/client_connection.ts";
import type { TlsEvent } from "../../src/tls/events.ts";
import { concat, devClient, secretsOf } from "./memory_pair.ts";

export interface SocketScript {
  client?: Partial<ClientConfigOptions>;
  options?: ClientConnectionOptions;
  /** Rewrites the `n`-th flight the client engine hands over (from 0); null sends nothing. */
  tap?: (bytes: Uint8Array, n: number, secrets: Map<string, Uint8Array>) => Uint8Array | null;
  /** Bytes to send once the handshake is complete, made with the client's secrets (by key log label). */
  afterHandshake?: (secrets: Map<string, Uint8Array>, client: ClientConnection) => Uint8Array;
  /** Stops reading once this holds for the events so far. */
  until?: (events: TlsEvent[]) => boolean;
  /** Milliseconds to wait for the server to close; the fixtures' own timeouts are set well above it. */
  deadline?: number;
}

export interface SocketRun {
  events: TlsEvent[];
  /** The server closed the TCP connection before the deadline. */
  closed: boolean;
  /** Every byte the server sent, as it arrived. */
  received: Uint8Array;
}

export async function runAgainst(port: number, script: SocketScript): Promise<SocketRun> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const log: string[] = [];
  const client = await devClient({ keyLog: (l) => log.push(l), ...script.client }, script.options);
  const events: TlsEvent[] = [], received: Uint8Array[] = [];
  let flights = 0, sentAfter = false, closed = false;
  const flush = async () => {
    const out = client.takeOutput();
    if (out.length === 0) return;
    const bytes = script.tap ? script.tap(out, flights++, secretsOf(log)) : out;
    if (bytes && bytes.length > 0) await writeAll(conn, bytes);
  };
  const deadline = Date.now() + (script.deadline ?? 5000);
  try {
    await flush();
    for (;;) {
      if (script.until?.(events)) break;
      if (!sentAfter && script.afterHandshake && client.isHandshakeComplete) {
        sentAfter = true;
        await flush();
        await writeAll(conn, script.afterHandshake(secretsOf(log), client));
      }
      const chunk = await readBefore(conn, deadline);
      if (chunk === "timeout") break;
      if (chunk === null) {
        closed = true;
        break;
      }
      received.push(chunk);
      events.push(...await client.receive(chunk.slice()));
      await flush().catch(() => {}); // the server may already be gone
    }
  } finally {
    conn.close();
  }
  return { events, closed, received: concat(received) };
}

/** Sends `bytes` as they are and reads until the server closes (or the deadline): for plaintext-only cases. */
export async function rawExchange(port: number, bytes: Uint8Array, deadlineMs = 5000): Promise<SocketRun> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const received: Uint8Array[] = [];
  let closed = false;
  const deadline = Date.now() + deadlineMs;
  try {
    await writeAll(conn, bytes);
    for (;;) {
      const chunk = await readBefore(conn, deadline);
      if (chunk === "timeout") break;
      if (chunk === null) {
        closed = true;
        break;
      }
      received.push(chunk);
    }
  } finally {
    conn.close();
  }
  return { events: [], closed, received: concat(received) };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let o = 0; o < bytes.length;) o += await conn.write(bytes.subarray(o));
}

/** One read, or "timeout" at `deadline`; null at EOF (a reset counts as the server closing too). */
async function readBefore(conn: Deno.Conn, deadline: number): Promise<Uint8Array | null | "timeout"> {
  const buf = new Uint8Array(64 * 1024);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"timeout">((
    r,
  ) => (timer = setTimeout(() => r("timeout"), Math.max(0, deadline - Date.now()))));
  try {
    const n = await Promise.race([conn.read(buf).catch(() => null), late]);
    if (n === "timeout") return n;
    return n === null ? null : buf.slice(0, n);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The TLS engine alone, in memory, on the runtime that runs this file: what the server side of a connection
 * costs in the engine (no sockets, no HTTP), per full handshake, per resumed handshake, per small request and
 * response, and per MB sent and received. Only the CPU time spent inside the server engine's calls is counted.
 *
 *   deno run -A bench/engine.ts [--provider native|noble] [--scale 1] [--reps 3] [--only full] [--profile out.cpuprofile]
 *   node_modules/.bin/bun bench/engine.ts          node_modules/.bin/tsx bench/engine.ts
 *
 * `--profile` (Deno and Node) records V8's sampling profile of the measured rows through node:inspector, for
 * `deno run -A bench/profile.ts --summarize out.cpuprofile` or Chrome DevTools; on Bun use `bun --cpu-prof`.
 *
 * A measuring tool for engine changes (short, bounded runs), not a test: it asserts nothing about speed.
 */
import process from "node:process";
import { ensureDevCerts } from "../certs/generate.ts";
import { defaultProvider, nobleProvider } from "../src/crypto/mod.ts";
import type { CryptoProvider } from "../src/crypto/provider.ts";
import { ClientConnection } from "../src/tls/client/client_connection.ts";
import { clientConfig } from "../src/tls/client/client_config.ts";
import type { ClientSession } from "../src/tls/client/session.ts";
import type { TlsConnection } from "../src/tls/connection.ts";
import { loadTrustStore } from "../src/io/pki_files.ts";
import { ServerConnection } from "../src/tls/server/server_connection.ts";
import type { ServerConfig } from "../src/tls/server/server_config.ts";
import { createServerConfig } from "../src/io/tls_server_config.ts";
import { currentRuntime } from "../src/runtime.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const provider: CryptoProvider = option("--provider", "native") === "noble" ? nobleProvider : defaultProvider();
const scale = Number(option("--scale", "1"));

const certs = await ensureDevCerts();
const anchors = await loadTrustStore({ path: certs.ca.cert });
// serve()'s own configuration: the provider's suite order, two tickets per handshake.
const config: ServerConfig = await createServerConfig({
  cert: { path: certs.server["ecdsa-p256"].cert },
  key: { path: certs.server["ecdsa-p256"].key },
  provider,
});
const cconfig = clientConfig({ provider, serverName: "localhost", anchors });

let serverMs = 0;
/**
 * Runs `f` on the server and counts the process CPU time it took (user + system, not wall time: the machine
 * may be shared). Steps that await (signing) run within the same task here, so their CPU is counted too.
 */
async function onServer<T>(f: () => T | Promise<T>): Promise<T> {
  const t = process.cpuUsage();
  const r = await f();
  const d = process.cpuUsage(t);
  serverMs += (d.user + d.system) / 1000;
  return r;
}

/** Moves bytes until both are quiet; the server's part is timed. */
async function pump(client: TlsConnection, server: ServerConnection): Promise<void> {
  for (;;) {
    const toServer = client.takeOutput();
    if (toServer.length) await onServer(() => server.receive(toServer));
    const toClient = await onServer(() => server.takeOutput());
    if (toClient.length) await client.receive(toClient);
    if (!toServer.length && !toClient.length) return;
  }
}

async function connect(session?: ClientSession): Promise<[ClientConnection, ServerConnection, ClientSession[]]> {
  const sessions: ClientSession[] = [];
  const client = new ClientConnection(cconfig, { session, onSession: (s) => sessions.push(s) });
  const server = await onServer(() => new ServerConnection(config));
  await pump(client, server);
  if (!client.isHandshakeComplete || !server.isHandshakeComplete) throw new Error("handshake failed");
  return [client, server, sessions];
}

const reps = Number(option("--reps", "3"));
/** Only the rows whose name starts with this (to profile one path). */
const only = option("--only", "");

/**
 * Server µs per operation over `n` operations, after `n / 10` of warm-up; the least of `reps` repetitions
 * (other processes and the JIT's own threads only ever add CPU time).
 */
async function measure(name: string, n: number, op: () => Promise<void>, perUnit = "op"): Promise<void> {
  if (only && !name.startsWith(only)) return;
  for (let i = 0; i < Math.ceil(n / 10); i++) await op();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    serverMs = 0;
    for (let i = 0; i < n; i++) await op();
    best = Math.min(best, serverMs * 1000 / n);
  }
  console.log(`${name.padEnd(28)} ${best.toFixed(1).padStart(9)} µs server CPU / ${perUnit}`);
}

const runtime = currentRuntime();
console.log(`engine in memory, ${runtime}, provider ${provider.name}`);
const profile = await startProfile(option("--profile", ""));

await measure("full handshake", 200 * scale, async () => void await connect());
const [, , sessions] = await connect();
await measure("resumed handshake", 200 * scale, async () => {
  const [client] = await connect(sessions[0]);
  if (!client.info!.resumed) throw new Error("not resumed");
});

const [client, server] = await connect();
const request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
const response = new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
// The client's requests are sealed ahead, a batch at a time, so that the CPU clock is read once per batch.
const BATCH = 100;
await measure("request + response", 200 * scale, async () => {
  const batch = Array.from({ length: BATCH }, () => (client.send(request), client.takeOutput()));
  await onServer(async () => {
    for (const bytes of batch) {
      await server.receive(bytes);
      server.send(response);
      server.takeOutput();
    }
  });
}, `${BATCH} requests`);

const MB = 1 << 20, body = provider.randomBytes(MB);
await measure("download (1 MiB sent)", 100 * scale, async () => {
  await onServer(() => {
    server.send(body);
    return server.takeOutput();
  });
}, "MiB");
await measure("upload (1 MiB received)", 100 * scale, async () => {
  client.send(body);
  const sealed = client.takeOutput();
  await onServer(async () => {
    for (let o = 0; o < sealed.length; o += 65536) await server.receive(sealed.subarray(o, o + 65536));
  });
}, "MiB");

await profile?.stop();

/** V8's sampling profiler (100 µs) through node:inspector, stopped by `stop()`, which writes `file`. */
async function startProfile(file: string): Promise<{ stop(): Promise<void> } | null> {
  if (!file) return null;
  const { Session } = await import("node:inspector");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<any>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  return {
    async stop() {
      const { profile } = await post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

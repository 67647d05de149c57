/**
 * The load client for the handshake rows of bench/run.ts, run on CPU 1 under Bun or Node (node:tls, TLS 1.3 only):
 *
 *   bun bench/handshake_client.ts <mode> <port> <concurrency> <seconds|count> [groups]
 *
 * `groups` (or the BENCH_CLIENT_GROUPS environment variable, which bench/run.ts passes through) restricts the key
 * exchange groups the client offers, as node:tls `ecdhCurve` takes them (e.g. `X25519`); by default the client
 * offers what its TLS library does (Bun's BoringSSL: X25519MLKEM768 first).
 *
 * - full:   new connections with no session offered, one `GET /` each (Connection: close), for <seconds>;
 *           every one is checked not resumed (isSessionReused()).
 * - resume: the same, but each connection offers a session ticket received on an earlier connection (tickets are
 *           recycled newest first, so single-use tickets work too); counts those that did and did not resume.
 * - idle:   opens <count> connections, <concurrency> at a time, that complete a handshake and then stay idle; prints
 *           `OPEN <n>`; a line `more <k>` on stdin opens k more (and prints `OPEN <total>`); keeps them all until stdin
 *           closes (or 120 s), then closes them and exits.
 * The last stdout line is a JSON summary. Certificates are verified against certs/out/ca.pem for "localhost".
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import * as tls from "node:tls";

const [mode, portArg, concArg, amountArg, groupsArg] = process.argv.slice(2);
const groups = groupsArg ?? process.env.BENCH_CLIENT_GROUPS;
const port = Number(portArg);
const concurrency = Number(concArg ?? 16);
const amount = Number(amountArg ?? 5);
const ca = readFileSync(new URL("../certs/out/ca.pem", import.meta.url));
// One context for every connection: passing `ca` to each tls.connect() builds a new one (and parses the CA) per
// connection, which costs the client more than the handshake itself.
const secureContext = tls.createSecureContext({
  ca,
  minVersion: "TLSv1.3",
  maxVersion: "TLSv1.3",
  ...(groups ? { ecdhCurve: groups } : {}),
});
const request = Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

interface Outcome {
  ok: boolean;
  resumed: boolean;
  /** Tickets received on this connection (node:tls emits one 'session' per NewSessionTicket). */
  sessions: Buffer[];
  cipher: string | null;
  /** The key exchange group, as the client's TLS library names it (getEphemeralKeyInfo), if it says. */
  group: string | null;
  error?: string;
}

/** One connection: handshake, one request, read the response to the end; resolves when the socket is closed. */
function oneRequest(session: Buffer | null): Promise<Outcome> {
  return new Promise((resolve) => {
    let resumed = false;
    let cipher: string | null = null;
    let group: string | null = null;
    let received = "";
    const sessions: Buffer[] = [];
    let settled = false;
    const done = (ok: boolean, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ ok, resumed, sessions, cipher, group, error });
    };
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      secureContext,
      session: session ?? undefined,
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error("timeout")));
    socket.on("session", (s: Buffer) => sessions.push(s));
    socket.on("secureConnect", () => {
      resumed = socket.isSessionReused();
      cipher = socket.getCipher()?.name ?? null;
      group = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name ?? null;
      socket.write(request);
    });
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (received += d));
    socket.on("error", (e) => done(false, e.message));
    socket.on(
      "close",
      () =>
        done(received.startsWith("HTTP/1.1 200") && received.endsWith("hello"), received.slice(0, 40) || "no response"),
    );
  });
}

async function loop(resume: boolean) {
  const sessions: Buffer[] = [];
  if (resume) {
    // Seed: a few full handshakes whose tickets the first resumptions use.
    for (let i = 0; i < Math.max(4, concurrency); i++) {
      const o = await oneRequest(null);
      sessions.push(...o.sessions);
    }
  }
  let completed = 0, resumedCount = 0, errors = 0, offered = 0;
  let cipher: string | null = null;
  let group: string | null = null;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + amount * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const session = resume ? (sessions.pop() ?? null) : null;
      if (session) offered++;
      const o = await oneRequest(session);
      if (resume) {
        // A server that resumed without sending a new ticket takes the same one again (stateless tickets).
        if (o.sessions.length) sessions.push(...o.sessions);
        else if (session && o.resumed) sessions.push(session);
        if (sessions.length > 4 * concurrency) sessions.splice(0, sessions.length - 4 * concurrency);
      }
      if (!o.ok) {
        errors++;
        firstError ??= o.error;
        continue;
      }
      completed++;
      cipher ??= o.cipher;
      group ??= o.group;
      if (o.resumed) resumedCount++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  return {
    mode,
    completed,
    resumed: resumedCount,
    notResumed: completed - resumedCount,
    offered,
    errors,
    firstError,
    seconds,
    rate: completed / seconds,
    cipher,
    group,
    concurrency,
  };
}

async function idle() {
  const sockets: tls.TLSSocket[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const open = () =>
    new Promise<void>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", secureContext });
      socket.on("secureConnect", () => {
        sockets.push(socket);
        resolve();
      });
      socket.on("error", (e) => {
        errors++;
        firstError ??= e.message;
        resolve();
      });
    });
  const openMore = async (count: number) => {
    let started = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        await open();
      }
    }));
    console.log(`OPEN ${sockets.length}`);
  };
  await openMore(amount);
  // `more <n>` on stdin opens n more; stdin closing (or 120 s) ends it.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 120_000);
    let queue = Promise.resolve();
    let buffered = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d: string) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const [command, n] = buffered.slice(0, nl).trim().split(" ");
        buffered = buffered.slice(nl + 1);
        if (command === "more") queue = queue.then(() => openMore(Number(n)));
      }
    });
    process.stdin.on("end", () => (clearTimeout(timer), resolve()));
    process.stdin.on("close", () => (clearTimeout(timer), resolve()));
    process.stdin.resume();
  });
  for (const s of sockets) s.destroy();
  return { mode, open: sockets.length, errors, firstError };
}

const result = mode === "idle" ? await idle() : await loop(mode === "resume");
console.log(JSON.stringify(result));
process.exit(0);

/**
 * Claims about the transport adapters, on every runtime. The echo server and the connect()/contract checks run in
 * tests/fixtures/transport_echo.ts under Deno, Bun and Node (tsx); this file is the client, using Deno's own
 * sockets, so a bug in our adapter cannot hide behind the same bug on the other end. The contract checks also run
 * in this process against the Deno adapter directly.
 */
import assert from "node:assert/strict";
import { command, type Runtime, runtimes } from "../_support/runtimes.ts";
import { contract, pattern, type Stats } from "../fixtures/transport_echo.ts";
import { loadTransport } from "../../src/transport/mod.ts";
import type { NetAddr } from "../../src/transport/types.ts";
import { toHex } from "../../src/bytes.ts";

const fixture = new URL("../fixtures/transport_echo.ts", import.meta.url).pathname;
const MB = 1024 * 1024;

/** A fixture process whose stdout is read line by line, each line a JSON object. */
class Fixture {
  #child: Deno.ChildProcess;
  #lines: ReadableStreamDefaultReader<string>;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #buffered = "";

  constructor(runtime: Runtime, args: string[]) {
    const [bin, ...rest] = command(runtime, fixture, args);
    this.#child = new Deno.Command(bin, { args: rest, stdin: "piped", stdout: "piped", stderr: "inherit" }).spawn();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.#stdin = this.#child.stdin.getWriter();
  }

  /** The next JSON line, within `ms`. */
  async next<T>(ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    while (!this.#buffered.includes("\n")) {
      const { value, done } = await within(deadline - Date.now(), "fixture output", this.#lines.read());
      if (done) throw new Error(`fixture exited; output so far: ${this.#buffered}`);
      this.#buffered += value;
    }
    const at = this.#buffered.indexOf("\n");
    const line = this.#buffered.slice(0, at);
    this.#buffered = this.#buffered.slice(at + 1);
    return JSON.parse(line) as T;
  }

  async stats(): Promise<Stats> {
    await this.#stdin.write(new TextEncoder().encode("stats\n"));
    return (await this.next<{ stats: Stats }>(5_000)).stats;
  }

  /** Closing stdin tells a server to exit; a one-shot mode exits by itself. */
  async stop(): Promise<Deno.CommandStatus> {
    await this.#stdin.close().catch(() => {});
    const status = await within(10_000, "fixture exit", this.#child.status).catch((err) => {
      this.#child.kill("SIGKILL");
      throw err;
    });
    await this.#lines.cancel();
    return status;
  }
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), Math.max(ms, 0));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** `p`'s value, or null if it takes longer than `ms` (p goes on). */
function orNull<T>(ms: number, p: Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/** Everything until EOF, concatenated. */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(256 * 1024);
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.subarray(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Sends `data`, half-closes, and returns what came back before the server's EOF. */
async function roundTrip(addr: NetAddr, data: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: addr.address, port: addr.port });
  try {
    const reading = readAll(conn);
    await writeAll(conn, data);
    await conn.closeWrite();
    return await reading;
  } finally {
    conn.close();
  }
}

async function startServer(runtime: Runtime, hostname: string) {
  const server = new Fixture(runtime, ["serve", hostname]);
  const hello = await server.next<{ listening: NetAddr; runtime: Runtime }>();
  assert.equal(hello.runtime, runtime, "mod.ts picked the adapter of the runtime it runs on");
  return { server, addr: hello.listening };
}

/** Polls the server's stats until `ok` holds. */
async function until(server: Fixture, ok: (s: Stats) => boolean, what: string): Promise<Stats> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const s = await server.stats();
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}; stats: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A client that sends and never reads. Returns once its writes stall (the whole path, both kernels' buffers
 * and the server, is full), with the connection, the stalled write, and how much was taken so far.
 */
async function stallWrites(addr: NetAddr, chunk: Uint8Array, limit: number) {
  const conn = await Deno.connect({ hostname: addr.address, port: addr.port });
  let sent = 0;
  while (sent < limit) {
    const write = conn.write(chunk.subarray(sent % chunk.length));
    const n = await orNull(1_500, write);
    if (n === null) return { conn, sent, pending: write };
    sent += n;
  }
  return { conn, sent, pending: null };
}

async function echoesIntact(addr: NetAddr): Promise<void> {
  const data = random(5 * MB);
  const back = await roundTrip(addr, data);
  assert.equal(back.length, data.length);
  assert.equal(await sha256(back), await sha256(data));
}

async function backpressure(server: Fixture, addr: NetAddr): Promise<void> {
  const before = await until(server, (s) => s.open === 0, "earlier connections closed");
  const chunk = random(4 * MB);
  const limit = 512 * MB;
  const { conn, sent, pending } = await stallWrites(addr, chunk, limit);
  try {
    assert.ok(pending, `the server took all ${limit} bytes from a client that never reads`);
    const stalled = await server.stats();
    await new Promise((r) => setTimeout(r, 500));
    const later = await server.stats();
    assert.equal(later.writesPending, 1, "the echo write to a client that does not read stays pending");
    assert.equal(later.bytesIn, stalled.bytesIn, "the server stopped reading while its write is pending");
    const read = later.bytesIn - before.bytesIn;
    assert.ok(read <= sent && read < 64 * MB, `the server read ${read} of ${sent} bytes and then stopped`);
    const grown = later.rss - before.rss;
    assert.ok(grown < 160 * MB, `server memory grew by ${(grown / MB).toFixed(0)} MB for ${sent / MB} MB sent`);
    // Now read: the stalled write completes and every byte comes back in order.
    const reading = readAll(conn);
    const total = sent + (await pending);
    await conn.closeWrite();
    const back = await reading;
    assert.equal(back.length, total);
    for (let off = 0; off < total; off += chunk.length) {
      const want = chunk.subarray(0, Math.min(chunk.length, total - off));
      assert.equal(await sha256(back.subarray(off, off + want.length)), await sha256(want), `bytes at ${off}`);
    }
  } finally {
    conn.close();
  }
  await until(server, (s) => s.writesPending === 0 && s.open === 0, "echo finished and socket closed");
}

async function halfClose(addr: NetAddr): Promise<void> {
  const conn = await Deno.connect({ hostname: addr.address, port: addr.port });
  try {
    await writeAll(conn, new TextEncoder().encode("ping"));
    await conn.closeWrite();
    // The server echoes what it got, sees our FIN, and answers with its own: EOF after the echo.
    assert.equal(new TextDecoder().decode(await within(5_000, "echo then EOF", readAll(conn))), "ping");
  } finally {
    conn.close();
  }
}

async function concurrent(addr: NetAddr, count: number): Promise<void> {
  const results = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const data = pattern(16 * 1024 + i, i + 1);
    const back = await roundTrip(addr, data);
    return back.length === data.length && back.every((b, j) => b === data[j]);
  }));
  assert.equal(results.filter((ok) => !ok).length, 0, "every connection got its own bytes back");
}

/** Clients that vanish with RST (close with unread data), one mid-read and one with the server's write stalled. */
async function resets(server: Fixture, addr: NetAddr): Promise<void> {
  const bystander = await Deno.connect({ hostname: addr.address, port: addr.port });
  const first = pattern(100_000, 7);
  await writeAll(bystander, first);
  for (let i = 0; i < 5; i++) {
    const conn = await Deno.connect({ hostname: addr.address, port: addr.port });
    await writeAll(conn, random(MB));
    await conn.read(new Uint8Array(1024));
    conn.close();
  }
  const { conn, pending } = await stallWrites(addr, random(4 * MB), 512 * MB);
  conn.close();
  await pending?.catch(() => {});
  await until(server, (s) => s.open === 1, "reset connections cleaned up, the bystander still open");
  // The bystander is untouched: it still gets all its bytes, and new clients are served.
  const second = pattern(100_000, 8);
  const reading = readAll(bystander);
  await writeAll(bystander, second);
  await bystander.closeWrite();
  const back = await reading;
  bystander.close();
  assert.deepEqual(back, new Uint8Array([...first, ...second]));
  await echoesIntact(addr);
}

/** connect() of the fixture's runtime against a Deno echo server, on IPv4 and IPv6. */
async function connectsOut(runtime: Runtime, hostname: string): Promise<void> {
  const native = Deno.listen({ hostname, port: 0 });
  const serving = (async () => {
    const conn = await native.accept();
    try {
      const reading = readAll(conn);
      await writeAll(conn, await reading);
      await conn.closeWrite();
    } finally {
      conn.close();
    }
  })();
  const client = new Fixture(runtime, ["connect", hostname, String(native.addr.port), String(MB)]);
  try {
    const result = await client.next<Record<string, unknown>>();
    assert.equal(result.runtime, runtime);
    assert.equal(result.received, MB);
    assert.equal(result.receivedSha, result.sentSha);
    assert.deepEqual(result.remote, {
      address: hostname,
      port: native.addr.port,
      family: hostname === "::1" ? "IPv6" : "IPv4",
    });
    await serving;
  } finally {
    native.close();
    assert.equal((await client.stop()).code, 0);
  }
}

for (const runtime of runtimes) {
  Deno.test(`transport on ${runtime}: echo server over our adapter, with a Deno client`, async (t) => {
    const { server, addr } = await startServer(runtime, "127.0.0.1");
    try {
      await t.step("5 MB round trip is intact (SHA-256)", () => echoesIntact(addr));
      await t.step("half-close: FIN from the client, echo, then FIN from the server", () => halfClose(addr));
      await t.step("200 concurrent connections each get their own bytes", () => concurrent(addr, 200));
      await t.step("backpressure: a client that does not read stops the server", () => backpressure(server, addr));
      await t.step("clients that reset do not crash the server or disturb others", () => resets(server, addr));
      await t.step("every connection was closed by the adapter", async () => {
        const s = await until(server, (s) => s.open === 0, "all sockets closed");
        assert.equal(s.writesPending, 0);
      });
    } finally {
      await server.stop();
    }
  });

  Deno.test(`transport on ${runtime}: IPv6 ::1`, async () => {
    const { server, addr } = await startServer(runtime, "::1");
    try {
      assert.deepEqual({ address: addr.address, family: addr.family }, { address: "::1", family: "IPv6" });
      const data = random(MB);
      assert.deepEqual(await roundTrip(addr, data), data);
    } finally {
      await server.stop();
    }
  });

  Deno.test(`transport on ${runtime}: connect() to a Deno echo server, IPv4 and IPv6`, async () => {
    await connectsOut(runtime, "127.0.0.1");
    await connectsOut(runtime, "::1");
  });

  Deno.test(`transport on ${runtime}: Duplex and Listener contract`, async () => {
    let failures: string[];
    if (runtime === "deno") {
      failures = await contract(await loadTransport("deno"));
    } else {
      const checker = new Fixture(runtime, ["contract"]);
      try {
        ({ failures } = await checker.next<{ runtime: Runtime; failures: string[] }>(120_000));
      } finally {
        await checker.stop();
      }
    }
    assert.deepEqual(failures, []);
  });
}

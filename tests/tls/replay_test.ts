/**
 * 0-RTT anti-replay (RFC 8446 §8) against real replays, on Deno, Bun and Node: a TCP proxy records the client's
 * first flight (every byte openssl s_client sends before the server's first byte arrives: ClientHello, the
 * compatibility change_cipher_spec and the early data records) of a real 0-RTT connection, and the flight is
 * sent again byte for byte on a fresh TCP connection:
 *   (a) to the same server (in-memory strike register): early data refused, "replayed ClientHello";
 *   (b) to another node sharing the ticket secret and the Redis replay store: refused the same way (and, as
 *       the control that shows the replay is real, a node with the same secret but its own memory store
 *       accepts it and hands the early data to its app: what the shared store is for);
 *   (c) after the freshness window (1.5 s here): refused on the ticket age;
 *   (d) Redis stopped: early data refused ("replay store unavailable"), the handshake completes in 1-RTT,
 *       within the store's deadline, and the server keeps serving; with Redis back, 0-RTT is accepted again.
 * And single-use tickets: a second 0-RTT with the same ticket (a new ClientHello, not a byte replay) is refused.
 * In every refusal the application never sees the early data a second time.
 */
import assert from "node:assert/strict";
import { needs } from "../_support/peers.ts";
import { startRedis } from "../_support/redis.ts";
import { runtimes } from "../_support/runtimes.ts";
import { connection, echoed, EchoServer, runtimeBinary, sClient, Scratch } from "../_support/resumption.ts";
import { toHex } from "../../src/bytes.ts";

/** A TCP proxy that records, per connection, the client's bytes sent before the server's first byte arrived. */
class FirstFlightRecorder {
  readonly flights: Uint8Array[] = [];
  private readonly listener: Deno.Listener;
  private readonly conns = new Set<Deno.Conn>();
  private readonly pumps = new Set<Promise<void>>();
  private accepting: Promise<void>;

  constructor(private readonly target: number) {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.accepting = this.accept();
  }

  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  private async accept() {
    try {
      for await (const client of this.listener) {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: this.target });
        this.conns.add(client).add(server);
        const recorded: Uint8Array[] = [];
        let serverSpoke = false;
        const index = this.flights.push(new Uint8Array(0)) - 1;
        const up = this.pipe(client, server, (chunk) => {
          if (serverSpoke) return;
          recorded.push(chunk);
          this.flights[index] = concat(recorded);
        });
        const down = this.pipe(server, client, () => (serverSpoke = true));
        const both = Promise.all([up, down]).then(() => {
          client.close();
          server.close();
          this.conns.delete(client);
          this.conns.delete(server);
        });
        this.pumps.add(both);
        both.finally(() => this.pumps.delete(both));
      }
    } catch { /* listener closed */ }
  }

  /** Copies from → to; `seen` runs on each chunk before it is forwarded. Half-closes `to` at EOF. */
  private async pipe(from: Deno.Conn, to: Deno.Conn, seen: (chunk: Uint8Array) => void) {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        const chunk = buf.slice(0, n);
        seen(chunk);
        await to.write(chunk);
      }
      await to.closeWrite();
    } catch { /* either side went away */ }
  }

  async close() {
    this.listener.close();
    await this.accepting;
    for (const c of this.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.all([...this.pumps]);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The TLS record content types in `bytes` (RFC 8446 §5.1), which must be whole records. */
function recordTypes(bytes: Uint8Array): number[] {
  const types: number[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    types.push(bytes[at]);
    at += 5 + ((bytes[at + 3] << 8) | bytes[at + 4]);
  }
  assert.equal(at, bytes.length, "the recorded flight is made of whole records");
  return types;
}

/**
 * Sends `flight` on a new TCP connection, reads what the server answers until it has been quiet for 300 ms
 * (its flight, and echoes of any early data it accepted), then hangs up: the replayer cannot finish the
 * handshake, having no keys.
 */
async function replay(port: number, flight: Uint8Array): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let received = 0;
  try {
    await conn.write(flight);
    const buf = new Uint8Array(64 * 1024);
    const deadline = Date.now() + 5_000;
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<"quiet">((r) => (timer = setTimeout(() => r("quiet"), received ? 300 : 3_000)));
      const n = await Promise.race([conn.read(buf), quiet]);
      clearTimeout(timer);
      if (n === "quiet" || n === null || Date.now() > deadline) break;
      received += n;
    }
  } finally {
    conn.close();
  }
  return received;
}

const randomHex = () => toHex(crypto.getRandomValues(new Uint8Array(32)));
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const runtime of runtimes) {
  Deno.test({
    name: `0-RTT replay protection, server on ${runtime}`,
    ...needs("openssl", "redis-server", runtimeBinary(runtime)),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const scratch = await Scratch.create();
      const redis = await startRedis();
      const servers: EchoServer[] = [];
      const proxies: FirstFlightRecorder[] = [];
      try {
        const fleet = { ticketSecretHex: randomHex(), earlyData: {} };
        const [single, nodeA, nodeB, outsider, fresh, singleUse] = await Promise.all([
          EchoServer.start(runtime, { earlyData: {} }),
          EchoServer.start(runtime, { ...fleet, redisUrl: redis.url }),
          EchoServer.start(runtime, { ...fleet, redisUrl: redis.url }),
          EchoServer.start(runtime, fleet),
          EchoServer.start(runtime, { earlyData: { freshnessWindow: 1500 } }),
          EchoServer.start(runtime, { earlyData: { singleUseTickets: true } }),
        ]);
        servers.push(single, nodeA, nodeB, outsider, fresh, singleUse);

        /** A ticket from `server`, saved to `name`. */
        const ticket = async (server: EchoServer, name: string) => {
          const path = scratch.path(name);
          const r = await sClient(server.port, ["-sess_out", path], { send: "ping\n", until: echoed("ping") });
          assert.match(r.output, /Max Early Data: 16384/, r.output);
          return path;
        };

        /** A 0-RTT connection through a recording proxy: the early data is accepted; returns the first flight. */
        const recordZeroRtt = async (server: EchoServer, sess: string, text: string) => {
          const proxy = new FirstFlightRecorder(server.port);
          proxies.push(proxy);
          const file = await scratch.write(`${text.replace(/\W/g, "_")}.txt`, text + "\n");
          const report = await connection(server, async () => {
            const r = await sClient(proxy.port, ["-sess_in", sess, "-early_data", file], {
              send: "after\n",
              until: /^after$/m,
            });
            assert.match(r.output, /Early data was accepted/, r.output);
          });
          assert.equal(report.info?.earlyDataAccepted, true);
          assert.deepEqual(report.reads[0], { early: true, text: text + "\n" });
          const flight = proxy.flights[0];
          // ClientHello, (change_cipher_spec,) then early data: application_data records under the early key.
          const types = recordTypes(flight);
          assert.equal(types[0], 22, "the flight starts with the ClientHello");
          assert.ok(types.includes(23), `the flight carries the early data records (types ${types})`);
          return flight;
        };

        /** The server's report on a byte-for-byte replay of `flight`. */
        const replayTo = (server: EchoServer, flight: Uint8Array) =>
          connection(server, () => replay(server.port, flight));

        const refusedAsReplay = (report: Awaited<ReturnType<typeof replayTo>>, reason: string | RegExp) => {
          assert.equal(report.info?.resumed, true, "the ticket and binder were good: only the early data is refused");
          assert.equal(report.info?.earlyDataAccepted, false);
          if (typeof reason === "string") assert.equal(report.info?.earlyDataRejectedReason, reason);
          else assert.match(report.info?.earlyDataRejectedReason ?? "", reason);
          assert.deepEqual(report.reads, [], "nothing reached the app");
          assert.equal(report.completed, false, "the replayer cannot finish the handshake");
        };

        const earlyReads = (server: EchoServer, text: string) =>
          server.allReads().filter((r) => r.early && r.text === text + "\n");

        await t.step("(a) replayed to the same server: early data not delivered again", async () => {
          const text = `a: transfer 100 to mallory (${runtime})`;
          const flight = await recordZeroRtt(single, await ticket(single, "a.sess"), text);
          refusedAsReplay(await replayTo(single, flight), "replayed ClientHello");
          refusedAsReplay(await replayTo(single, flight), "replayed ClientHello");
          assert.equal(earlyReads(single, text).length, 1, "the app saw the early data once");
        });

        const fleetSess = await ticket(nodeA, "fleet.sess");
        await t.step("(b) replayed to another node sharing the Redis store: not delivered", async () => {
          const text = `b: transfer 200 to mallory (${runtime})`;
          const flight = await recordZeroRtt(nodeA, fleetSess, text);
          refusedAsReplay(await replayTo(nodeB, flight), "replayed ClientHello");
          refusedAsReplay(await replayTo(nodeA, flight), "replayed ClientHello");
          assert.equal(earlyReads(nodeA, text).length, 1);
          assert.equal(earlyReads(nodeB, text).length, 0);

          // Control: a node with the same ticket secret but its own (memory) store accepts the very same bytes
          // and hands the early data to its app. The replay is real; the shared store is what stops it.
          const control = await replayTo(outsider, flight);
          assert.equal(control.info?.earlyDataAccepted, true, JSON.stringify(control));
          assert.deepEqual(control.reads[0], { early: true, text: text + "\n" });
        });

        await t.step("(c) replayed after the freshness window: refused on the ticket age", async () => {
          const text = `c: transfer 300 to mallory (${runtime})`;
          const flight = await recordZeroRtt(fresh, await ticket(fresh, "c.sess"), text);
          const recordedAt = Date.now();
          // openssl 3.0 reports ticket ages in whole seconds, so the client's age is off by up to 1 s; a 1.5 s
          // window accepts the original, and 3 s later the replay's frozen age is off by more than 1.5 s.
          await delay(Math.max(0, recordedAt + 3000 - Date.now()));
          refusedAsReplay(await replayTo(fresh, flight), "ticket age outside the freshness window");
          assert.equal(earlyReads(fresh, text).length, 1);
        });

        await t.step("single-use tickets: a second 0-RTT with the same ticket is refused", async () => {
          const sess = await ticket(singleUse, "single.sess");
          const file = await scratch.write("single.txt", "single use\n");
          const first = await connection(singleUse, async () => {
            const r = await sClient(singleUse.port, ["-sess_in", sess, "-early_data", file], {
              send: "after\n",
              until: /^after$/m,
            });
            assert.match(r.output, /Early data was accepted/, r.output);
          });
          assert.equal(first.info?.earlyDataAccepted, true);
          const second = await connection(singleUse, async () => {
            const r = await sClient(singleUse.port, ["-sess_in", sess, "-early_data", file], {
              send: "after\n",
              until: /^after$/m,
            });
            assert.match(r.output, /Reused, TLSv1\.3/, r.output);
            assert.match(r.output, /Early data was rejected/, r.output);
          });
          assert.equal(second.info?.resumed, true, "the ticket still resumes (1-RTT)");
          assert.equal(second.info?.earlyDataRejectedReason, "single-use ticket already used");
          assert.equal(second.completed, true);
          assert.deepEqual(second.reads, [{ early: false, text: "after\n" }]);
        });

        await t.step(
          "(d) Redis stopped: early data refused (fail closed), 1-RTT completes, no crash or hang",
          async () => {
            await redis.stop();
            const file = await scratch.write("d.txt", "d: while redis is down\n");
            for (const node of [nodeA, nodeB]) {
              let ms = 0;
              const report = await connection(node, async () => {
                const r = await sClient(node.port, ["-sess_in", fleetSess, "-early_data", file], {
                  send: "after\n",
                  until: /^after$/m,
                });
                assert.match(r.output, /Reused, TLSv1\.3/, r.output);
                assert.match(r.output, /Early data was rejected/, r.output);
                ms = r.ms;
              });
              assert.equal(report.info?.resumed, true);
              assert.equal(report.info?.earlyDataAccepted, false);
              assert.match(report.info?.earlyDataRejectedReason ?? "", /^replay store unavailable/);
              assert.equal(report.completed, true, "the handshake completed in 1-RTT");
              assert.deepEqual(
                report.reads,
                [{ early: false, text: "after\n" }],
                "the early data never reached the app",
              );
              assert.ok(ms < 5_000, `the client was not held up (${Math.round(ms)} ms)`);
            }
            // Still serving full handshakes.
            const full = await connection(
              nodeA,
              () => sClient(nodeA.port, [], { send: "ping\n", until: echoed("ping") }),
            );
            assert.equal(full.completed, true);

            // Redis back (empty: no persistence): the store reconnects and 0-RTT is accepted again.
            await redis.start();
            let accepted = false;
            for (let i = 0; i < 20 && !accepted; i++) {
              const r = await sClient(nodeA.port, ["-sess_in", fleetSess, "-early_data", file], {
                send: "after\n",
                until: /^after$/m,
              });
              accepted = /Early data was accepted/.test(r.output);
              if (!accepted) {
                await delay(250);
              }
            }
            assert.ok(accepted, `0-RTT accepted again once Redis is back:\n${nodeA.output()}`);
          },
        );
      } finally {
        await Promise.all(proxies.map((p) => p.close()));
        await Promise.all(servers.map((s) => s.stop()));
        await redis.stop();
        await scratch.cleanup();
      }
    },
  });
}

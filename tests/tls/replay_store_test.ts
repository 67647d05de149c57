/**
 * Claims about the two ReplayStores behind 0-RTT anti-replay (RFC 8446 §8):
 * - a key is claimed once: the first claim is true, every later one inside its TTL false, and after the TTL
 *   the key can be claimed again;
 * - 100 parallel claims of one key yield exactly one true, in one store and across a fleet of stores
 *   sharing one Redis;
 * - the stores fail closed: a full memory store, a stopped Redis, a Redis that hangs, or a Redis not up yet
 *   make `claim` reject (quickly, for Redis) instead of answering true, and the same Redis store works again
 *   once Redis is back;
 * - the Redis store works on Bun and Node too (tests/fixtures/redis_claim.ts).
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { MemoryReplayStore, ReplayStoreFullError } from "../../src/tls/tickets/memory_replay_store.ts";
import { RedisReplayStore, ReplayStoreUnavailableError } from "../../src/stores/redis_replay_store.ts";
import type { ReplayStore } from "../../src/tls/tickets/replay_store.ts";
import { needs } from "../_support/peers.ts";
import { startRedis } from "../_support/redis.ts";
import { command, type Runtime } from "../_support/runtimes.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function exactlyOneWins(stores: ReplayStore[], key: string, n = 100): Promise<void> {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => stores[i % stores.length].claim(key, 10_000)));
  assert.equal(results.filter((r) => r).length, 1, `claims: ${results}`);
}

// ---- memory store -------------------------------------------------------------------------------------------

function clocked(options: { maxEntries?: number } = {}) {
  const clock = { t: 1_000 };
  return { clock, store: new MemoryReplayStore({ ...options, now: () => clock.t }) };
}

Deno.test("memory: the first claim of a key is true, every later one false; keys are independent", async () => {
  const { store } = clocked();
  assert.equal(await store.claim("a", 1000), true);
  assert.equal(await store.claim("a", 1000), false);
  assert.equal(await store.claim("a", 1000), false);
  assert.equal(await store.claim("b", 1000), true);
});

Deno.test("memory: a key can be claimed again once its TTL has passed, not a millisecond before", async () => {
  const { clock, store } = clocked();
  assert.equal(await store.claim("a", 100), true);
  clock.t += 99;
  assert.equal(await store.claim("a", 100), false);
  clock.t += 1;
  assert.equal(await store.claim("a", 100), true);
  // The second claim started a new window.
  clock.t += 50;
  assert.equal(await store.claim("a", 100), false);
});

Deno.test("memory: 100 parallel claims of one key, exactly one true", async () => {
  await exactlyOneWins([new MemoryReplayStore()], "k");
});

Deno.test("memory: at capacity with unexpired entries, a new key is refused (fail closed), old keys still answer", async () => {
  const { clock, store } = clocked({ maxEntries: 3 });
  assert.equal(await store.claim("a", 100), true);
  assert.equal(await store.claim("b", 500), true);
  assert.equal(await store.claim("c", 500), true);
  await assert.rejects(store.claim("d", 500), ReplayStoreFullError);
  // Nothing was forgotten to make room: every claimed key is still refused.
  for (const k of ["a", "b", "c"]) assert.equal(await store.claim(k, 500), false, k);
  assert.equal(store.size, 3);
  // Once "a" expires, its room goes to "d"; the unexpired "b" and "c" stay.
  clock.t += 100;
  assert.equal(await store.claim("d", 500), true);
  assert.equal(store.size, 3);
  for (const k of ["b", "c", "d"]) assert.equal(await store.claim(k, 500), false, k);
  await assert.rejects(store.claim("e", 500), ReplayStoreFullError);
});

Deno.test("memory: expired entries are swept by later claims, without a timer", async () => {
  const { clock, store } = clocked();
  for (let i = 0; i < 1000; i++) assert.equal(await store.claim(`old${i}`, 10 + (i % 7)), true);
  assert.equal(store.size, 1000);
  clock.t += 20;
  // Each claim sweeps a bounded batch; a few claims clear everything that expired.
  for (let i = 0; i < 20; i++) await store.claim(`new${i}`, 10);
  assert.equal(store.size, 20);
  clock.t += 10;
  store.sweep();
  assert.equal(store.size, 0);
  // A key swept away can be claimed again.
  assert.equal(await store.claim("old1", 10), true);
});

Deno.test("memory: a TTL that is not a positive number is refused", async () => {
  const store = new MemoryReplayStore();
  for (const ttl of [0, -1, NaN, Infinity]) await assert.rejects(store.claim("a", ttl), RangeError, String(ttl));
  assert.equal(store.size, 0);
});

// ---- Redis store --------------------------------------------------------------------------------------------

/** node-redis keeps timers and sockets beyond a test's body; the stores are closed by each test. */
const redisTest = { ...needs("redis-server"), sanitizeOps: false, sanitizeResources: false };
const TIMEOUT = 250;

/** Claims fresh keys until one succeeds (Redis is back and the client reconnected), for up to `within` ms. */
async function waitUntilWorking(store: RedisReplayStore, within = 8000): Promise<void> {
  const deadline = Date.now() + within;
  for (let i = 0;; i++) {
    try {
      if (await store.claim(`probe-${i}`, 10_000)) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(50);
    }
  }
}

/** Asserts that `claim` rejects with ReplayStoreUnavailableError, and within the timeout (plus scheduling slack). */
async function assertFailsClosed(store: RedisReplayStore, key: string): Promise<void> {
  const started = performance.now();
  let guard: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error("claim did not settle")), TIMEOUT + 2000);
  });
  try {
    await assert.rejects(Promise.race([store.claim(key, 10_000), hung]), ReplayStoreUnavailableError);
  } finally {
    clearTimeout(guard);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < TIMEOUT + 200, `rejected after ${elapsed.toFixed(0)} ms`);
}

Deno.test({
  name: "redis: first claim true, then false; keys live under the prefix with the TTL as PX",
  ...redisTest,
  async fn() {
    const redis = await startRedis();
    const store = new RedisReplayStore(redis.url);
    const custom = new RedisReplayStore(redis.url, { prefix: "fleet-a:" });
    const raw = createClient({ url: redis.url });
    try {
      await Promise.all([store.ready(), custom.ready(), raw.connect()]);
      assert.equal(await store.claim("a", 5000), true);
      assert.equal(await store.claim("a", 5000), false);
      assert.equal(await store.claim("b", 5000), true);
      assert.equal(await raw.get("tls13:replay:a"), "1");
      const pttl = await raw.pTTL("tls13:replay:a");
      assert.ok(pttl > 4000 && pttl <= 5000, `PTTL ${pttl}`);
      // Another prefix is another namespace.
      assert.equal(await custom.claim("a", 5000), true);
      assert.equal(await raw.exists("fleet-a:a"), 1);
    } finally {
      await Promise.all([store.close(), custom.close(), raw.close()]);
      await redis.stop();
    }
  },
});

Deno.test({
  name: "redis: a key can be claimed again after its PX expires",
  ...redisTest,
  async fn() {
    const redis = await startRedis();
    const store = new RedisReplayStore(redis.url);
    try {
      await store.ready();
      assert.equal(await store.claim("a", 200), true);
      assert.equal(await store.claim("a", 200), false);
      await sleep(350);
      assert.equal(await store.claim("a", 200), true);
    } finally {
      await store.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "redis: two stores on one Redis (a fleet) see each other's claims; 100 parallel claims, one true",
  ...redisTest,
  async fn() {
    const redis = await startRedis();
    const nodeA = new RedisReplayStore(redis.url);
    const nodeB = new RedisReplayStore(redis.url);
    try {
      await Promise.all([nodeA.ready(), nodeB.ready()]);
      assert.equal(await nodeA.claim("hello-1", 10_000), true);
      assert.equal(await nodeB.claim("hello-1", 10_000), false);
      assert.equal(await nodeB.claim("hello-2", 10_000), true);
      assert.equal(await nodeA.claim("hello-2", 10_000), false);
      await exactlyOneWins([nodeA], "burst-1");
      await exactlyOneWins([nodeA, nodeB], "burst-2");
    } finally {
      await Promise.all([nodeA.close(), nodeB.close()]);
      await redis.stop();
    }
  },
});

Deno.test({
  name: "redis: stopped, claims reject within the timeout; restarted, the same store claims again",
  ...redisTest,
  async fn() {
    const redis = await startRedis();
    const errors: Error[] = [];
    const store = new RedisReplayStore(redis.url, { timeoutMs: TIMEOUT, onError: (e) => errors.push(e) });
    try {
      await store.ready();
      assert.equal(await store.claim("before", 10_000), true);
      await redis.stop();
      await assertFailsClosed(store, "during-1");
      await assertFailsClosed(store, "during-2");
      assert.ok(errors.length > 0, "the client's error events reached onError");
      await redis.start();
      await waitUntilWorking(store);
      // Redis restarted empty (no persistence), so "before" is gone; new claims behave as ever.
      assert.equal(await store.claim("after", 10_000), true);
      assert.equal(await store.claim("after", 10_000), false);
    } finally {
      await store.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "redis: a Redis that hangs (SIGSTOP) makes claims reject within the timeout; resumed, they work",
  ...redisTest,
  async fn() {
    const redis = await startRedis();
    const store = new RedisReplayStore(redis.url, { timeoutMs: TIMEOUT });
    try {
      await store.ready();
      redis.pause();
      await assertFailsClosed(store, "while-hung");
      redis.resume();
      await waitUntilWorking(store);
      assert.equal(await store.claim("fresh", 10_000), true);
      assert.equal(await store.claim("fresh", 10_000), false);
    } finally {
      redis.resume();
      await store.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "redis: made before Redis is up, the store refuses claims, then connects by itself",
  ...redisTest,
  async fn() {
    const redis = await startRedis();
    await redis.stop();
    const store = new RedisReplayStore(redis.url, { timeoutMs: TIMEOUT });
    try {
      await assertFailsClosed(store, "early");
      await redis.start();
      await store.ready();
      await waitUntilWorking(store);
    } finally {
      await store.close();
      await redis.stop();
    }
    await assert.rejects(store.claim("closed", 1000), ReplayStoreUnavailableError);
  },
});

Deno.test({
  name: "redis: a store on an existing client uses it and leaves it open on close",
  ...redisTest,
  async fn() {
    const redis = await startRedis();
    const client = createClient({ url: redis.url });
    try {
      await client.connect();
      const store = new RedisReplayStore(client, { prefix: "own:" });
      assert.equal(await store.claim("a", 5000), true);
      assert.equal(await store.claim("a", 5000), false);
      await store.close();
      assert.equal(client.isOpen, true);
      assert.equal(await client.exists("own:a"), 1);
    } finally {
      await client.close();
      await redis.stop();
    }
  },
});

// ---- other runtimes -----------------------------------------------------------------------------------------

const fixture = new URL("../fixtures/redis_claim.ts", import.meta.url).pathname;
const root = new URL("../..", import.meta.url).pathname;
const otherRuntimes: Runtime[] = ["bun", "node"];

for (const runtime of otherRuntimes) {
  Deno.test({
    name:
      `redis on ${runtime}: the store claims a key once, refuses the second claim, reconnects, fails closed without crashing`,
    ...needs("redis-server", runtime === "node" ? "tsx" : runtime),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const redis = await startRedis();
      const dead = await startRedis();
      await dead.stop(); // a port where nothing listens
      try {
        const [bin, ...args] = command(runtime, fixture, [redis.url, `${runtime}-key`, dead.url]);
        const out = await new Deno.Command(bin, {
          args,
          cwd: root,
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(60_000),
        }).output();
        const stdout = new TextDecoder().decode(out.stdout);
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, `${runtime} exited ${out.code}:\n${stdout}\n${stderr}`);
        const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
        assert.deepEqual(
          { ...report, deadMs: undefined },
          {
            runtime,
            first: true,
            second: false,
            recovered: true,
            deadClaim: { error: "ReplayStoreUnavailableError" },
            deadMs: undefined,
            unhandled: 0,
          },
        );
        assert.ok(report.deadMs < TIMEOUT + 200, `dead claim took ${report.deadMs} ms`);
      } finally {
        await redis.stop();
      }
    },
  });
}

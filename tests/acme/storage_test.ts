/**
 * Certificate storage, on a directory and on a real Redis: values round-trip, keys cannot escape, the lock is
 * exclusive (a second holder waits for the first), a live holder keeps it by renewing, and a holder that
 * crashed loses it after its TTL.
 */
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { needs } from "../_support/peers.ts";
import { startRedis } from "../_support/redis.ts";
import { type CertificateStorage, DirectoryStorage } from "../../src/acme/storage.ts";
import { RedisStorage } from "../../src/acme/redis_storage.ts";

/** Leaves behind the lock of a node that crashed while holding it, with `ttl` ms left. */
type Crash = (name: string, ttl: number) => Promise<void>;

async function exercise(storage: CertificateStorage, crash: Crash): Promise<void> {
  assert.equal(await storage.load("certificates/a.test/cert.pem"), null);
  await storage.store("certificates/a.test/cert.pem", "PEM");
  assert.equal(await storage.load("certificates/a.test/cert.pem"), "PEM");
  await storage.delete("certificates/a.test/cert.pem");
  assert.equal(await storage.load("certificates/a.test/cert.pem"), null);
  await assert.rejects(() => storage.load("../etc/passwd"), /bad storage key/);
  await assert.rejects(() => storage.store("/abs", "x"), /bad storage key/);

  // Exclusive: the second lock is granted only after the first is released.
  const order: string[] = [];
  const release = await storage.lock("a.test", 10_000);
  const second = storage.lock("a.test", 10_000).then((r) => (order.push("second"), r));
  await new Promise((r) => setTimeout(r, 600));
  order.push("first released");
  await release();
  await (await second)();
  assert.deepEqual(order, ["first released", "second"]);

  // A live holder renews its lock: three TTLs later it still has it.
  const held = await storage.lock("c.test", 300);
  const contender = storage.lock("c.test", 10_000);
  const early = await Promise.race([
    contender.then(() => "taken"),
    new Promise((r) => setTimeout(() => r("waiting"), 900)),
  ]);
  assert.equal(early, "waiting");
  await held();
  await (await contender)();

  // A holder that crashed (no release, no renewal) loses the lock after its TTL.
  await crash("b.test", 300);
  const started = Date.now();
  const taken = await storage.lock("b.test", 10_000);
  assert.ok(Date.now() - started >= 200, "the lock was taken before the TTL ran out");
  await taken();
}

Deno.test("DirectoryStorage: round trip, private files, safe keys, exclusive lock, stale lock taken over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "acme-storage-test-" });
  try {
    const storage = new DirectoryStorage(dir);
    await storage.store("certificates/k.test/key.pem", "KEY");
    assert.equal((await stat(`${dir}/certificates/k.test/key.pem`)).mode & 0o777, 0o600);
    await exercise(storage, async (name, ttl) => {
      await Deno.mkdir(`${dir}/locks`, { recursive: true });
      await Deno.writeTextFile(`${dir}/locks/${name}.lock`, JSON.stringify({ token: "x", expires: Date.now() + ttl }));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  ...needs("redis-server"),
  name: "RedisStorage: round trip, safe keys, exclusive lock, expired lock taken over",
  async fn() {
    const redis = await startRedis();
    const storage = new RedisStorage(redis.url);
    try {
      await exercise(storage, async (name, ttl) => {
        const { createClient } = await import("redis");
        const client = createClient({ url: redis.url });
        await client.connect();
        await client.sendCommand(["SET", `tls13:certs:locks/${name}`, "x", "PX", String(ttl)]);
        await client.close();
      });
    } finally {
      await storage.close();
      await redis.stop();
    }
  },
});

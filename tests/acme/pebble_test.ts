/**
 * ACME against a real ACME server (Pebble), with examples/acme.ts as the server under test, on Deno, Bun and
 * Node: first issuance through tls-alpn-01 on the serving port, renewal of short-lived certificates swapped in
 * under a bounded load with no failed request, two nodes sharing Redis obtaining one certificate, a CA that
 * goes down (the node keeps serving and retries with backoff), and tls-alpn-01 for a name we do not serve.
 */
import assert from "node:assert/strict";
import { needs } from "../_support/peers.ts";
import { Child, run } from "../_support/processes.ts";
import { startRedis } from "../_support/redis.ts";
import { command, type Runtime, runtimes } from "../_support/runtimes.ts";
import { freePort } from "../_support/server_peers.ts";
import { type Pebble, startPebble } from "../_support/pebble.ts";
import { httpsRequest } from "../../src/io/https_request.ts";
import { makeOcspFixtures, responderArgv } from "../../certs/ocsp.ts";
import acme from "acme-client";
import { useOurHttps } from "../../src/acme/acme_http.ts";

const example = new URL("../../examples/acme.ts", import.meta.url).pathname;

interface Node {
  child: Child;
  port: number;
  storage: string;
}

/** examples/acme.ts under `runtime`, for `domains`, on `port`, storing in `storage` (a directory or redis://). */
async function startNode(runtime: Runtime, pebble: Pebble, domains: string, port: number, storage?: string) {
  const dir = storage ?? await Deno.makeTempDir({ prefix: "acme-storage-" });
  const child = new Child(command(runtime, example), {
    ACME_DIRECTORY: pebble.directoryUrl,
    ACME_CA: pebble.listenerCa,
    DOMAINS: domains,
    PORT: String(port),
    ACME_STORAGE: dir,
  });
  await child.waitFor(/^LISTENING/, 60_000);
  return { child, port, storage: dir };
}

async function stopNode(node: Node): Promise<void> {
  await node.child.stop();
  if (!node.storage.startsWith("redis://")) await Deno.remove(node.storage, { recursive: true }).catch(() => {});
}

/** One HTTPS request to `name` at 127.0.0.1:`port`, trusting `roots`; no session cache, so each sees the chain. */
async function get(name: string, port: number, roots: string[]) {
  const r = await httpsRequest(`https://127.0.0.1:${port}/json`, {
    servername: name,
    ca: roots,
    sessionCache: false,
  });
  return { status: r.status, serial: r.tls.chain[0].serial };
}

const opts = needs("pebble", "pebble-challtestsrv");

for (const runtime of runtimes) {
  Deno.test({
    ...opts,
    name: `${runtime}: first issuance via tls-alpn-01, renewal of a short-lived certificate swapped in under load`,
    async fn() {
      const port = freePort();
      const pebble = await startPebble({ tlsPort: port, validity: 24 });
      const node = await startNode(runtime, pebble, "a.test", port);
      try {
        const first = (await node.child.waitFor(/^obtained a\.test serial (\w+)/, 60_000))[1];
        const roots = [await pebble.issuerRoot()];
        assert.deepEqual(await get("a.test", port, roots), { status: 200, serial: first });
        // A bounded loop (at most 90 s, 4 at a time) until the renewal has been served 20 times.
        const seen = new Map<string, number>();
        const failures: string[] = [];
        const deadline = Date.now() + 90_000;
        let after = 0;
        const worker = async () => {
          while (Date.now() < deadline && after < 20) {
            try {
              const r = await get("a.test", port, roots);
              if (r.status !== 200) failures.push(`HTTP ${r.status}`);
              seen.set(r.serial, (seen.get(r.serial) ?? 0) + 1);
              if (r.serial !== first) after++;
            } catch (e) {
              failures.push(String(e));
            }
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        const renewed = (await node.child.waitFor(/^renewed a\.test serial (\w+)/, 1000))[1];
        assert.deepEqual(failures, []);
        assert.ok(seen.get(first)! > 0 && seen.get(renewed)! >= 20, JSON.stringify([...seen]));
      } finally {
        await stopNode(node);
        await pebble.close();
      }
    },
  });
}

Deno.test({
  ...needs("pebble", "pebble-challtestsrv", "redis-server"),
  name: "two nodes (Deno and Node) sharing Redis: one orders, the other waits and loads the same certificate",
  async fn() {
    const redis = await startRedis();
    const portA = freePort();
    const portB = freePort();
    // Pebble validates on A's port only: if B wins the lock, A answers from the challenge in Redis.
    const pebble = await startPebble({ tlsPort: portA });
    const storage = `${redis.url}`;
    const [a, b] = await Promise.all([
      startNode("deno", pebble, "shared.test", portA, storage),
      startNode("node", pebble, "shared.test", portB, storage),
    ]);
    try {
      const line = /^(obtained|loaded) shared\.test serial (\w+)/;
      const [ma, mb] = await Promise.all([a.child.waitFor(line, 60_000), b.child.waitFor(line, 60_000)]);
      assert.deepEqual([ma[1], mb[1]].sort(), ["loaded", "obtained"]);
      assert.equal(ma[2], mb[2]);
      const roots = [await pebble.issuerRoot()];
      assert.equal((await get("shared.test", portA, roots)).serial, ma[2]);
      assert.equal((await get("shared.test", portB, roots)).serial, ma[2]);
      assert.equal((pebble.log.match(/Issued certificate serial/g) ?? []).length, 1, pebble.log);
    } finally {
      await stopNode(a);
      await stopNode(b);
      await pebble.close();
      await redis.stop();
    }
  },
});

Deno.test({
  ...opts,
  name: "ACME server down: the node keeps serving its certificate, retries with growing delays, renews once back",
  async fn() {
    const port = freePort();
    const pebble = await startPebble({ tlsPort: port, validity: 40 });
    const node = await startNode("deno", pebble, "down.test", port);
    try {
      const first = (await node.child.waitFor(/^obtained down\.test serial (\w+)/, 60_000))[1];
      const roots = [await pebble.issuerRoot()];
      await pebble.stop();
      const from = node.child.lines.length;
      const failure = /^failed down\.test \(attempt (\d+)\): .*; retrying in (\d+) ms/;
      await node.child.waitFor(/^failed down\.test \(attempt 2\)/, 60_000);
      const delays = node.child.lines.slice(from).map((l) => l.match(failure)).filter((m) => m !== null)
        .map((m) => Number(m![2]));
      assert.ok(delays.length >= 2 && delays[1] > delays[0], `delays ${delays}`);
      // Meanwhile the working certificate is still served.
      assert.deepEqual(await get("down.test", port, roots), { status: 200, serial: first });
      await pebble.start();
      const renewed = (await node.child.waitFor(/^renewed down\.test serial (\w+)/, 60_000))[1];
      roots.push(await pebble.issuerRoot());
      assert.deepEqual(await get("down.test", port, roots), { status: 200, serial: renewed });
    } finally {
      await stopNode(node);
      await pebble.close();
    }
  },
});

Deno.test({
  ...opts,
  name:
    "restart with a due certificate in storage and the CA down: the stored certificate serves while renewal retries",
  async fn() {
    const port = freePort();
    const pebble = await startPebble({ tlsPort: port, validity: 24 });
    const first = await startNode("deno", pebble, "restart.test", port);
    const storage = first.storage;
    let second: Node | null = null;
    try {
      const m = await first.child.waitFor(/^obtained restart\.test serial (\w+) .*renewal at (\S+)/, 60_000);
      const roots = [await pebble.issuerRoot()];
      await first.child.stop();
      await pebble.stop();
      // Past the renewal point (two thirds of 24 s), still before notAfter.
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(m[2]) - Date.now()) + 500));
      second = await startNode("deno", pebble, "restart.test", port, storage);
      await second.child.waitFor(new RegExp(`^loaded restart\\.test serial ${m[1]}`), 30_000);
      await second.child.waitFor(/^failed restart\.test \(attempt 1\)/, 30_000);
      assert.deepEqual(await get("restart.test", port, roots), { status: 200, serial: m[1] });
    } finally {
      if (second) await second.child.stop();
      await stopNode({ ...first, storage });
      await pebble.close();
    }
  },
});

Deno.test({
  ...opts,
  name: "a failed validation is retried with the same account and then succeeds",
  async fn() {
    const port = freePort();
    // The names resolve to ::1 too, where the node does not listen: Pebble's first validation fails.
    const pebble = await startPebble({ tlsPort: port, ipv6: true });
    const node = await startNode("deno", pebble, "retry.test", port);
    try {
      const failed = await node.child.waitFor(/^failed retry\.test \(attempt 1\): (.*); retrying in/, 60_000);
      assert.match(failed[1], /tls-alpn-01|connect/i);
      await pebble.dropIpv6();
      // Before the fix, every later attempt failed: re-registering the existing account was an empty update.
      await node.child.waitFor(/^obtained retry\.test serial/, 60_000);
    } finally {
      await stopNode(node);
      await pebble.close();
    }
  },
});

Deno.test({
  ...needs("pebble", "pebble-challtestsrv", "openssl"),
  name: "tls-alpn-01 for a name we do not serve is refused; ordinary clients never get a challenge certificate",
  async fn() {
    const port = freePort();
    const pebble = await startPebble({ tlsPort: port });
    const node = await startNode("deno", pebble, "ours.test", port);
    try {
      await node.child.waitFor(/^obtained ours\.test/, 60_000);
      const validator = (name: string) =>
        run(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", name, "-alpn", "acme-tls/1"]);
      const refused = await validator("other.test");
      assert.match(refused.output, /no application protocol/i);
      // No challenge is pending for our own name either, once issued: refused the same way.
      assert.match((await validator("ours.test")).output, /no application protocol/i);
      const roots = [await pebble.issuerRoot()];
      assert.equal((await get("ours.test", port, roots)).status, 200);
      // Someone else's ACME account asks Pebble to validate names that lead to our port (listening: the GET above
      // was served): the validator's handshake is refused as above and the authorization fails, for a name we
      // do not serve and for one we do.
      await useOurHttps({ path: pebble.listenerCa });
      const stranger = new acme.Client({
        directoryUrl: pebble.directoryUrl,
        accountKey: await acme.crypto.createPrivateEcdsaKey(),
        backoffMin: 250,
        backoffMax: 2000,
      });
      await stranger.createAccount({ termsOfServiceAgreed: true });
      for (const name of ["other.test", "ours.test"]) {
        const order = await stranger.createOrder({ identifiers: [{ type: "dns", value: name }] });
        const [authz] = await stranger.getAuthorizations(order);
        const challenge = authz.challenges.find((c) => (c.type as string) === "tls-alpn-01")!;
        await stranger.completeChallenge(challenge);
        await assert.rejects(() => stranger.waitForValidStatus(challenge), /for the tls-alpn-01 challenge/);
      }
    } finally {
      await stopNode(node);
      await pebble.close();
    }
  },
});

Deno.test({
  ...needs("pebble", "pebble-challtestsrv", "openssl"),
  name:
    "OCSP for ACME certificates: the manager asks the responder the certificate names, and refuses a foreign signer",
  async fn() {
    const port = freePort();
    const ocspPort = freePort();
    const dir = await Deno.makeTempDir({ prefix: "acme-ocsp-" });
    // A real responder, but signing with the development CA, not Pebble's: its answers must never be stapled.
    const f = await makeOcspFixtures(dir, `http://127.0.0.1:${ocspPort}/`);
    const responder = new Child(responderArgv(f, ocspPort, "issuer"));
    const pebble = await startPebble({ tlsPort: port, ocspResponderUrl: `http://127.0.0.1:${ocspPort}/` });
    const node = await startNode("deno", pebble, "ocsp.test", port);
    try {
      await responder.waitFor(/waiting for OCSP client connections/);
      await node.child.waitFor(/^obtained ocsp\.test/, 60_000);
      const refused = await node.child.waitFor(/^ocsp_failed ocsp\.test serial \w+: (.*); retrying/, 30_000);
      assert.match(refused[1], /not issued by the issuer|neither the issuer/);
      await responder.waitFor(/Received request/);
      const r = await httpsRequest(`https://127.0.0.1:${port}/`, {
        servername: "ocsp.test",
        ca: [await pebble.issuerRoot()],
        sessionCache: false,
      });
      assert.deepEqual(r.tls.ocsp, { stapled: false });
    } finally {
      await stopNode(node);
      await pebble.close();
      await responder.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

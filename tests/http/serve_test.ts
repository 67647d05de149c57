/**
 * Claims about `serve()`'s shape (issue 14), as users of `Deno.serve` and `Bun.serve` expect it: it returns
 * the server at once, `ready` says when it listens (and rejects when it cannot start), `addr` is there
 * from then on, `finished` resolves after `shutdown()` or the abort signal; `onError` may return the
 * Response to send instead of the default 500.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { serve } from "../../src/serve.ts";
import { httpsRequest } from "../../src/io/https_request.ts";

const certs = await ensureDevCerts();
const tls = { cert: { path: certs.server["ecdsa-p256"].cert }, key: { path: certs.server["ecdsa-p256"].key } };
const client = { ca: { path: certs.ca.cert }, sessionCache: false as const };

Deno.test("serve() returns at once; addr once ready; finished after shutdown", async () => {
  const listened: number[] = [];
  const server = serve({
    fetch: () => new Response("hi"),
    port: 0,
    hostname: "127.0.0.1",
    tls,
    onListen: (addr) => listened.push(addr.port),
  });
  assert.equal(server.connections, 0);
  assert.throws(() => server.addr, /await server.ready/);
  await server.ready;
  assert.deepEqual(listened, [server.addr.port]);
  assert.equal(server.url, `https://127.0.0.1:${server.addr.port}/`);
  const response = await httpsRequest(`https://localhost:${server.addr.port}/`, client);
  assert.equal(response.status, 200);
  let finished = false;
  server.finished.then(() => finished = true);
  await server.shutdown();
  await server.finished;
  assert.ok(finished);
});

Deno.test("ready rejects when the server cannot start, and so does finished", async () => {
  const first = serve({ fetch: () => new Response(""), port: 0, hostname: "127.0.0.1", tls, onListen: () => {} });
  await first.ready;
  const taken = serve({ fetch: () => new Response(""), port: first.addr.port, hostname: "127.0.0.1", tls });
  await assert.rejects(taken.ready);
  await assert.rejects(taken.finished);
  const badCert = serve({
    fetch: () => new Response(""),
    port: 0,
    tls: { cert: "not a certificate", key: "nor a key" },
  });
  await assert.rejects(badCert.ready);
  await first.shutdown();
});

Deno.test("an aborted signal shuts the server down, even before it listened", async () => {
  const stop = new AbortController();
  const server = serve({ fetch: () => new Response(""), port: 0, tls, signal: stop.signal, onListen: () => {} });
  stop.abort();
  await server.finished;
  const early = new AbortController();
  early.abort();
  await serve({ fetch: () => new Response(""), port: 0, tls, signal: early.signal, onListen: () => {} }).finished;
});

Deno.test("onError may answer a failed handler with its own Response (with HSTS); else the default 500", async () => {
  const seen: string[] = [];
  const server = serve({
    fetch: (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/ok") return new Response("ok");
      throw new Error(path);
    },
    port: 0,
    hostname: "127.0.0.1",
    tls,
    hsts: true,
    onListen: () => {},
    onError: (error) => {
      const path = (error as Error).message;
      seen.push(path);
      if (path === "/shaped") return new Response("sorry", { status: 503, headers: { "retry-after": "1" } });
      if (path === "/throws") throw new Error("the hook fails too");
    },
  });
  await server.ready;
  const get = (path: string) => httpsRequest(`https://localhost:${server.addr.port}${path}`, client);
  const shaped = await get("/shaped");
  assert.equal(shaped.status, 503);
  assert.equal(new TextDecoder().decode(shaped.body), "sorry");
  assert.equal(shaped.headers.get("retry-after"), "1");
  assert.match(shaped.headers.get("strict-transport-security") ?? "", /^max-age=/);
  assert.equal((await get("/throws")).status, 500);
  assert.equal((await get("/plain")).status, 500);
  assert.equal((await get("/ok")).status, 200);
  assert.deepEqual(seen, ["/shaped", "/throws", "/plain"]);
  await server.shutdown();
});

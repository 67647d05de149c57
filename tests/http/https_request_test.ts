/**
 * Our client's 0-RTT over HTTP (RFC 8446 §2.3, RFC 8470): a GET sent as early data is answered in 0-RTT
 * with `Early-Data: 1` seen by the app; a POST sent as early data gets 425 and is retried after the
 * handshake, answered once; a server without 0-RTT answers the early request once, after the handshake.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { app } from "../../examples/hello.ts";
import { serve } from "../../src/serve.ts";
import { httpsRequest } from "../../src/io/https_request.ts";
import { ClientSessionCache } from "../../src/tls/client/session_cache.ts";

const certs = await ensureDevCerts();
const tls = { cert: { path: certs.server["ecdsa-p256"].cert }, key: { path: certs.server["ecdsa-p256"].key } };

Deno.test("0-RTT GET is answered in early data; 0-RTT POST gets 425 and is retried once after the handshake", async () => {
  const seen: { method: string; early: string | null }[] = [];
  const server = serve({
    fetch: (req, env) => {
      seen.push({ method: req.method, early: req.headers.get("early-data") });
      return app.fetch(req, env);
    },
    port: 0,
    hostname: "127.0.0.1",
    tls: { ...tls, earlyData: {} },
    onListen: () => {},
  });
  await server.ready;
  // Single-use tickets: the first handshake leaves two, one for each 0-RTT request below. (A 0-RTT exchange
  // closed right after its response never reads the tickets that follow the client Finished.)
  const sessionCache = new ClientSessionCache();
  const base = `https://127.0.0.1:${server.addr.port}`;
  const common = { ca: { path: certs.ca.cert }, sessionCache };
  try {
    const first = await httpsRequest(`${base}/json`, common);
    assert.equal(first.status, 200);
    assert.equal(first.tls.resumed, false);

    const early = await httpsRequest(`${base}/json`, { ...common, earlyData: true });
    assert.equal(early.status, 200);
    assert.equal(early.tls.resumed, true);
    assert.equal(early.tls.earlyDataAccepted, true);
    assert.equal(JSON.parse(new TextDecoder().decode(early.body)).tls.earlyData, true);
    assert.deepEqual(seen.at(-1), { method: "GET", early: "1" });

    const before = seen.length;
    const post = await httpsRequest(`${base}/upload`, { ...common, method: "POST", body: "hello", earlyData: true });
    assert.equal(post.status, 200);
    assert.equal(post.retriedAfterTooEarly, true);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(post.body)).size, 5);
    // serve() answered the early POST with 425 itself: the app saw the POST once, after the handshake.
    assert.deepEqual(seen.slice(before), [{ method: "POST", early: null }]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a server without 0-RTT answers an early request once, after the handshake", async () => {
  let calls = 0;
  const server = serve({
    fetch: (req, env) => {
      calls++;
      return app.fetch(req, env);
    },
    port: 0,
    hostname: "127.0.0.1",
    tls,
    onListen: () => {},
  });
  await server.ready;
  const sessionCache = new ClientSessionCache({ reuse: true });
  const url = `https://127.0.0.1:${server.addr.port}/json`;
  const common = { ca: { path: certs.ca.cert }, sessionCache };
  try {
    await httpsRequest(url, common);
    const r = await httpsRequest(url, { ...common, earlyData: true });
    assert.equal(r.status, 200);
    assert.equal(r.tls.resumed, true);
    assert.equal(r.tls.earlyDataAccepted, false);
    assert.equal(JSON.parse(new TextDecoder().decode(r.body)).tls.earlyData, false);
    assert.equal(calls, 2);
  } finally {
    await server.shutdown();
  }
});

/**
 * Issue 13, "0-RTT with client certificates per path": on a server with 0-RTT on, a resumed client that
 * offered post-handshake authentication and sends its request to a `clientCertificate()` path as early
 * data gets its answer after the handshake completes and the certificate is asked for (RFC 8446 §4.6.2:
 * a CertificateRequest only after the client's Finished), never a wrong 403 `not_offered`. With openssl
 * s_client against serve() on Deno, Bun and Node, and with our own client. The 403 page for a client
 * that did not offer it names the Firefox pref instead of claiming browsers lack the feature.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { ensureDevCerts } from "../../certs/generate.ts";
import { clientCertificate, serve, type TlsBindings } from "../../mod.ts";
import { httpsRequest } from "../../src/io/https_request.ts";
import { ClientSessionCache } from "../../src/tls/client/session_cache.ts";
import { needs } from "../_support/peers.ts";
import { run, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();

for (const runtime of runtimes) {
  Deno.test({
    name: `${runtime}: openssl s_client -enable_pha -sess_in -early_data to a clientCertificate() path gets 200`,
    ...needs("openssl"),
    fn: async () => {
      const { child, port } = await startFixture(runtime, "client_certs_server.ts", [
        JSON.stringify({ earlyData: true }),
      ]);
      const dir = await Deno.makeTempDir();
      try {
        const common = ["-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-CAfile", certs.ca.cert]
          .concat(["-enable_pha", "-cert", certs.client.cert, "-key", certs.client.key]);
        const first = await run(
          ["openssl", "s_client", ...common, "-sess_out", `${dir}/sess.pem`, "-quiet"],
          ["GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"],
        );
        assert.match(first.output, /Hello, anonymous visitor/);
        await Deno.writeTextFile(
          `${dir}/early.txt`,
          "GET /secure/x HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        );
        // -ign_eof: s_client keeps the connection after sending its early data, so it can answer the
        // CertificateRequest; the server closes after the response (Connection: close).
        const early = await run([
          "openssl",
          "s_client",
          ...common,
          "-sess_in",
          `${dir}/sess.pem`,
          "-early_data",
          `${dir}/early.txt`,
          "-ign_eof",
        ]);
        assert.match(early.output, /Reused, TLSv1\.3/);
        assert.match(early.output, /Early data was accepted/);
        assert.match(early.output, /HTTP\/1\.1 200 OK/);
        assert.match(early.output, /"subject":"CN=tls13-hono dev client/);
        assert.doesNotMatch(early.output, /not_offered/);
      } finally {
        await child.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test("our client: a 0-RTT GET to a clientCertificate() path is answered after the handshake and PHA", async () => {
  const app = new Hono<{ Bindings: TlsBindings }>();
  app.use("/secure/*", clientCertificate());
  app.get("/secure/*", (c) => c.json({ early: c.env.tls.earlyData, subject: c.env.tls.clientCertificate!.subject }));
  app.get("/", (c) => c.text("open"));
  const server = serve({
    fetch: app.fetch,
    port: 0,
    hostname: "127.0.0.1",
    tls: {
      cert: { path: certs.server["ecdsa-p256"].cert },
      key: { path: certs.server["ecdsa-p256"].key },
      clientAuth: { ca: { path: certs.ca.cert } },
      earlyData: {},
    },
    clientCertificateTimeout: 5_000,
    onListen: () => {},
  });
  await server.ready;
  try {
    const options = {
      ca: { path: certs.ca.cert },
      cert: { path: certs.client.cert },
      key: { path: certs.client.key },
      sessionCache: new ClientSessionCache(),
      earlyData: true,
    };
    const url = (path: string) => `https://localhost:${server.addr.port}${path}`;
    const first = await httpsRequest(url("/"), options);
    assert.equal(first.status, 200);
    const second = await httpsRequest(url("/secure/x"), options);
    assert.equal(second.tls.earlyDataAccepted, true, "the request went out in 0-RTT and was accepted");
    assert.equal(second.status, 200, new TextDecoder().decode(second.body));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(second.body)), {
      early: true,
      subject: "CN=tls13-hono dev client, O=tls13-hono development",
    });
    assert.equal(second.retriedAfterTooEarly, false);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the 403 for a client that did not offer PHA names Firefox's pref, and no claim that browsers lack it", async () => {
  const app = new Hono<{ Bindings: TlsBindings }>();
  app.use("/secure/*", clientCertificate());
  app.get("/secure/*", (c) => c.text("secret"));
  const server = serve({
    fetch: app.fetch,
    port: 0,
    hostname: "127.0.0.1",
    tls: {
      cert: { path: certs.server["ecdsa-p256"].cert },
      key: { path: certs.server["ecdsa-p256"].key },
      clientAuth: { ca: { path: certs.ca.cert } },
    },
    onListen: () => {},
  });
  await server.ready;
  try {
    const options = { ca: { path: certs.ca.cert }, sessionCache: false as const };
    for (const accept of ["application/json", "text/html"]) {
      const r = await httpsRequest(`https://localhost:${server.addr.port}/secure/x`, {
        ...options,
        headers: { accept },
      });
      const text = new TextDecoder().decode(r.body);
      assert.equal(r.status, 403);
      assert.match(text, /not_offered/);
      assert.match(text, /Firefox offers it once security\.tls\.enable_post_handshake_auth is set/);
      assert.doesNotMatch(text, /[Bb]rowsers do not support/);
    }
  } finally {
    await server.shutdown();
  }
});

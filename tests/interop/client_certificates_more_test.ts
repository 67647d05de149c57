/**
 * More client-certificate evidence for issue 8 (RFC 8446 §4.3.2, §4.4, §4.6.2), beyond
 * tests/interop/client_certificates_test.ts: our client (httpsRequest) through post-handshake auth on Deno, Bun and
 * Node; what curl does with --cert (does it offer post_handshake_auth?); handshake mTLS refusals seen from
 * curl, Python's ssl and our client, each with its own alert; headless Chromium's readable 403; hostile
 * post-handshake messages in memory (each a specific alert, the connection closed); and a client that never
 * answers the CertificateRequest, answered 403 after `clientCertificateTimeout`.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { ensureDevCerts } from "../../certs/generate.ts";
import { clientCertificate, serve, type TlsBindings } from "../../mod.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { httpsRequest } from "../../src/io/https_request.ts";
import type { TlsAlert } from "../../src/tls/alert.ts";
import { answerCertificateRequest, readPostHandshakeRequest } from "../../src/tls/client/client_auth.ts";
import { ClientConnection } from "../../src/tls/client/client_connection.ts";
import { finishedVerifyData } from "../../src/tls/key_schedule.ts";
import type { CertifiedKey } from "../../src/tls/pki/certified_key.ts";
import { loadCertifiedKey, loadTrustStore } from "../../src/io/pki_files.ts";
import { encodeCertificate } from "../../src/tls/wire/certificate.ts";
import { HandshakeType } from "../../src/tls/wire/constants.ts";
import { encodeHandshake, type HandshakeMessage } from "../../src/tls/wire/handshake.ts";
import { devClient, devServer, MemoryPair } from "../_support/memory_pair.ts";
import { needs } from "../_support/peers.ts";
import { run, startFixture } from "../_support/processes.ts";
import { chromium, spkiHash } from "../_support/chromium.ts";
import { runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();
const sanitize = { sanitizeResources: false, sanitizeOps: false };
const dec = new TextDecoder();
const trusted = { cert: { path: certs.client.cert }, key: { path: certs.client.key } };
const base = { ca: certs.ca.cert, sessionCache: false as const, headers: { accept: "application/json" } };

/** The client certificates a `require` server must refuse, and the alert each must get (RFC 8446 §6.2). */
const refusals: { name: string; cert?: { cert: string; key: string }; alert: string }[] = [
  { name: "unknown CA", cert: certs.clientUnknownCa, alert: "unknown_ca" },
  { name: "expired", cert: certs.clientExpired, alert: "certificate_expired" },
  // EKU serverAuth only: not for client authentication.
  { name: "wrong key usage (server certificate)", cert: certs.server["ecdsa-p256"], alert: "unsupported_certificate" },
  { name: "no certificate", alert: "certificate_required" },
];

/** "unknown_ca" as OpenSSL prints it ("tlsv1 alert unknown ca", "sslv3 alert certificate expired", ...). */
const opensslAlert = (alert: string) => new RegExp(`alert ${alert.replace(/_/g, " ")}`, "i");

// ----- 1 and 3 (our client) against the fixture on each runtime -----

for (const runtime of runtimes) {
  Deno.test({
    name: `our client (httpsRequest) with post-handshake auth, server on ${runtime}`,
    ...sanitize,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "client_certs_server.ts", []);
      const url = (p: string) => `https://127.0.0.1:${port}${p}`;
      try {
        await t.step("with cert/key: /secure/x is 200 with the client subject", async () => {
          const r = await httpsRequest(url("/secure/x"), { ...base, ...trusted });
          const body = dec.decode(r.body);
          assert.equal(r.status, 200, body);
          assert.match(body, /"subject":"CN=tls13-hono dev client/);
        });
        await t.step("without cert/key: 403 JSON (not offered), then / is 200 on a new connection", async () => {
          const r = await httpsRequest(url("/secure/x"), base);
          const body = dec.decode(r.body);
          assert.equal(r.status, 403, body);
          assert.match(r.headers.get("content-type") ?? "", /application\/json/);
          assert.match(body, /"failure":"not_offered"/);
          const open = await httpsRequest(url("/"), base);
          assert.equal(open.status, 200);
          assert.match(dec.decode(open.body), /Hello, anonymous visitor/);
        });
      } finally {
        await child.stop();
      }
    },
  });

  Deno.test({
    name: `handshake mTLS (require), server on ${runtime}: curl, Python and our client; each refusal has its own alert`,
    ...needs("curl", "python3"),
    ...sanitize,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "client_certs_server.ts", [
        JSON.stringify({ mode: "require" }),
      ]);
      const url = `https://127.0.0.1:${port}/secure/x`;
      try {
        await t.step("trusted certificate: accepted by all three", async () => {
          const c = await curl(url, certs.client);
          assert.match(c.output, /"subject":"CN=tls13-hono dev client/, c.output);
          assert.match(c.output, /HTTP 200$/m);
          const p = await run(["python3", "-c", pythonMtls(port, certs.client)]);
          assert.match(p.output, /^200 .*"subject":"CN=tls13-hono dev client/m, p.output);
          const o = await httpsRequest(url, { ...base, ...trusted });
          assert.equal(o.status, 200);
          assert.match(dec.decode(o.body), /"subject":"CN=tls13-hono dev client/);
        });
        for (const r of refusals) {
          await t.step({
            name: `${r.name}: ${r.alert} for curl, Python and our client`,
            async fn() {
              const c = await curl(url, r.cert);
              assert.match(c.output, opensslAlert(r.alert), `curl: ${c.output}`);
              const p = await run(["python3", "-c", pythonMtls(port, r.cert)]);
              assert.match(p.output, opensslAlert(r.alert), `python: ${p.output}`);
              const ours = await httpsRequest(url, {
                ...base,
                ...(r.cert ? { cert: { path: r.cert.cert }, key: { path: r.cert.key } } : {}),
              })
                .then((x) => new Error(`answered ${x.status}`), (e) => e);
              assert.equal((ours as TlsAlert).alertName, r.alert, String(ours));
              assert.equal((ours as TlsAlert).source, "remote", String(ours));
            },
          });
        }
      } finally {
        await child.stop();
      }
    },
  });
}

function curl(url: string, cert?: { cert: string; key: string }, extra: string[] = []) {
  return run([
    "curl",
    "-sS",
    "--max-time",
    "10",
    "--cacert",
    certs.ca.cert,
    "-H",
    "Accept: application/json",
    ...(cert ? ["--cert", cert.cert, "--key", cert.key] : []),
    ...extra,
    "-w",
    "\nHTTP %{http_code}\n",
    url,
  ]);
}

function pythonMtls(port: number, cert?: { cert: string; key: string }): string {
  return `
import ssl, http.client
ctx = ssl.create_default_context(cafile=${JSON.stringify(certs.ca.cert)})
${cert ? `ctx.load_cert_chain(${JSON.stringify(cert.cert)}, ${JSON.stringify(cert.key)})` : ""}
try:
    conn = http.client.HTTPSConnection("127.0.0.1", ${port}, context=ctx, timeout=10)
    conn.request("GET", "/secure/x", headers={"Accept": "application/json"})
    r = conn.getresponse()
    print(r.status, r.read().decode().strip())
except Exception as e:
    print("ERROR", type(e).__name__, e)
`;
}

// ----- 2: curl and post-handshake auth -----

Deno.test({
  name: "curl --cert against per-path client certificates: records whether curl offers post_handshake_auth",
  ...needs("curl"),
  ...sanitize,
  async fn(t) {
    const { child, port } = await startFixture("deno", "client_certs_server.ts", []);
    const url = `https://127.0.0.1:${port}/secure/x`;
    try {
      await t.step("curl --cert/--key on /secure/x: 200 via PHA, or 403 not_offered", async () => {
        const c = await curl(url, certs.client);
        if (/HTTP 200$/m.test(c.output)) {
          console.log("curl --cert OFFERS post_handshake_auth: /secure/x answered 200 after a post-handshake exchange");
          assert.match(c.output, /"subject":"CN=tls13-hono dev client/);
        } else {
          console.log("curl --cert does NOT offer post_handshake_auth: /secure/x answered 403 not_offered");
          assert.match(c.output, /HTTP 403$/m, c.output);
          assert.match(c.output, /"failure":"not_offered"/);
        }
      });
      await t.step("curl without --cert on /secure/x: 403 JSON that says why", async () => {
        const c = await curl(url);
        assert.match(c.output, /HTTP 403$/m, c.output);
        // curl (OpenSSL backend) turns post_handshake_auth on for every connection, so without --cert it still
        // offers PHA and answers the CertificateRequest with an empty Certificate: no_certificate. A curl that
        // does not offer it gets not_offered.
        const failure = c.output.match(/"failure":"(\w+)"/)?.[1];
        assert.ok(failure === "no_certificate" || failure === "not_offered", c.output);
        console.log(
          `curl without --cert: 403 ${failure} (${
            failure === "no_certificate" ? "PHA offered, empty Certificate" : "PHA not offered"
          })`,
        );
        const open = await curl(`https://127.0.0.1:${port}/`);
        assert.match(open.output, /Hello, anonymous visitor[\s\S]*HTTP 200$/m);
      });
    } finally {
      await child.stop();
    }
  },
});

// ----- 4: headless Chromium -----

Deno.test({
  name: "headless Chromium (no post-handshake auth) on /secure/x gets the readable 403 page",
  ...needs("chromium"),
  ...sanitize,
  async fn(t) {
    const { child, port } = await startFixture("deno", "client_certs_server.ts", []);
    const url = `https://127.0.0.1:${port}/secure/x`;
    const pin = `--ignore-certificate-errors-spki-list=${spkiHash(certs.server["ecdsa-p256"].cert)}`;
    try {
      await t.step("--dump-dom shows the 403 page", async () => {
        const dom = await chromium(url, [pin, "--dump-dom"]);
        assert.match(dom, /A client certificate is required/, dom);
        assert.match(dom, /not_offered/);
      });
      await t.step("screenshot in tests/output/client-cert-403.png", async () => {
        const file = new URL("../output/client-cert-403.png", import.meta.url).pathname;
        await Deno.remove(file).catch(() => {});
        const out = await chromium(url, [pin, `--screenshot=${file}`, "--window-size=1024,700", "--hide-scrollbars"]);
        const png = await Deno.stat(file).catch(() => null);
        assert.ok(png && png.size > 1000, `no screenshot written:\n${out}`);
      });
    } finally {
      await child.stop();
    }
  },
});

// ----- 5: hostile post-handshake messages, in memory -----

const clientKey: CertifiedKey = await loadCertifiedKey(trusted, nobleProvider);
const anchors = await loadTrustStore({ path: certs.ca.cert });

async function phaPair(): Promise<MemoryPair> {
  const p = new MemoryPair(
    await devClient({ certificate: clientKey }),
    await devServer({ clientAuth: { mode: "none", anchors } }),
  );
  await p.handshake();
  assert.ok(p.server.canRequestClientCertificate);
  return p;
}

interface Misbehaviour {
  /** The certificate_request_context to answer with instead of the request's. */
  context?: (asked: Uint8Array) => Uint8Array;
  /** Sign (and finish) over the transcript without the CertificateRequest. */
  wrongTranscript?: boolean;
  /** Flip a bit of the Finished. */
  badFinished?: boolean;
}

/**
 * Replaces our client's answer to post-handshake CertificateRequests (client_connection.ts
 * answerPostHandshakeRequest, over its Established state's `traffic` and its record layer) with one built the
 * same way but wrong in one respect.
 */
function misbehave(client: ClientConnection, how: Misbehaviour | ((n: number) => Misbehaviour)) {
  // deno-lint-ignore no-explicit-any
  const c = client as any;
  let n = 0;
  c.answerPostHandshakeRequest = async (msg: HandshakeMessage) => {
    const m = typeof how === "function" ? how(n++) : how;
    const request = readPostHandshakeRequest(msg.body);
    const traffic = c.traffic;
    const transcript = traffic.transcript.clone();
    if (!m.wrongTranscript) transcript.update(msg.raw);
    const asked = m.context ? { ...request, requestContext: m.context(request.requestContext) } : request;
    const answer = await answerCertificateRequest(c.config.certificate, asked, transcript);
    for (const x of answer.messages) c.records.queueHandshake(x);
    const finished = finishedVerifyData(traffic.suite.hash, c.records.writeSecret, transcript.digest());
    if (m.badFinished) finished[0] ^= 1;
    c.records.queueHandshake(encodeHandshake(HandshakeType.finished, finished));
    c.records.flushHandshake();
  };
}

function assertClosedWith(p: MemoryPair, alert: string) {
  assert.equal(p.failure("server")?.alertName, alert, String(p.failure("server")));
  assert.equal(p.failure("client")?.alertName, alert, "the client hears the same alert");
  assert.equal(p.failure("client")?.source, "remote");
  assert.ok(p.server.isClosed, "the server's side is closed");
  assert.ok(p.client.isClosed, "the client's side is closed");
  assert.equal(p.ofType("server", "client_certificate").length, 0, "no certificate was accepted");
}

Deno.test("hostile: a client Certificate the server did not ask for is unexpected_message", async () => {
  const p = await phaPair();
  // deno-lint-ignore no-explicit-any
  const c = p.client as any;
  c.records.queueHandshake(
    encodeHandshake(HandshakeType.certificate, encodeCertificate(new Uint8Array(0), clientKey.chain)),
  );
  c.records.flushHandshake();
  await p.pump();
  assertClosedWith(p, "unexpected_message");
});

Deno.test("hostile: an unknown certificate_request_context is illegal_parameter", async () => {
  const p = await phaPair();
  misbehave(p.client, { context: () => new Uint8Array(32).fill(7) });
  p.server.requestClientCertificate();
  await p.pump();
  assertClosedWith(p, "illegal_parameter");
});

Deno.test("hostile: a reused certificate_request_context (the first request's, for the second) is illegal_parameter", async () => {
  const p = await phaPair();
  let first: Uint8Array | null = null;
  misbehave(p.client, (n) => ({ context: (asked) => n === 0 ? (first = asked) : first! }));
  p.server.requestClientCertificate();
  await p.pump();
  assert.equal(p.ofType("server", "client_certificate").length, 1, "the first answer is accepted");
  p.server.requestClientCertificate();
  await p.pump();
  assert.equal(p.failure("server")?.alertName, "illegal_parameter", String(p.failure("server")));
  assert.ok(p.server.isClosed && p.client.isClosed);
  assert.equal(p.ofType("server", "client_certificate").length, 1, "the second is not");
});

Deno.test("hostile: a post-handshake Finished that does not match is decrypt_error", async () => {
  const p = await phaPair();
  misbehave(p.client, { badFinished: true });
  p.server.requestClientCertificate();
  await p.pump();
  assertClosedWith(p, "decrypt_error");
});

Deno.test("hostile: a CertificateVerify over the wrong transcript is decrypt_error", async () => {
  const p = await phaPair();
  misbehave(p.client, { wrongTranscript: true });
  p.server.requestClientCertificate();
  await p.pump();
  assertClosedWith(p, "decrypt_error");
});

// ----- 5: a client that never answers -----

Deno.test({
  name: "a client that never answers the CertificateRequest gets a 403 after clientCertificateTimeout; no handler runs",
  ...sanitize,
  async fn() {
    let handled = 0;
    const app = new Hono<{ Bindings: TlsBindings }>();
    app.use("/secure/*", clientCertificate());
    app.get("/secure/*", (c) => {
      handled++;
      return c.text("secret\n");
    });
    const server = serve({
      fetch: app.fetch,
      port: 0,
      hostname: "127.0.0.1",
      tls: {
        cert: { path: certs.server["ecdsa-p256"].cert },
        key: { path: certs.server["ecdsa-p256"].key },
        clientAuth: { ca: { path: certs.ca.cert } },
      },
      clientCertificateTimeout: 500,
      onListen: () => {},
    });
    await server.ready;
    // deno-lint-ignore no-explicit-any
    const proto = ClientConnection.prototype as any;
    const original = proto.answerPostHandshakeRequest;
    // Offers post_handshake_auth (it has a certificate), then ignores the CertificateRequest.
    proto.answerPostHandshakeRequest = async () => {};
    try {
      const start = performance.now();
      const r = await httpsRequest(`https://127.0.0.1:${server.addr.port}/secure/x`, { ...base, ...trusted });
      const elapsed = performance.now() - start;
      const body = dec.decode(r.body);
      assert.equal(r.status, 403, body);
      assert.match(body, /"failure":"timeout"/);
      assert.ok(elapsed >= 500, `answered after ${elapsed} ms`);
      assert.ok(elapsed < 5000, `answered after ${elapsed} ms`);
      assert.equal(handled, 0, "the handler never ran");
    } finally {
      proto.answerPostHandshakeRequest = original;
      await server.shutdown();
    }
  },
});

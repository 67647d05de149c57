/**
 * Client certificates, at the handshake and per path through post-handshake authentication (RFC 8446
 * §4.3.2, §4.6.2), against examples/client-certs.ts served on Deno, Bun and Node: openssl s_client and
 * Python's ssl (http.client) with and without a certificate; mTLS require/request; certificates that must
 * be refused.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { needs } from "../_support/peers.ts";
import { type Child, run, startFixture, type Step } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();

const get = (path: string, accept = "application/json") =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: ${accept}\r\n\r\n`;

/**
 * s_client with -quiet keeps reading after its stdin ends, until the server closes the idle connection
 * (1 s in the fixture): every response arrives however slow the machine is.
 */
function sClient(port: number, extra: string[], script: Step[]) {
  return run(
    ["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", certs.ca.cert, "-quiet", ...extra],
    script,
  );
}

const withCert = ["-enable_pha", "-cert", certs.client.cert, "-key", certs.client.key];

function pythonClient(port: number, cert: boolean, paths: string[]): string {
  return `
import ssl, http.client, json
ctx = ssl.create_default_context(cafile=${JSON.stringify(certs.ca.cert)})
ctx.post_handshake_auth = True
${cert ? `ctx.load_cert_chain(${JSON.stringify(certs.client.cert)}, ${JSON.stringify(certs.client.key)})` : ""}
conn = http.client.HTTPSConnection("localhost", ${port}, context=ctx)
for path in ${JSON.stringify(paths)}:
    conn.request("GET", path, headers={"Accept": "application/json"})
    r = conn.getresponse()
    print(r.status, r.read().decode().strip().replace("\\n", " "))
conn.close()
`;
}

for (const runtime of runtimes) {
  Deno.test({
    name: `client certificates per path, server on ${runtime}`,
    ...needs("openssl", "python3"),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "client_certs_server.ts", []);
      try {
        await t.step(
          "openssl -enable_pha with a certificate gets /secure/x after a post-handshake exchange",
          async () => {
            const r = await sClient(port, [...withCert, "-msg"], [
              get("/"),
              { until: /Hello, anonymous visitor/ },
              get("/secure/x"),
              { until: /"subject":"CN=tls13-hono dev client/ },
              get("/"),
              { until: /Hello again, CN=tls13-hono dev client/ },
            ]);
            assert.match(r.output, /Hello, anonymous visitor/, "/ is open before any certificate");
            // The server's CertificateRequest arrives after the handshake, and our Certificate answers it.
            assert.match(r.output, /<<< TLS 1.3, Handshake \[length [0-9a-f]+\], CertificateRequest/);
            assert.match(r.output, /"subject":"CN=tls13-hono dev client/);
            assert.match(r.output, /Hello again, CN=tls13-hono dev client/, "later requests reuse the certificate");
          },
        );
        await t.step("openssl -enable_pha without a certificate: 403, and the connection still serves /", async () => {
          const r = await sClient(port, ["-enable_pha"], [
            get("/secure/x"),
            { until: /"failure":"no_certificate"/ },
            get("/"),
            { until: /Hello, anonymous visitor/ },
          ]);
          assert.match(r.output, /HTTP\/1.1 403 Forbidden/);
          assert.match(r.output, /"failure":"no_certificate"/);
          assert.match(r.output, /Hello, anonymous visitor/);
        });
        await t.step(
          "a client that does not offer post-handshake auth gets a 403 that says why (HTML for browsers)",
          async () => {
            const r = await sClient(port, [], [
              get("/secure/x", "text/html"),
              { until: /did not offer post-handshake authentication/ },
              get("/"),
              { until: /Hello, anonymous visitor/ },
            ]);
            assert.match(r.output, /403 Forbidden/);
            assert.match(r.output, /did not offer post-handshake authentication/);
            assert.match(r.output, /Hello, anonymous visitor/);
          },
        );
        await t.step("POST anywhere demands a certificate", async () => {
          const post = "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello";
          const ok = await sClient(port, withCert, [post, { until: /"received":5/ }]);
          assert.match(ok.output, /"received":5/);
          const refused = await sClient(port, ["-enable_pha"], [post, { until: /403 Forbidden/ }]);
          assert.match(refused.output, /403 Forbidden/);
        });
        await t.step("a certificate from an unknown CA is refused with the reason", async () => {
          const r = await sClient(port, [
            "-enable_pha",
            "-cert",
            certs.clientUnknownCa.cert,
            "-key",
            certs.clientUnknownCa.key,
          ], [
            get("/secure/x"),
            { until: /"failure":"bad_certificate"/ },
          ]);
          assert.match(r.output, /403 Forbidden/);
          assert.match(r.output, /"failure":"bad_certificate"/);
        });
        await t.step("Python ssl with post_handshake_auth through http.client, with a certificate", async () => {
          const r = await run(["python3", "-c", pythonClient(port, true, ["/", "/secure/py", "/"])]);
          assert.match(r.output, /^200 Hello, anonymous/m);
          assert.match(r.output, /^200 \{"path":"\/secure\/py","subject":"CN=tls13-hono dev client/m);
          assert.match(r.output, /^200 Hello again/m);
        });
        await t.step("Python ssl with post_handshake_auth, without a certificate", async () => {
          const r = await run(["python3", "-c", pythonClient(port, false, ["/secure/py", "/"])]);
          assert.match(r.output, /^403 .*no_certificate/m);
          assert.match(r.output, /^200 Hello, anonymous/m);
        });
      } finally {
        await child.stop();
      }
    },
  });
}

async function handshakeOnly(child: Child, port: number, extra: string[]) {
  const before = child.lines.length;
  const r = await sClient(port, extra, [get("/"), 600]);
  await new Promise((res) => setTimeout(res, 200));
  return { output: r.output, server: child.lines.slice(before).join("\n") };
}

Deno.test({
  name: "mTLS at the handshake: require refuses no, expired and unknown-CA certificates with the RFC's alerts",
  ...needs("openssl"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const { child, port } = await startFixture("deno", "client_certs_server.ts", [JSON.stringify({ mode: "require" })]);
    try {
      await t.step("with a trusted certificate", async () => {
        const r = await handshakeOnly(child, port, ["-cert", certs.client.cert, "-key", certs.client.key]);
        assert.match(r.output, /Hello again, CN=tls13-hono dev client/);
      });
      await t.step("without a certificate: certificate_required", async () => {
        const r = await handshakeOnly(child, port, []);
        assert.match(r.output, /alert certificate required/);
        assert.match(r.server, /HANDSHAKE_ERROR sending certificate_required/);
      });
      await t.step("expired: certificate_expired", async () => {
        const r = await handshakeOnly(child, port, [
          "-cert",
          certs.clientExpired.cert,
          "-key",
          certs.clientExpired.key,
        ]);
        assert.match(r.output, /alert certificate expired/);
      });
      await t.step("unknown CA: unknown_ca", async () => {
        const r = await handshakeOnly(child, port, [
          "-cert",
          certs.clientUnknownCa.cert,
          "-key",
          certs.clientUnknownCa.key,
        ]);
        assert.match(r.output, /alert unknown ca/);
      });
    } finally {
      await child.stop();
    }
  },
});

Deno.test({
  name: "mTLS request mode: a client without a certificate stays anonymous",
  ...needs("openssl"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { child, port } = await startFixture("deno", "client_certs_server.ts", [JSON.stringify({ mode: "request" })]);
    try {
      const anon = await handshakeOnly(child, port, []);
      assert.match(anon.output, /Hello, anonymous visitor/);
      const known = await handshakeOnly(child, port, ["-cert", certs.client.cert, "-key", certs.client.key]);
      assert.match(known.output, /Hello again, CN=tls13-hono dev client/);
    } finally {
      await child.stop();
    }
  },
});

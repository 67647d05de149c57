/**
 * Real clients complete handshakes with our server on Deno, Bun and Node: openssl s_client (every suite,
 * every group, HelloRetryRequest, ECDSA/Ed25519/RSA certificates, ALPN, SNI, KeyUpdate both kinds, clean
 * close_notify, TLS 1.2 refused), gnutls-cli, curl and Python's ssl. Each case checks the data round trip
 * and the negotiated parameters from both ends.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { needs } from "../_support/peers.ts";
import { type Child, run, startFixture, type Step } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();
const serverOptions = {
  enableCcm: true,
  alpn: ["h2", "http/1.1"],
  certificates: [
    { cert: { path: certs.server["ecdsa-p256"].cert }, key: { path: certs.server["ecdsa-p256"].key } },
    { cert: { path: certs.server.ed25519.cert }, key: { path: certs.server.ed25519.key } },
    { cert: { path: certs.server.rsa.cert }, key: { path: certs.server.rsa.key } },
    { cert: { path: certs.alt.cert }, key: { path: certs.alt.key } },
  ],
};

/** The server's HANDSHAKE line for the most recent connection. */
async function lastHandshake(child: Child, before: number): Promise<Record<string, unknown>> {
  await child.waitFor(/^HANDSHAKE/);
  for (let i = 0; i < 100; i++) {
    const lines = child.lines.slice(before).filter((l) => l.startsWith("HANDSHAKE "));
    if (lines.length) return JSON.parse(lines.at(-1)!.slice("HANDSHAKE ".length));
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no HANDSHAKE line:\n" + child.lines.slice(before).join("\n"));
}

function sClient(port: number, args: string[], script: Step[] = ["ping\n", { until: /^ping$/m }]) {
  return run(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", certs.ca.cert, ...args], script);
}

for (const runtime of runtimes) {
  Deno.test({
    name: `server on ${runtime}: openssl s_client interop`,
    ...needs("openssl", runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "tls_echo_server.ts", [JSON.stringify(serverOptions)]);
      try {
        const suites = [
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_AES_128_CCM_SHA256",
          "TLS_AES_128_CCM_8_SHA256",
        ];
        for (const suite of suites) {
          await t.step(suite, async () => {
            const n = child.lines.length;
            const r = await sClient(port, ["-ciphersuites", suite, "-servername", "localhost"]);
            assert.match(r.output, new RegExp(`New, TLSv1.3, Cipher is ${suite}`));
            assert.match(r.output, /Verify return code: 0 \(ok\)/);
            assert.match(r.output, /^ping$/m, "data came back");
            assert.equal((await lastHandshake(child, n)).cipherSuite, suite);
          });
        }
        for (const [flag, group] of [["X25519", "x25519"], ["P-256", "secp256r1"], ["P-384", "secp384r1"]]) {
          await t.step(`group ${group}`, async () => {
            const n = child.lines.length;
            const r = await sClient(port, ["-groups", flag, "-msg"]);
            assert.match(r.output, /^ping$/m);
            assert.equal((r.output.match(/<<< TLS 1.3, Handshake \[length [0-9a-f]+\], ServerHello/g) ?? []).length, 1);
            assert.equal((await lastHandshake(child, n)).group, group);
          });
        }
        await t.step("HelloRetryRequest when no offered share is acceptable", async () => {
          const n = child.lines.length;
          // OpenSSL shares only its first group: ffdhe8192, which we do not implement.
          const r = await sClient(port, ["-groups", "ffdhe8192:P-256", "-msg"]);
          assert.match(r.output, /^ping$/m);
          // The HelloRetryRequest is a second ServerHello on the wire (RFC 8446 §4.1.4).
          assert.equal((r.output.match(/<<< TLS 1.3, Handshake \[length [0-9a-f]+\], ServerHello/g) ?? []).length, 2);
          assert.equal((await lastHandshake(child, n)).group, "secp256r1");
        });
        for (
          const [sigalg, kind] of [["ecdsa_secp256r1_sha256", "ECDSA"], ["ed25519", "Ed25519"], [
            "rsa_pss_rsae_sha256",
            "RSA-PSS",
          ]]
        ) {
          await t.step(`${kind} certificate`, async () => {
            const r = await sClient(port, ["-sigalgs", sigalg, "-servername", "localhost"]);
            assert.match(r.output, /Verify return code: 0 \(ok\)/);
            assert.match(r.output, new RegExp(`Peer signature type: ${kind}`, "i"));
            assert.match(r.output, /^ping$/m);
          });
        }
        await t.step("SNI picks the certificate for alt.localhost", async () => {
          const r = await sClient(port, ["-servername", "alt.localhost", "-verify_hostname", "alt.localhost"]);
          assert.match(r.output, /Verify return code: 0 \(ok\)/);
          assert.match(r.output, /subject=.*alt\.localhost/);
        });
        await t.step("ALPN: server preference", async () => {
          const n = child.lines.length;
          const r = await sClient(port, ["-alpn", "http/1.1,h2"]);
          assert.match(r.output, /ALPN protocol: h2/);
          assert.equal((await lastHandshake(child, n)).alpn, "h2");
        });
        await t.step("ALPN with no overlap is no_application_protocol", async () => {
          const r = await sClient(port, ["-alpn", "spdy/3"]);
          assert.match(r.output, /no application protocol/i);
        });
        await t.step("KeyUpdate from the client, k and K, then a clean close_notify", async () => {
          const n = child.lines.length;
          const r = await sClient(port, [], [
            "one\n",
            { until: /^one$/m },
            "k\n",
            { until: /KEYUPDATE/ },
            "two\n",
            { until: /^two$/m },
            "K\n",
            { until: /KEYUPDATE[\s\S]*KEYUPDATE/ },
            "three\n",
            { until: /^three$/m },
          ]);
          for (const w of ["one", "two", "three"]) assert.match(r.output, new RegExp(`^${w}$`, "m"));
          assert.equal((r.output.match(/KEYUPDATE/g) ?? []).length, 2);
          await child.waitFor(/^CLOSED clean/);
          const after = child.lines.slice(n);
          assert.ok(after.includes("KEY_UPDATE false") && after.includes("KEY_UPDATE true"), after.join("\n"));
          assert.ok(after.includes("CLOSED clean"), after.join("\n"));
        });
        await t.step("a TLS 1.2-only client gets protocol_version, and the server keeps serving", async () => {
          const r = await sClient(port, ["-tls1_2"]);
          assert.match(r.output, /alert protocol version/);
          const again = await sClient(port, []);
          assert.match(again.output, /^ping$/m);
        });
      } finally {
        await child.stop();
      }
    },
  });
}

Deno.test({
  name: "server: gnutls-cli, curl and Python ssl complete handshakes",
  ...needs("gnutls-cli", "curl", "python3"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const { child, port } = await startFixture("deno", "tls_echo_server.ts", [JSON.stringify(serverOptions)]);
    try {
      await t.step("gnutls-cli", async () => {
        const r = await run(["gnutls-cli", "--x509cafile", certs.ca.cert, "-p", String(port), "localhost"], [
          "gnutls\n",
          500,
        ]);
        assert.match(r.output, /\(TLS1\.3-X\.509\)/);
        assert.match(r.output, /^gnutls$/m);
      });
      await t.step("curl (raw exchange over TLS 1.3)", async () => {
        const r = await run([
          "curl",
          "-sv",
          "--http0.9",
          "--http1.1",
          "--cacert",
          certs.ca.cert,
          "-m",
          "3",
          `https://localhost:${port}/echo`,
        ]);
        assert.match(r.output, /SSL connection using TLSv1\.3/);
        assert.match(r.output, /GET \/echo HTTP\/1\.1/); // our echo sent the request back
      });
      await t.step("Python ssl", async () => {
        const py = `
import ssl, socket
ctx = ssl.create_default_context(cafile=${JSON.stringify(certs.ca.cert)})
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", ${port})), server_hostname="localhost")
s.sendall(b"python")
print(s.version(), s.cipher()[0], s.recv(100).decode())
s.unwrap(); s.close()`;
        const r = await run(["python3", "-c", py]);
        assert.match(r.output, /TLSv1\.3 TLS_\S+ python/);
      });
    } finally {
      await child.stop();
    }
  },
});

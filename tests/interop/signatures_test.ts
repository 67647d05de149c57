/**
 * Claims about the server's signature algorithms against OpenSSL: with an ECDSA P-521, an Ed448 or an RSA-PSS
 * (id-RSASSA-PSS key, rsa_pss_pss_sha256) certificate, made by OpenSSL for the test, `openssl s_client` completes a
 * handshake with our server on Deno, Bun and Node, verifies our chain and our CertificateVerify, names the
 * signature type it checked, and gets its data echoed. And the other way round: our client (Deno, native provider)
 * verifies the same chains and CertificateVerify signatures from `openssl s_server`. And as client certificates:
 * our server asks for them in its CertificateRequest and accepts `openssl s_client -cert` with each.
 */
import assert from "node:assert/strict";
import { connectTls } from "../../src/io/tls_connect.ts";
import { listenTls } from "../../src/io/tls_listener.ts";
import { needs } from "../_support/peers.ts";
import { sServer } from "../_support/server_peers.ts";
import { opensslChain, type OpensslKeyType } from "../_support/openssl_pki.ts";
import { run, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";

/** What OpenSSL 3.0 prints for each: "Peer signature type" and, where there is one, "Peer signing digest". */
const peerSays: Record<OpensslKeyType, RegExp[]> = {
  p521: [/Peer signature type: ECDSA/, /Peer signing digest: SHA512/],
  ed448: [/Peer signature type: ed448/],
  "rsa-pss": [/Peer signature type: RSA-PSS/, /Peer signing digest: SHA256/],
};

const dir = await Deno.makeTempDir({ prefix: "interop-signatures-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

for (const runtime of runtimes) {
  Deno.test({
    name: `server on ${runtime}: openssl s_client verifies P-521, Ed448 and RSA-PSS certificates and signatures`,
    ...needs("openssl", runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      for (const type of ["p521", "ed448", "rsa-pss"] as const) {
        await t.step(type, async () => {
          const chain = await opensslChain(dir, type);
          const options = { certificates: [{ cert: { path: chain.leafCert }, key: { path: chain.leafKey } }] };
          const { child, port } = await startFixture(runtime, "tls_echo_server.ts", [JSON.stringify(options)]);
          try {
            const r = await run(
              [
                "openssl",
                "s_client",
                "-connect",
                `127.0.0.1:${port}`,
                "-servername",
                "localhost",
                "-CAfile",
                chain.caCert,
                "-verify_return_error",
              ],
              ["ping\n", 400],
              30_000,
            );
            assert.match(r.output, /Verify return code: 0 \(ok\)/, r.output);
            for (const re of peerSays[type]) assert.match(r.output, re);
            assert.match(r.output, /^ping$/m, "data came back");
          } finally {
            await child.stop();
          }
        });
      }
    },
  });
}

/** The scheme our client saw in the server's CertificateVerify, per key type. */
const clientSees: Record<OpensslKeyType, string> = {
  p521: "ecdsa_secp521r1_sha512",
  ed448: "ed448",
  "rsa-pss": "rsa_pss_pss_sha256",
};

Deno.test({
  name: "our client verifies P-521, Ed448 and RSA-PSS chains and signatures from openssl s_server",
  ...needs("openssl"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    for (const type of ["p521", "ed448", "rsa-pss"] as const) {
      await t.step(type, async () => {
        const chain = await opensslChain(dir, type);
        const { peer, port } = await sServer(["-cert", chain.leafCert, "-key", chain.leafKey]);
        try {
          const conn = await connectTls({
            hostname: "127.0.0.1",
            port,
            servername: "localhost",
            ca: { path: chain.caCert },
          });
          assert.equal(conn.info.peerSignatureScheme, clientSees[type]);
          assert.equal(conn.info.version, "TLSv1.3");
          conn.socket.close();
        } finally {
          await peer.stop();
        }
      });
    }
  },
});

Deno.test({
  name: "our server accepts P-521, Ed448 and RSA-PSS client certificates from openssl s_client",
  ...needs("openssl"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server = await opensslChain(dir, "p521");
    for (const type of ["p521", "ed448", "rsa-pss"] as const) {
      await t.step(type, async () => {
        const client = await opensslChain(dir, type, "clientAuth");
        const listener = await listenTls({
          hostname: "127.0.0.1",
          port: 0,
          cert: { path: server.leafCert },
          key: { path: server.leafKey },
          clientAuth: { ca: { path: client.caCert }, mode: "require" },
        });
        const served = (async () => {
          for await (const socket of listener) {
            try {
              await socket.read();
              const info = socket.info!;
              const line = `${info.peerSignatureScheme} ${info.peerCertificates.length}\n`;
              await socket.write(new TextEncoder().encode(line));
            } finally {
              socket.close();
            }
            return;
          }
        })();
        try {
          const r = await run(
            [
              "openssl",
              "s_client",
              "-connect",
              `127.0.0.1:${listener.addr.port}`,
              "-CAfile",
              server.caCert,
              "-cert",
              client.leafCert,
              "-key",
              client.leafKey,
              "-verify_return_error",
            ],
            ["ping\n", { until: new RegExp(`${clientSees[type]} \\d`) }],
            30_000,
          );
          // s_client may print its session summary around our line, so it is not anchored to a line start.
          assert.match(r.output, new RegExp(`${clientSees[type]} 1\n`), r.output);
        } finally {
          await listener.close();
          await served;
        }
      });
    }
  },
});

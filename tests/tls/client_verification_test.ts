/**
 * The client refuses each bad certificate for its own stated reason: one test per failure, each against a real
 * server presenting that certificate (openssl s_server with the certs/out/bad fixtures, and our own server),
 * each asserting the CertificateError code, the alert we send, and that the server received that alert.
 * Then: success with the right CA and through an intermediate, and the loudly named option that turns
 * verification off.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureDevCerts } from "../../certs/generate.ts";
import { connectTls } from "../../src/io/tls_connect.ts";
import { listenTls } from "../../src/io/tls_listener.ts";
import { AlertDescription } from "../../src/tls/alert.ts";
import { CertificateError, type CertificateErrorCode } from "../../src/tls/pki/certificate_error.ts";
import { decodePem, encodePem } from "../../src/tls/pki/pem.ts";
import { needs } from "../_support/peers.ts";
import { type Peer, sServer } from "../_support/server_peers.ts";

const certs = await ensureDevCerts();
const bad = (name: string) => certs.bad[name];
const leafKey = bad("leaf-key");
const tmp = await Deno.makeTempDir({ prefix: "client-verification-" });

/**
 * s_server sends only the first certificate of its -cert file; the rest of a chain goes in -cert_chain.
 * Returns the s_server arguments for a PEM file holding a leaf and maybe more.
 */
async function certArgs(file: string, key = leafKey): Promise<string[]> {
  const blocks = decodePem(await Deno.readTextFile(file));
  const leaf = join(tmp, `leaf-${blocks.length}-${file.split("/").pop()}`);
  await Deno.writeTextFile(leaf, encodePem("CERTIFICATE", blocks[0].der));
  if (blocks.length === 1) return ["-cert", leaf, "-key", key];
  const rest = join(tmp, `rest-${file.split("/").pop()}`);
  await Deno.writeTextFile(rest, blocks.slice(1).map((b) => encodePem("CERTIFICATE", b.der)).join(""));
  return ["-cert", leaf, "-key", key, "-cert_chain", rest];
}

/** Starts s_server with `file` as its certificate, connects to it, and returns the error (or null). */
async function againstSServer(
  file: string,
  servername = "localhost",
): Promise<{ error: CertificateError | null; peer: Peer }> {
  const args = await certArgs(file);
  const { peer, port } = await sServer(args);
  try {
    const conn = await connectTls({ hostname: "127.0.0.1", servername, port, ca: certs.ca.cert });
    await conn.close();
    return { error: null, peer };
  } catch (e) {
    if (!(e instanceof CertificateError)) throw e;
    return { error: e, peer };
  }
}

const cases: [string, string, CertificateErrorCode, keyof typeof AlertDescription][] = [
  ["expired", "expired", "expired", "certificate_expired"],
  ["not yet valid", "not-yet-valid", "not_yet_valid", "certificate_expired"],
  ["wrong host (CN=localhost is ignored, SAN other.example)", "wrong-host", "hostname_mismatch", "bad_certificate"],
  ["unknown issuer (chain to an untrusted root)", "unknown-root-chain", "unknown_issuer", "unknown_ca"],
  ["self-signed", "self-signed", "self_signed", "unknown_ca"],
  ["missing intermediate", "via-intermediate", "missing_intermediate", "unknown_ca"],
  ["bad signature", "bad-signature", "bad_signature", "bad_certificate"],
  ["not for server auth (EKU clientAuth only)", "client-auth-only", "not_for_server_auth", "unsupported_certificate"],
  [
    "not for server auth (keyUsage without digitalSignature)",
    "no-digital-signature",
    "not_for_server_auth",
    "unsupported_certificate",
  ],
  ["issued by a certificate that is not a CA", "not-a-ca-chain", "not_a_ca", "bad_certificate"],
  ["pathLenConstraint exceeded", "path-length-chain", "path_length", "bad_certificate"],
];

for (const [what, file, code, alert] of cases) {
  Deno.test({
    name: `verification against openssl s_server: ${what} → ${code}, ${alert}`,
    ...needs("openssl"),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { error, peer } = await againstSServer(bad(file));
      try {
        assert.ok(error, `the client accepted ${file}`);
        assert.equal(error.code, code, error.message);
        assert.equal(error.alertName, alert);
        assert.equal(error.source, "local");
        assert.ok(error.reason.length > 10, "a plain reason");
        // The alert reached the server: s_server names it by number.
        await peer.waitFor(new RegExp(`SSL alert number ${AlertDescription[alert]}\\b`));
      } finally {
        await peer.stop();
      }
    },
  });
}

Deno.test({
  name: "verification against openssl s_server: success with the right CA, and through an intermediate",
  ...needs("openssl"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const good = certs.server["ecdsa-p256"];
    const cases = [[good.cert, good.key, 1, ["localhost", "127.0.0.1"]], [bad("via-intermediate-chain"), leafKey, 2, [
      "localhost",
    ]]] as const;
    for (const [file, key, length, names] of cases) {
      const { peer, port } = await sServer(await certArgs(file, key));
      try {
        for (const servername of names) {
          const conn = await connectTls({ hostname: "127.0.0.1", servername, port, ca: certs.ca.cert });
          const status = conn.info.certificate;
          assert.ok(status.verified, servername);
          assert.equal(status.path.path.length, length + 1, "leaf, [intermediate,] root");
          await conn.close();
        }
      } finally {
        await peer.stop();
      }
    }
  },
});

Deno.test({
  name: "verification: the system bundle does not trust the dev CA; a wrong ca is unknown_ca",
  ...needs("openssl"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { peer, port } = await sServer([]);
    try {
      const system = await connectTls({ hostname: "localhost", port }).then(() => null, (e) => e);
      if (system instanceof CertificateError) assert.equal(system.alertName, "unknown_ca");
      else assert.ok(system, "the system trust store must not know the development CA");
      const wrong = await connectTls({ hostname: "localhost", port, ca: certs.unknownCa }).then(() => null, (e) => e);
      assert.ok(wrong instanceof CertificateError);
      assert.equal(wrong.alertName, "unknown_ca");
    } finally {
      await peer.stop();
    }
  },
});

Deno.test({
  name: "verification: dangerouslyDisableCertificateVerification connects to a self-signed server and says so",
  ...needs("openssl"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { peer, port } = await sServer(await certArgs(bad("self-signed")));
    try {
      const conn = await connectTls({
        hostname: "127.0.0.1",
        servername: "localhost",
        port,
        dangerouslyDisableCertificateVerification: true,
      });
      assert.deepEqual(conn.info.certificate, { verified: false, disabled: true });
      await conn.close();
      // The option does not mix with trust anchors: one or the other.
      await assert.rejects(
        connectTls({ hostname: "127.0.0.1", port, ca: certs.ca.cert, dangerouslyDisableCertificateVerification: true }),
        /trust anchors given with certificate verification disabled/,
      );
    } finally {
      await peer.stop();
    }
  },
});

Deno.test({
  name: "verification against our own server: missing intermediate, then the full chain",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const errors: string[] = [];
    for (
      const [file, expect] of [["via-intermediate", "missing_intermediate"], ["via-intermediate-chain", null]] as const
    ) {
      const listener = await listenTls({
        hostname: "127.0.0.1",
        port: 0,
        cert: { path: bad(file) },
        key: { path: leafKey },
        onHandshakeError: (e) => errors.push(e.message),
      });
      const accepted = (async () => {
        for await (const s of listener) s.close();
      })();
      try {
        const result = await connectTls({
          hostname: "127.0.0.1",
          servername: "localhost",
          port: listener.addr.port,
          ca: certs.ca.cert,
        })
          .then((c) => c.close().then(() => null), (e) => e);
        if (expect === null) assert.equal(result, null);
        else {
          assert.ok(result instanceof CertificateError);
          assert.equal(result.code, expect);
          for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
          assert.match(errors.join("\n"), /unknown_ca/, "our server received the alert");
        }
      } finally {
        await listener.close();
        await accepted;
      }
    }
  },
});

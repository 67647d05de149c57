/**
 * The probe reports on any TLS 1.3 server: openssl s_server and our own server, a chain that verifies and one
 * that does not (still reported, with the reason), the JSON shape scripts rely on, IPv6 targets, and the CLI's
 * exit status.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { listenTls, type TlsListener } from "../../src/io/tls_listener.ts";
import { formatProbeReport, parseTarget, probe, type ProbeReport } from "../../src/probe.ts";
import { needs } from "../_support/peers.ts";
import { sServer } from "../_support/server_peers.ts";

const certs = await ensureDevCerts();
const sanitize = { sanitizeResources: false, sanitizeOps: false };
const probeCli = new URL("../../examples/probe.ts", import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probeCli, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Our own server (the engine over sockets), answering every handshake and closing. */
async function ourServer(
  hostname: string,
  options: Partial<Parameters<typeof listenTls>[0]> = {},
): Promise<{ listener: TlsListener; done: Promise<void> }> {
  const listener = await listenTls({
    hostname,
    port: 0,
    cert: { path: certs.server["ecdsa-p256"].cert },
    key: { path: certs.server["ecdsa-p256"].key },
    ...options,
  });
  const done = (async () => {
    for await (const socket of listener) socket.close();
  })();
  return { listener, done };
}

function assertShape(r: ProbeReport) {
  assert.deepEqual(Object.keys(r).sort(), [
    "address",
    "alpn",
    "chain",
    "cipherSuite",
    "group",
    "helloRetryRequest",
    "ocsp",
    "signatureScheme",
    "target",
    "timing",
    "verified",
    "version",
  ]);
  for (const c of r.chain) {
    assert.deepEqual(Object.keys(c).sort(), [
      "daysLeft",
      "issuer",
      "notAfter",
      "notBefore",
      "publicKey",
      "serial",
      "subject",
      "subjectAltNames",
    ]);
  }
  assert.ok(r.timing.handshakeMs > 0 && r.timing.tcpMs >= 0);
}

Deno.test("parseTarget: host, host:port, [v6]:port, bare v6, URLs", () => {
  assert.deepEqual(parseTarget("example.com"), { host: "example.com", port: 443 });
  assert.deepEqual(parseTarget("example.com:8443"), { host: "example.com", port: 8443 });
  assert.deepEqual(parseTarget("[::1]:8443"), { host: "::1", port: 8443 });
  assert.deepEqual(parseTarget("[::1]"), { host: "::1", port: 443 });
  assert.deepEqual(parseTarget("::1"), { host: "::1", port: 443 });
  assert.deepEqual(parseTarget("https://example.com:9443/path"), { host: "example.com", port: 9443 });
  assert.throws(() => parseTarget("example.com:99999"), /bad port/);
});

Deno.test({
  name: "probe ⇄ openssl s_server: a chain that verifies, with ALPN and a HelloRetryRequest",
  ...needs("openssl"),
  ...sanitize,
  async fn() {
    const { peer, port } = await sServer(["-alpn", "h2", "-groups", "P-384"]);
    try {
      const r = await probe(`127.0.0.1:${port}`, {
        ca: { path: certs.ca.cert },
        servername: "localhost",
        alpn: ["h2", "http/1.1"],
      });
      assertShape(r);
      assert.equal(r.verified, true);
      assert.equal(r.version, "TLSv1.3");
      assert.equal(r.cipherSuite, "TLS_AES_128_GCM_SHA256");
      assert.equal(r.group, "secp384r1");
      assert.equal(r.helloRetryRequest, true);
      assert.equal(r.alpn, "h2");
      assert.equal(r.signatureScheme, "ecdsa_secp256r1_sha256");
      assert.equal(r.target.servername, "localhost");
      assert.deepEqual(r.chain[0].subjectAltNames, ["localhost", "127.0.0.1", "::1"]);
      assert.ok(r.chain[0].daysLeft > 300);
      assert.match(formatProbeReport(r), /verified +yes/);
    } finally {
      await peer.stop();
    }
  },
});

Deno.test({
  name: "probe ⇄ openssl s_server: an expired chain is still reported, with the reason",
  ...needs("openssl"),
  ...sanitize,
  async fn() {
    const { peer, port } = await sServer(["-cert", certs.bad.expired, "-key", certs.bad["leaf-key"]]);
    try {
      const r = await probe(`127.0.0.1:${port}`, { ca: certs.ca.cert, servername: "localhost" });
      assertShape(r);
      assert.notEqual(r.verified, true);
      assert.ok(r.verified !== true);
      assert.equal(r.verified.code, "expired");
      assert.equal(r.verified.alert, "certificate_expired");
      assert.match(r.verified.reason, /expired on 2021/);
      assert.equal(r.chain.length, 1);
      assert.ok(r.chain[0].daysLeft < 0);
      assert.equal(r.cipherSuite, "TLS_AES_128_GCM_SHA256");
      const text = formatProbeReport(r);
      assert.match(text, /verified +NO: expired \(alert certificate_expired\): certificate expired on 2021/);
      assert.match(text, /expired \d+ days ago/);
    } finally {
      await peer.stop();
    }
  },
});

Deno.test({
  name: "probe ⇄ our own server: parameters, ALPN, HelloRetryRequest, IPv6 literal",
  ...sanitize,
  async fn() {
    const { listener, done } = await ourServer("127.0.0.1", { alpn: ["http/1.1"], groups: ["secp384r1"] });
    try {
      const r = await probe(`localhost:${listener.addr.port}`, { ca: certs.ca.cert, alpn: ["h2", "http/1.1"] });
      assertShape(r);
      assert.equal(r.verified, true);
      assert.equal(r.alpn, "http/1.1");
      assert.equal(r.group, "secp384r1");
      assert.equal(r.helloRetryRequest, true);
    } finally {
      await listener.close();
      await done;
    }
    let v6: { listener: TlsListener; done: Promise<void> } | null = null;
    try {
      v6 = await ourServer("::1");
    } catch {
      console.warn("skipping the IPv6 part: no ::1 on this machine");
      return;
    }
    try {
      const r = await probe(`[::1]:${v6.listener.addr.port}`, { ca: certs.ca.cert });
      assert.equal(r.verified, true, JSON.stringify(r.verified));
      assert.equal(r.target.host, "::1");
      assert.match(r.address, /^::1:\d+$/);
    } finally {
      await v6.listener.close();
      await v6.done;
    }
  },
});

Deno.test({
  name: "probe CLI: --json shape and exit 0, text with the failure reason and exit 2, no server exit 1",
  ...needs("openssl"),
  ...sanitize,
  async fn() {
    const { listener, done } = await ourServer("127.0.0.1");
    try {
      const port = listener.addr.port;
      const ok = await cli([
        `127.0.0.1:${port}`,
        "--json",
        "--ca",
        certs.ca.cert,
        "--servername",
        "localhost",
        "--alpn",
        "h2,http/1.1",
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      const report = JSON.parse(ok.stdout) as ProbeReport;
      assertShape(report);
      assert.equal(report.verified, true);
      assert.equal(typeof report.chain[0].notAfter, "string");

      // No --ca: the system bundle does not know the development CA.
      const untrusted = await cli([`localhost:${port}`]);
      assert.equal(untrusted.code, 2, untrusted.stderr);
      assert.match(
        untrusted.stdout,
        /verified +NO: (unknown_issuer|missing_intermediate|self_signed) \(alert unknown_ca\): /,
      );
      assert.match(untrusted.stdout, /cipher suite +TLS_(AES_128_GCM_SHA256|CHACHA20_POLY1305_SHA256)/);
      assert.match(untrusted.stdout, /0 CN=localhost/);
    } finally {
      await listener.close();
      await done;
    }
    const { peer, port } = await sServer(["-cert", certs.bad["wrong-host"], "-key", certs.bad["leaf-key"]]);
    try {
      const wrong = await cli([`127.0.0.1:${port}`, "--json", "--ca", certs.ca.cert, "--servername", "localhost"]);
      assert.equal(wrong.code, 2);
      const r = JSON.parse(wrong.stdout) as ProbeReport;
      assert.deepEqual(r.verified !== true && [r.verified.code, r.verified.alert], [
        "hostname_mismatch",
        "bad_certificate",
      ]);
      assert.deepEqual(r.chain[0].subjectAltNames, ["other.example"]);
    } finally {
      await peer.stop();
    }
    const refused = await cli(["127.0.0.1:1", "--json"]);
    assert.equal(refused.code, 1);
    assert.ok(JSON.parse(refused.stdout).error.message.length > 0);
  },
});

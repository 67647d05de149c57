/**
 * Our client against real servers: openssl s_server (each suite, each group, HelloRetryRequest forced with
 * -groups, ECDSA/Ed25519/RSA certificates, ALPN, KeyUpdate from the server both kinds), gnutls-serv, and the
 * native TLS servers of Node (OpenSSL), Deno (rustls) and Bun (BoringSSL). Every case completes the handshake
 * with verification on, moves data both ways and checks what was negotiated. Then the client itself runs under
 * Bun and Node: RFC 8448, in-memory handshakes and openssl interop from there.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { connectTls, type ConnectTlsOptions, type TlsClientConnection } from "../../src/io/tls_connect.ts";
import type { TlsEvent } from "../../src/tls/events.ts";
import { needs } from "../_support/peers.ts";
import { startFixture } from "../_support/processes.ts";
import { freePort, Peer, readUntil, sServer } from "../_support/server_peers.ts";
import { command, type Runtime } from "../_support/runtimes.ts";

const certs = await ensureDevCerts();
const enc = new TextEncoder(), dec = new TextDecoder();
const SUITES = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_CCM_SHA256",
  "TLS_AES_128_CCM_8_SHA256",
];
const keyFiles = { ecdsa: certs.server["ecdsa-p256"], ed25519: certs.server.ed25519, rsa: certs.server.rsa };

/** Connects with the dev CA trusted, collecting the socket's events. */
async function dial(port: number, options: Partial<ConnectTlsOptions> = {}) {
  const events: TlsEvent[] = [];
  const conn = await connectTls({
    hostname: "127.0.0.1",
    servername: "localhost",
    port,
    ca: certs.ca.cert,
    ...options,
  });
  conn.socket.onEvent = (e) => events.push(e);
  return { conn, events, reader: conn.readable.getReader(), writer: conn.writable.getWriter() };
}

/** Client → s_server (seen on its stdout) and s_server → client (typed on its stdin). */
async function bothWaysWithSServer(peer: Peer, c: Awaited<ReturnType<typeof dial>>, tag: string) {
  const from = peer.lines.length;
  await c.writer.write(enc.encode(`from client ${tag}\n`));
  await peer.waitFor(new RegExp(`from client ${tag}`), from);
  await peer.send(`from server ${tag}\n`);
  await readUntil(c.reader, `from server ${tag}`);
}

async function finish(c: { conn: TlsClientConnection }) {
  await c.conn.close();
}

const sanitize = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "client ⇄ openssl s_server: each suite, each group, HRR, each key type, ALPN, KeyUpdate",
  ...needs("openssl"),
  ...sanitize,
  async fn(t) {
    for (const suite of SUITES) {
      await t.step(`suite ${suite}`, async () => {
        const { peer, port } = await sServer(["-ciphersuites", suite]);
        try {
          const c = await dial(port, { cipherSuites: [suite] });
          assert.equal(c.conn.info.cipherSuite, suite);
          assert.equal(c.conn.info.version, "TLSv1.3");
          assert.equal(c.conn.info.certificate.verified, true);
          await bothWaysWithSServer(peer, c, suite);
          await finish(c);
        } finally {
          await peer.stop();
        }
      });
    }
    for (
      const [flag, group, hrr] of [["X25519", "x25519", false], ["P-256", "secp256r1", false], [
        "P-384",
        "secp384r1",
        true,
      ]] as const
    ) {
      await t.step(`group ${group}${hrr ? " (HelloRetryRequest: we share x25519 and secp256r1)" : ""}`, async () => {
        const { peer, port } = await sServer(["-groups", flag]);
        try {
          const c = await dial(port);
          assert.equal(c.conn.info.group, group);
          assert.equal(c.conn.info.helloRetryRequest, hrr);
          await bothWaysWithSServer(peer, c, group);
          await finish(c);
        } finally {
          await peer.stop();
        }
      });
    }
    await t.step("HelloRetryRequest forced: we share only x25519, the server takes only P-256", async () => {
      const { peer, port } = await sServer(["-groups", "P-256"]);
      try {
        const c = await dial(port, { keyShareGroups: ["x25519"] });
        assert.equal(c.conn.info.group, "secp256r1");
        assert.equal(c.conn.info.helloRetryRequest, true);
        await bothWaysWithSServer(peer, c, "hrr");
        await finish(c);
      } finally {
        await peer.stop();
      }
    });
    for (
      const [key, scheme] of [["ecdsa", "ecdsa_secp256r1_sha256"], ["ed25519", "ed25519"], [
        "rsa",
        "rsa_pss_rsae_sha256",
      ]] as const
    ) {
      await t.step(`${key} certificate`, async () => {
        const { peer, port } = await sServer([], key);
        try {
          const c = await dial(port);
          assert.equal(c.conn.info.peerSignatureScheme, scheme);
          assert.equal(c.conn.info.chain[0].subjectAltNames.join(","), "localhost,127.0.0.1,::1");
          await bothWaysWithSServer(peer, c, key);
          await finish(c);
        } finally {
          await peer.stop();
        }
      });
    }
    await t.step("ALPN", async () => {
      const { peer, port } = await sServer(["-alpn", "h2,http/1.1"]);
      try {
        // s_server picks by its own preference (h2 first) among what we offer.
        const c = await dial(port, { alpn: ["http/1.1", "h2"] });
        assert.equal(c.conn.info.alpn, "h2");
        await bothWaysWithSServer(peer, c, "alpn");
        await finish(c);
        const only = await dial(port, { alpn: ["http/1.1"] });
        assert.equal(only.conn.info.alpn, "http/1.1");
        await finish(only);
      } finally {
        await peer.stop();
      }
    });
    await t.step("a TLS 1.2-only server is refused with protocol_version", async () => {
      const { peer, port } = await sServer(["-tls1_2"]);
      try {
        const error = await dial(port).then(() => null, (e) => e);
        assert.equal(error?.alertName, "protocol_version", String(error));
      } finally {
        await peer.stop();
      }
    });
    await t.step("KeyUpdate from the server ('k' and 'K'), tickets, KeyUpdate from us, data after each", async () => {
      const { peer, port } = await sServer([]);
      try {
        const c = await dial(port);
        await bothWaysWithSServer(peer, c, "before");
        // s_server reads a command only when it is alone in one stdin read: let each one land before the text.
        const pause = () => new Promise((r) => setTimeout(r, 300));
        await peer.send("k\n");
        await pause();
        await peer.send("after k\n");
        await readUntil(c.reader, "after k");
        await peer.send("K\n");
        await pause();
        await peer.send("after K\n");
        await readUntil(c.reader, "after K");
        await bothWaysWithSServer(peer, c, "after-updates");
        const updates = c.events.filter((e) => e.type === "key_update");
        assert.deepEqual(updates, [{ type: "key_update", requested: false }, { type: "key_update", requested: true }]);
        assert.ok(c.events.some((e) => e.type === "session_ticket"), "s_server sends NewSessionTickets");
        await c.conn.updateKeys(true);
        await bothWaysWithSServer(peer, c, "after-ours");
        await finish(c);
      } finally {
        await peer.stop();
      }
    });
  },
});

/** gnutls-serv --echo on a free port (it cannot report the one it bound, so we pick and retry). */
async function gnutlsServ(priority: string): Promise<{ peer: Peer; port: number }> {
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    const peer = new Peer([
      "gnutls-serv",
      "--port",
      String(port),
      "--echo",
      "--disable-client-cert",
      "--alpn",
      "http/1.1",
      "--x509certfile",
      keyFiles.ecdsa.cert,
      "--x509keyfile",
      keyFiles.ecdsa.key,
      "--priority",
      priority,
    ]);
    try {
      await peer.waitFor(/listening on IPv4/);
      await new Promise((r) => setTimeout(r, 100));
      return { peer, port };
    } catch (e) {
      await peer.stop();
      if (attempt >= 3) throw e;
    }
  }
}

Deno.test({
  name: "client ⇄ gnutls-serv: every suite, ALPN, echo, and a HelloRetryRequest",
  ...needs("gnutls-serv"),
  ...sanitize,
  async fn() {
    const tls13 = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+AES-128-CCM:+AES-128-CCM-8";
    const main = await gnutlsServ(tls13);
    try {
      for (const suite of SUITES) {
        const c = await dial(main.port, { cipherSuites: [suite], alpn: ["http/1.1"] });
        assert.equal(c.conn.info.cipherSuite, suite);
        assert.equal(c.conn.info.alpn, "http/1.1");
        assert.equal(c.conn.info.certificate.verified, true);
        await c.writer.write(enc.encode(`echo ${suite}\n`));
        await readUntil(c.reader, `echo ${suite}`);
        await c.conn.updateKeys(true);
        await c.writer.write(enc.encode(`after update ${suite}\n`));
        await readUntil(c.reader, `after update ${suite}`);
        await finish(c);
      }
    } finally {
      await main.peer.stop();
    }
    const p384 = await gnutlsServ(`${tls13}:-GROUP-ALL:+GROUP-SECP384R1`);
    try {
      const c = await dial(p384.port);
      assert.equal(c.conn.info.group, "secp384r1");
      assert.equal(c.conn.info.helloRetryRequest, true);
      await c.writer.write(enc.encode("after hrr\n"));
      await readUntil(c.reader, "after hrr");
      await finish(c);
    } finally {
      await p384.peer.stop();
    }
  },
});

for (const runtime of ["node", "deno", "bun"] as Runtime[]) {
  const what =
    { node: "Node tls (OpenSSL)", deno: "Deno.listenTls (rustls)", bun: "Bun.listen tls (BoringSSL)" }[runtime];
  Deno.test({
    name: `client ⇄ native TLS server of ${what}`,
    ...needs(runtime === "node" ? "tsx" : runtime),
    ...sanitize,
    async fn() {
      const args = JSON.stringify({ cert: keyFiles.ecdsa.cert, key: keyFiles.ecdsa.key, alpn: ["h2", "http/1.1"] });
      const { child, port } = await startFixture(runtime, "native_tls_echo.ts", [args]);
      try {
        for (const suite of SUITES.slice(0, 3)) {
          const c = await dial(port, { cipherSuites: [suite], alpn: ["http/1.1"] });
          assert.equal(c.conn.info.cipherSuite, suite);
          assert.equal(c.conn.info.alpn, "http/1.1");
          assert.equal(c.conn.info.certificate.verified, true);
          const big = "x".repeat(100_000) + suite;
          await c.writer.write(enc.encode(big));
          await readUntil(c.reader, suite);
          await c.conn.updateKeys(true);
          await c.writer.write(enc.encode("after key update"));
          await readUntil(c.reader, "after key update");
          await finish(c);
        }
        for (const group of ["x25519", "secp256r1", "secp384r1"] as const) {
          const c = await dial(port, { keyShareGroups: [group], groups: [group] });
          assert.equal(c.conn.info.group, group);
          await c.writer.write(enc.encode(`group ${group}`));
          await readUntil(c.reader, `group ${group}`);
          await finish(c);
        }
      } finally {
        await child.stop();
      }
    },
  });
}

for (const runtime of ["bun", "node"] as Runtime[]) {
  Deno.test({
    name: `client on ${runtime}: RFC 8448 §3 and §5, in-memory handshakes, openssl s_server interop`,
    ...needs("openssl", runtime === "node" ? "tsx" : runtime),
    ...sanitize,
    async fn() {
      const { peer, port } = await sServer(["-rev"]);
      try {
        const script = new URL("../fixtures/client_smoke.ts", import.meta.url).pathname;
        const out = await new Deno.Command(command(runtime, script)[0], {
          args: [...command(runtime, script, [String(port), certs.ca.cert]).slice(1)],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = dec.decode(out.stdout) + dec.decode(out.stderr);
        assert.equal(out.code, 0, text);
        for (const line of ["OK rfc8448 §3", "OK rfc8448 §5", "OK memory", "OK openssl"]) {
          assert.ok(text.includes(line), `${line}\n${text}`);
        }
      } finally {
        await peer.stop();
      }
    },
  });
}

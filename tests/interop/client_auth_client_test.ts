/**
 * Our client's certificate (RFC 8446 §4.3.2, §4.4.2, §4.4.3, §4.6.2): in memory against our server, mTLS at
 * the handshake (require, request, none) and post-handshake authentication (several requests, after a KeyUpdate,
 * interleaved with data), with and without a certificate, and a key whose schemes the server did not offer; then
 * over sockets against our listenTls (mTLS and PHA through `requestClientCertificate`) and openssl s_server
 * (`-Verify 1` for mTLS; `c` on its stdin for a post-handshake CertificateRequest).
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { type ClientCertificateError, requestClientCertificate } from "../../src/io/client_certificate.ts";
import { connectTls, type ConnectTlsOptions } from "../../src/io/tls_connect.ts";
import { listenTls, type ServerTlsSocket, type TlsListener } from "../../src/io/tls_listener.ts";
import type { ClientConfigOptions } from "../../src/tls/client/client_config.ts";
import type { CertifiedKey } from "../../src/tls/pki/certified_key.ts";
import type { ClientAuthMode } from "../../src/tls/server/client_auth.ts";
import { ExtensionType as X, HandshakeType, SignatureScheme } from "../../src/tls/wire/constants.ts";
import { needs } from "../_support/peers.ts";
import { devClient, devServer, MemoryPair, RecordRewriter, records, secretsOf } from "../_support/memory_pair.ts";
import { sServer } from "../_support/server_peers.ts";
import { loadCertifiedKey, loadTrustStore } from "../../src/io/pki_files.ts";

const enc = new TextEncoder(), dec = new TextDecoder();
const certs = await ensureDevCerts();
const clientKey: CertifiedKey = await loadCertifiedKey(
  { cert: { path: certs.client.cert }, key: { path: certs.client.key } },
  nobleProvider,
);
const clientAnchors = await loadTrustStore({ path: certs.ca.cert });
const sanitize = { sanitizeResources: false, sanitizeOps: false };

async function pair(mode: ClientAuthMode, client: Partial<ClientConfigOptions> = {}, serverLog?: string[]) {
  return new MemoryPair(
    await devClient(client),
    await devServer({
      clientAuth: { mode, anchors: clientAnchors },
      keyLog: serverLog ? (l) => serverLog.push(l) : undefined,
    }),
  );
}

function offersPha(p: MemoryPair): boolean {
  const hello = records(p.flights("client")[0])[0].fragment;
  return hasExtension(hello, X.post_handshake_auth);
}

// ----- in memory -----

Deno.test("memory: mTLS require: the client sends its chain and an ECDSA CertificateVerify; the server verifies them", async () => {
  const p = await pair("require", { certificate: clientKey });
  await p.handshake();
  assert.deepEqual(p.server.info!.peerCertificates, clientKey.chain);
  assert.equal(p.server.info!.peerSignatureScheme, "ecdsa_secp256r1_sha256");
  assert.equal(p.client.clientCertificateScheme, "ecdsa_secp256r1_sha256");
  const [event] = p.ofType("server", "client_certificate");
  assert.equal(event.context, null);
  assert.ok(offersPha(p), "with a certificate we offer post_handshake_auth");
});

Deno.test("memory: mTLS without a certificate: empty Certificate; require is certificate_required, request lets us in", async () => {
  const required = await pair("require");
  await required.pump();
  assert.equal(required.failure("server")?.alertName, "certificate_required");
  assert.equal(required.failure("client")?.alertName, "certificate_required");
  assert.equal(required.failure("client")?.source, "remote");
  assert.ok(!offersPha(required), "no certificate, no post_handshake_auth");

  const requested = await pair("request");
  await requested.handshake();
  assert.deepEqual(requested.server.info!.peerCertificates, []);
  assert.equal(requested.client.clientCertificateScheme, null);
});

Deno.test("memory: a key whose schemes the server did not offer answers with an empty Certificate", async () => {
  // rsa_pkcs1_sha256 is never for TLS 1.3 handshakes; the server's CertificateRequest does not list it.
  const unusable: CertifiedKey = { ...clientKey, schemes: [SignatureScheme.rsa_pkcs1_sha256] };
  const required = await pair("require", { certificate: unusable });
  await required.pump();
  assert.equal(required.failure("server")?.alertName, "certificate_required");

  const pha = await pair("none", { certificate: unusable });
  await pha.handshake();
  const context = pha.server.requestClientCertificate();
  await pha.pump();
  const [refused] = pha.ofType("server", "client_certificate_refused");
  assert.deepEqual(refused.context, context);
  assert.equal(refused.code, "no_certificate");
  assert.equal(pha.failure("server"), null, "the connection carries on");
});

Deno.test("memory: post-handshake auth: answered per request, after KeyUpdates, interleaved with data", async () => {
  const log: string[] = [];
  const p = await pair("none", { certificate: clientKey }, log);
  await p.handshake();
  assert.deepEqual(p.server.info!.peerCertificates, [], "not asked at the handshake");
  assert.ok(p.server.canRequestClientCertificate);

  const first = p.server.requestClientCertificate();
  p.client.send(enc.encode("request 1"));
  await p.pump();
  const answers = p.ofType("server", "client_certificate");
  assert.equal(answers.length, 1);
  assert.deepEqual(answers[0].context, first);
  assert.deepEqual(answers[0].chain, clientKey.chain);
  assert.equal(dec.decode(p.data("server")), "request 1");

  // The Finished of a post-handshake answer is keyed by the current client_application_traffic_secret_N.
  p.client.updateKeys(true);
  await p.pump();
  const second = p.server.requestClientCertificate();
  const third = p.server.requestClientCertificate();
  await p.pump();
  assert.deepEqual(p.ofType("server", "client_certificate").map((e) => e.context), [first, second, third]);
  assert.equal(p.failure("server"), null);
  assert.equal(p.failure("client"), null);

  // What the client sent for the first request, under CLIENT_TRAFFIC_SECRET_0 (records opened in order):
  // "request 1", then Certificate (with the request's context), CertificateVerify and Finished.
  const opener = new RecordRewriter(
    nobleProvider,
    "SHA-256",
    "AES-128-GCM",
    secretsOf(log).get("CLIENT_TRAFFIC_SECRET_0")!,
  );
  const [data, answer] = p.flights("client").slice(2, 4).map((f) => opener.open(records(f)[0]));
  assert.equal(dec.decode(data), "request 1");
  const messages = splitMessages(answer);
  assert.deepEqual(messages.map((m) => m[0]), [
    HandshakeType.certificate,
    HandshakeType.certificate_verify,
    HandshakeType.finished,
  ]);
  assert.deepEqual(messages[0].subarray(5, 5 + first.length), first, "the request's context");
});

function splitMessages(flight: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < flight.length;) {
    const length = (flight[o + 1] << 16) | (flight[o + 2] << 8) | flight[o + 3];
    out.push(flight.slice(o, o + 4 + length));
    o += 4 + length;
  }
  return out;
}

// ----- over sockets: our server -----

/** Our server; each connection reads one line, optionally asks for a certificate after it, and answers. */
async function authServer(mode: ClientAuthMode, pha: boolean) {
  const listener = await listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: { path: certs.server["ecdsa-p256"].cert },
    key: { path: certs.server["ecdsa-p256"].key },
    clientAuth: { ca: { path: certs.ca.cert }, mode },
  });
  const results: string[] = [];
  (async () => {
    for await (const socket of listener) serve(socket);
  })();
  async function serve(socket: ServerTlsSocket) {
    try {
      const line = await socket.read();
      if (line === null) return;
      let who = socket.info!.peerCertificates.length > 0 ? "handshake-cert" : "anonymous";
      if (pha) {
        try {
          const chain = await requestClientCertificate(socket, { timeout: 5000 });
          who = `pha-cert ${chain.length}`;
        } catch (e) {
          who = `pha-refused ${(e as ClientCertificateError).failure}`;
        }
      }
      results.push(who);
      await socket.write(enc.encode(`${who}\n`));
      await socket.read().catch(() => null);
    } catch (e) {
      results.push(`error ${(e as Error).message}`);
    } finally {
      socket.close();
    }
  }
  return { listener, results, port: listener.addr.port };
}

async function ask(port: number, extra: Partial<ConnectTlsOptions>): Promise<string> {
  const conn = await connectTls({
    hostname: "127.0.0.1",
    servername: "localhost",
    port,
    ca: certs.ca.cert,
    sessionCache: false,
    ...extra,
  });
  try {
    await conn.writable.getWriter().write(enc.encode("GET /\n"));
    const reader = conn.readable.getReader();
    let got = "";
    while (!got.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`EOF after ${JSON.stringify(got)}`);
      got += dec.decode(value);
    }
    return got.trim();
  } finally {
    await conn.close();
  }
}

const withCert = { cert: { path: certs.client.cert }, key: { path: certs.client.key } };

async function withServer(mode: ClientAuthMode, pha: boolean, fn: (port: number, results: string[]) => Promise<void>) {
  const s = await authServer(mode, pha);
  try {
    await fn(s.port, s.results);
  } finally {
    await (s.listener as TlsListener).close();
  }
}

Deno.test({
  name: "sockets: our client ⇄ our server: mTLS require accepted with cert/key, certificate_required without",
  ...sanitize,
  async fn() {
    await withServer("require", false, async (port) => {
      assert.equal(await ask(port, withCert), "handshake-cert");
      // TLS 1.3: the client's handshake is complete before the server judges its (empty) Certificate; the
      // server's alert ends the connection on the first read.
      const refused = await ask(port, {}).then(() => null, (e) => e);
      assert.ok(refused, "refused");
      assert.equal(refused.alertName, "certificate_required", String(refused));
    });
  },
});

Deno.test({
  name: "sockets: our client ⇄ our server: post-handshake auth gets the chain; without a certificate it is not offered",
  ...sanitize,
  async fn() {
    await withServer("none", true, async (port) => {
      assert.equal(await ask(port, withCert), "pha-cert 1");
      assert.equal(await ask(port, {}), "pha-refused not_offered");
    });
  },
});

// ----- over sockets: openssl s_server -----

Deno.test({
  name: "sockets: our client ⇄ openssl s_server -Verify 1 (mTLS) and `c` (post-handshake CertificateRequest)",
  ...needs("openssl"),
  ...sanitize,
  async fn(t) {
    const base = { hostname: "127.0.0.1", servername: "localhost", ca: certs.ca.cert, sessionCache: false as const };
    await t.step("mTLS: -Verify 1 verifies our chain", async () => {
      const { peer, port } = await sServer(["-Verify", "1", "-verifyCAfile", certs.ca.cert, "-verify_return_error"]);
      try {
        const conn = await connectTls({ ...base, port, ...withCert });
        await conn.writable.getWriter().write(enc.encode("mtls hello\n"));
        await peer.waitFor(/mtls hello/);
        await peer.waitFor(/^subject=CN = tls13-hono dev client/);
        assert.equal(conn.info.resumed, false);
        await conn.close();
      } finally {
        await peer.stop();
      }
    });
    await t.step("mTLS: -Verify 1 without a certificate refuses us", async () => {
      const { peer, port } = await sServer(["-Verify", "1", "-verifyCAfile", certs.ca.cert]);
      try {
        const conn = await connectTls({ ...base, port });
        const read = await conn.readable.getReader().read().then(() => null, (e) => e);
        assert.equal(read?.alertName, "certificate_required", String(read));
      } finally {
        await peer.stop();
      }
    });
    await t.step("PHA: `c` asks after the handshake, also after a KeyUpdate; our answer verifies", async () => {
      const { peer, port } = await sServer(["-verifyCAfile", certs.ca.cert, "-verify_return_error"]);
      try {
        const conn = await connectTls({ ...base, port, ...withCert });
        const writer = conn.writable.getWriter(), reader = conn.readable.getReader();
        await writer.write(enc.encode("before\n"));
        await peer.waitFor(/^before/);
        assert.ok(!peer.lines.some((l) => /depth=0/.test(l)), "not asked at the handshake");
        // s_server reads one command per read of its stdin and drops whatever else that read returned, and its
        // stdout is block-buffered (no acknowledgement to wait for): a pause keeps each command in a read of its own.
        const command = async (c: string) => {
          await peer.send(`${c}\n`);
          await new Promise((r) => setTimeout(r, 250));
        };
        for (const round of [1, 2]) {
          const from = peer.lines.length;
          // Round 2: the server asks us to update our keys first (K), so our Finished uses traffic secret 1.
          if (round === 2) await command("K");
          await command("c");
          // Our client reads the CertificateRequest (and the KeyUpdate) on its way to the line that follows it.
          await peer.send(`from server ${round}\n`);
          await readLine(reader, `from server ${round}`);
          await writer.write(enc.encode(`after ${round}\n`));
          await peer.waitFor(new RegExp(`^after ${round}`), from);
          await peer.waitFor(/depth=0 CN = tls13-hono dev client/, from);
          await peer.waitFor(/verify return:1/, from);
        }
        // -verify_return_error: a certificate, signature or Finished s_server did not accept would have ended it.
        await peer.send("still here\n");
        await readLine(reader, "still here");
        assert.ok(!peer.lines.some((l) => /error|alert/i.test(l)), peer.lines.join("\n"));
        await conn.close();
      } finally {
        await peer.stop();
      }
    });
    await t.step("PHA: without a certificate we do not offer it, and s_server cannot ask", async () => {
      const { peer, port } = await sServer(["-verifyCAfile", certs.ca.cert]);
      try {
        const conn = await connectTls({ ...base, port });
        await conn.writable.getWriter().write(enc.encode("anon\n"));
        await peer.waitFor(/^anon/);
        await peer.send("c\n");
        await peer.waitFor(/Failed to initiate request|extension not received/);
        await conn.close();
      } finally {
        await peer.stop();
      }
    });
  },
});

// ----- helpers -----

async function readLine(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
  timeout = 10_000,
): Promise<void> {
  let got = "";
  const deadline = Date.now() + timeout;
  while (!got.includes(text)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no ${JSON.stringify(text)} in time; got ${JSON.stringify(got)}`)),
        deadline - Date.now(),
      );
    });
    const { value, done } = await Promise.race([reader.read(), expired]).finally(() => clearTimeout(timer));
    if (done) throw new Error(`EOF before ${text}; got ${got}`);
    got += dec.decode(value);
  }
}

/** Whether a ClientHello handshake message carries extension `type`. */
function hasExtension(hello: Uint8Array, type: number): boolean {
  let o = 4 + 2 + 32;
  o += 1 + hello[o];
  o += 2 + ((hello[o] << 8) | hello[o + 1]);
  o += 1 + hello[o];
  const end = o + 2 + ((hello[o] << 8) | hello[o + 1]);
  for (o += 2; o < end; o += 4 + ((hello[o + 2] << 8) | hello[o + 3])) {
    if (((hello[o] << 8) | hello[o + 1]) === type) return true;
  }
  return false;
}

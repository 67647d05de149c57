/**
 * Our client resumes and sends 0-RTT (RFC 8446 §2.2, §2.3, §4.2.10, §4.2.11): in memory against our server
 * (resumption, 0-RTT accepted, rejected and delivered once after the handshake, max_early_data_size, after a
 * HelloRetryRequest, a ticket whose hash the HelloRetryRequest's suite does not match, a misbehaving
 * ServerHello), the session cache's rules, then over sockets against openssl s_server -early_data and our own
 * listenTls with earlyData on Deno, and once each on Bun and Node through a spawned fixture.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { connectTls, type ConnectTlsOptions } from "../../src/io/tls_connect.ts";
import { listenTls, type ServerTlsSocket } from "../../src/io/tls_listener.ts";
import { CipherSuite, ContentType, ExtensionType as X, HandshakeType } from "../../src/tls/wire/constants.ts";
import type { ClientConfigOptions } from "../../src/tls/client/client_config.ts";
import { ClientConnection, type ClientConnectionOptions } from "../../src/tls/client/client_connection.ts";
import type { ClientSession } from "../../src/tls/client/session.ts";
import { ClientSessionCache } from "../../src/tls/client/session_cache.ts";
import type { ServerConfigOptions, TicketConfig } from "../../src/tls/server/server_config.ts";
import { MemoryReplayStore } from "../../src/tls/tickets/memory_replay_store.ts";
import { RotatingTicketKeys } from "../../src/tls/tickets/ticket_keys.ts";
import { encodeHandshake } from "../../src/tls/wire/handshake.ts";
import { decodeServerHello, encodeServerHello } from "../../src/tls/wire/server_hello.ts";
import { encodeSelectedIdentity } from "../../src/tls/wire/extensions/pre_shared_key.ts";
import { needs } from "../_support/peers.ts";
import { command, type Runtime } from "../_support/runtimes.ts";
import { concat, devClient, devServer, encodeRecords, MemoryPair, records, type Tap } from "../_support/memory_pair.ts";
import { readUntil, sServer } from "../_support/server_peers.ts";

const enc = new TextEncoder(), dec = new TextDecoder();
const certs = await ensureDevCerts();
const sanitize = { sanitizeResources: false, sanitizeOps: false };

// ----- in memory, against our server -----

/** Ticket settings shared by the servers of one test, so that any of them opens the others' tickets. */
function tickets(maxEarlyDataSize = 16384, overrides: Partial<TicketConfig> = {}): TicketConfig {
  return {
    sealer: new RotatingTicketKeys(nobleProvider, nobleProvider.randomBytes(32), 3600),
    lifetime: 3600,
    count: 2,
    maxEarlyDataSize,
    freshnessWindow: 10_000,
    replayStore: new MemoryReplayStore(),
    singleUse: false,
    allowPskKe: false,
    ...overrides,
  };
}

/** A full handshake that collects the sessions the server's tickets make. */
async function firstConnection(server: Partial<ServerConfigOptions>, client: Partial<ClientConfigOptions> = {}) {
  const sessions: ClientSession[] = [];
  const pair = new MemoryPair(
    await devClientWith(client, { onSession: (s) => sessions.push(s) }),
    await devServer(server),
  );
  await pair.handshake();
  assert.equal(pair.client.info!.resumed, false);
  assert.equal(sessions.length, 2, "two tickets, two sessions");
  return { pair, sessions };
}

/** The dev client (memory_pair.ts) with per-connection options: a session, early data, a session sink. */
async function devClientWith(
  client: Partial<ClientConfigOptions>,
  options: ClientConnectionOptions,
): Promise<ClientConnection> {
  return new ClientConnection((await devClient(client)).config, options);
}

/** A second connection offering `session`, with `earlyData`. */
async function resumeWith(
  session: ClientSession,
  server: Partial<ServerConfigOptions>,
  earlyData?: Uint8Array,
  client: Partial<ClientConfigOptions> = {},
  tap?: Tap,
) {
  return new MemoryPair(await devClientWith(client, { session, earlyData }), await devServer(server), { tap });
}

function serverEarly(pair: MemoryPair): string {
  return dec.decode(concat(pair.ofType("server", "early_data").map((e) => e.data)));
}

Deno.test("memory: a ticket resumes: psk_dhe_ke, no certificate from the server, the chain restored from the session", async () => {
  const t = tickets(0);
  const { pair: first, sessions } = await firstConnection({ tickets: t });
  const pair = await resumeWith(sessions[0], { tickets: t });
  await pair.handshake();
  const c = pair.client.info!, s = pair.server.info!;
  assert.equal(c.resumed, true);
  assert.equal(s.resumed, true);
  assert.equal(c.group, "X25519MLKEM768", "psk_dhe_ke: a key share all the same (the default hybrid one)");
  assert.equal(c.peerSignatureScheme, null, "no CertificateVerify when resumed");
  assert.deepEqual(c.peerCertificates, first.client.info!.peerCertificates);
  assert.equal(pair.client.certificateStatus?.verified, true);
  assert.equal(c.earlyDataAccepted, false);
  assert.equal(pair.client.earlyDataStatus, null);
  // The ClientHello offers the ticket as the last extension, with psk_dhe_ke only.
  const hello = records(pair.flights("client")[0])[0].fragment;
  const pskAt = findExtension(hello, X.pre_shared_key);
  assert.ok(
    pskAt > 0 && pskAt + 4 + ((hello[pskAt + 2] << 8) | hello[pskAt + 3]) === hello.length,
    "pre_shared_key is last",
  );
  // The resumed connection gets a ticket of its own (one, replacing the one used, as OpenSSL does), which
  // resumes too; a full handshake gets the configured two.
  const next: ClientSession[] = [];
  const again = new MemoryPair(
    await devClientWith({}, { onSession: (x) => next.push(x) }),
    await devServer({ tickets: t }),
  );
  await again.handshake();
  assert.equal(next.length, 2);
  await pair.pump();
  assert.equal(pair.ofType("client", "session_ticket").length, 1);
  await exchange(pair);
});

Deno.test("memory: 0-RTT accepted: the server reads the early data as early data, once; EndOfEarlyData precedes Finished", async () => {
  const t = tickets();
  const { sessions } = await firstConnection({ tickets: t });
  const request = enc.encode("GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const pair = await resumeWith(sessions[0], { tickets: t }, request);
  await pair.handshake();
  assert.equal(pair.client.info!.resumed, true);
  assert.equal(pair.client.info!.earlyDataAccepted, true);
  assert.equal(pair.client.earlyDataStatus, "accepted");
  assert.equal(pair.server.info!.earlyDataAccepted, true);
  assert.equal(serverEarly(pair), dec.decode(request));
  assert.equal(pair.data("server").length, 0, "nothing resent after the handshake");
  assert.equal(pair.ofType("server", "early_data_accepted").length, 1);
  // First flight: ClientHello, change_cipher_spec (compatibility mode, right after the ClientHello), 0-RTT data.
  const first = records(pair.flights("client")[0]);
  assert.deepEqual(first.map((r) => r.type), [
    ContentType.handshake,
    ContentType.change_cipher_spec,
    ContentType.application_data,
  ]);
  await exchange(pair);
});

Deno.test("memory: 0-RTT rejected by a server with early data off: delivered once, as 1-RTT data after the handshake", async () => {
  const t = tickets();
  const { sessions } = await firstConnection({ tickets: t });
  const request = enc.encode("GET /rejected HTTP/1.1\r\n\r\n");
  const pair = await resumeWith(sessions[0], { tickets: { ...t, maxEarlyDataSize: 0 } }, request);
  await pair.handshake();
  assert.equal(pair.client.info!.resumed, true);
  assert.equal(pair.client.info!.earlyDataAccepted, false);
  assert.equal(pair.client.info!.earlyDataRejectedReason, "the server did not accept early data");
  assert.equal(pair.client.earlyDataStatus, "rejected");
  assert.equal(pair.server.info!.earlyDataRejectedReason, "0-RTT is disabled on this server");
  assert.equal(serverEarly(pair), "");
  assert.equal(dec.decode(pair.data("server")), dec.decode(request), "exactly once, after the handshake");
});

Deno.test("memory: 0-RTT to a server that declines the ticket (another ticket key): full handshake, data once", async () => {
  const { sessions } = await firstConnection({ tickets: tickets() });
  const request = enc.encode("hello");
  const pair = await resumeWith(sessions[0], { tickets: tickets() }, request);
  await pair.handshake();
  assert.equal(pair.client.info!.resumed, false);
  assert.equal(pair.client.info!.earlyDataRejectedReason, "the server did not resume our ticket");
  assert.equal(pair.client.info!.peerSignatureScheme, "ecdsa_secp256r1_sha256", "authenticated by certificate again");
  assert.equal(dec.decode(pair.data("server")), "hello");
});

Deno.test("memory: max_early_data_size is respected: the rest follows the handshake, in order", async () => {
  const t = tickets(100);
  const { sessions } = await firstConnection({ tickets: t });
  assert.equal(sessions[0].maxEarlyData, 100);
  const payload = enc.encode("x".repeat(100) + "y".repeat(200));
  const pair = await resumeWith(sessions[0], { tickets: t }, payload);
  await pair.handshake();
  assert.equal(pair.client.info!.earlyDataAccepted, true);
  assert.equal(serverEarly(pair), "x".repeat(100));
  assert.equal(dec.decode(pair.data("server")), "y".repeat(200));
});

Deno.test("memory: early data without a usable session is sent right after the handshake", async () => {
  const pair = new MemoryPair(
    await devClientWith({}, { earlyData: enc.encode("late") }),
    await devServer({ tickets: tickets() }),
  );
  await pair.handshake();
  assert.equal(pair.client.earlyDataStatus, "not_offered");
  assert.equal(pair.client.info!.earlyDataAccepted, false);
  assert.equal(pair.client.info!.earlyDataRejectedReason, null);
  assert.equal(dec.decode(pair.data("server")), "late");
  assert.equal(records(pair.flights("client")[0]).length, 1, "the first flight is the ClientHello alone");
});

Deno.test("memory: resumption after a HelloRetryRequest: binder recomputed, 0-RTT rejected and resent once", async () => {
  const t = tickets();
  const { sessions } = await firstConnection({ tickets: t });
  // The server only does secp384r1; the client shares x25519 and secp256r1 first.
  const pair = await resumeWith(sessions[0], { tickets: t, groups: ["secp384r1"] }, enc.encode("after HRR"));
  await pair.handshake();
  assert.equal(pair.client.helloRetried, true);
  assert.equal(pair.client.info!.resumed, true, "the server verified the binder of the second ClientHello");
  assert.equal(pair.client.info!.group, "secp384r1");
  assert.equal(pair.client.info!.earlyDataRejectedReason, "HelloRetryRequest");
  assert.equal(pair.server.info!.earlyDataRejectedReason, "HelloRetryRequest was needed");
  assert.equal(serverEarly(pair), "");
  assert.equal(dec.decode(pair.data("server")), "after HRR");
  // The second ClientHello went out in plaintext, without early_data, still offering the ticket.
  const second = records(pair.flights("client")[1]).find((r) => r.type === ContentType.handshake)!;
  assert.equal(second.fragment[0], HandshakeType.client_hello);
  assert.equal(findExtension(second.fragment, X.early_data), -1);
  assert.ok(findExtension(second.fragment, X.pre_shared_key) > 0);
});

Deno.test("memory: a HelloRetryRequest whose suite has another hash than the ticket's drops the ticket", async () => {
  const t = tickets();
  const { sessions } = await firstConnection({ tickets: t }, { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
  const pair = await resumeWith(sessions[0], {
    tickets: t,
    groups: ["secp384r1"],
    cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384],
  });
  await pair.handshake();
  assert.equal(pair.client.helloRetried, true);
  assert.equal(pair.client.info!.cipherSuite, "TLS_AES_256_GCM_SHA384");
  assert.equal(pair.client.info!.resumed, false);
  const second = records(pair.flights("client")[1]).find((r) => r.type === ContentType.handshake)!;
  assert.equal(findExtension(second.fragment, X.pre_shared_key), -1);
});

Deno.test("memory: a session is not offered for another server name, nor once expired", async () => {
  const t = tickets();
  const { sessions } = await firstConnection({ tickets: t });
  const other = await resumeWith(sessions[0], { tickets: t }, undefined, { serverName: "alt.localhost" });
  await other.handshake();
  assert.equal(findExtension(records(other.flights("client")[0])[0].fragment, X.pre_shared_key), -1);
  const later = await resumeWith(sessions[1], { tickets: t }, undefined, { now: () => Date.now() + 3601_000 });
  assert.equal(findExtension(records(later.client.takeOutput())[0].fragment, X.pre_shared_key), -1);
});

Deno.test("memory: a ServerHello selecting a PSK we did not offer, or a suite of another hash, is illegal_parameter", async () => {
  const t = tickets();
  const { sessions } = await firstConnection({ tickets: t });
  for (
    const [name, edit] of [
      ["selected_identity 1", (sh: ReturnType<typeof decodeServerHello>) => {
        sh.extensions = sh.extensions.map((e) =>
          e.type === X.pre_shared_key ? { ...e, data: encodeSelectedIdentity(1) } : e
        );
      }],
      ["SHA-384 suite", (sh: ReturnType<typeof decodeServerHello>) => {
        sh.cipherSuite = CipherSuite.TLS_AES_256_GCM_SHA384;
      }],
    ] as const
  ) {
    const tap: Tap = (from, bytes, n) => {
      if (from !== "server" || n !== 0) return bytes;
      const list = records(bytes);
      const sh = decodeServerHello(list[0].fragment.subarray(4));
      edit(sh);
      list[0] = { ...list[0], fragment: encodeHandshake(HandshakeType.server_hello, encodeServerHello(sh)) };
      return encodeRecords(list);
    };
    const pair = await resumeWith(sessions[0], { tickets: t }, undefined, {}, tap);
    await pair.pump();
    assert.equal(pair.failure("client")?.alertName, "illegal_parameter", name);
  }
});

// ----- the session cache -----

function fakeSession(receivedAt: number, overrides: Partial<ClientSession> = {}): ClientSession {
  return {
    ticket: nobleProvider.randomBytes(8),
    psk: new Uint8Array(32),
    cipherSuite: 0x1301,
    lifetime: 100,
    ageAdd: 7,
    nonce: new Uint8Array(1),
    receivedAt,
    maxEarlyData: 1024,
    alpn: null,
    serverName: "localhost",
    peerCertificates: [],
    certificateStatus: { verified: false, disabled: true },
    certificateValidUntil: Infinity,
    ...overrides,
  };
}

Deno.test("session cache: single-use, newest first, expired tickets dropped, bounded per server and in servers", () => {
  const cache = new ClientSessionCache({ ticketsPerServer: 2, maxServers: 2 });
  const a = fakeSession(0), b = fakeSession(1), c = fakeSession(2);
  cache.store("s1", a);
  cache.store("s1", b);
  cache.store("s1", c);
  assert.equal(cache.size, 2, "two per server: the oldest went");
  assert.equal(cache.take("s1", 10), c);
  assert.equal(cache.take("s1", 10), b);
  assert.equal(cache.take("s1", 10), null);
  cache.store("s1", fakeSession(0));
  assert.equal(cache.take("s1", 100_000), null, "expired (lifetime 100 s)");
  assert.equal(cache.size, 0);
  cache.store("s1", fakeSession(0, { certificateValidUntil: 5 }));
  assert.equal(cache.take("s1", 6), null, "the server's certificate expired");
  cache.store("s1", a);
  cache.store("s2", b);
  cache.take("s1", 0) && cache.store("s1", a); // s1 is now the most recently used
  cache.store("s3", c);
  assert.equal(cache.take("s2", 0), null, "least recently used server dropped");
  assert.equal(cache.take("s1", 0), a);
  assert.equal(cache.take("s3", 0), c);
  const capped = new ClientSessionCache();
  capped.store("k", fakeSession(0, { lifetime: 604800 }));
  assert.equal(capped.take("k", 604800 * 1000), null, "never past 7 days");
});

Deno.test("session cache: with reuse, a ticket resumes again but carries 0-RTT only once", () => {
  const cache = new ClientSessionCache({ reuse: true });
  cache.store("k", fakeSession(0));
  assert.equal(cache.take("k", 1, { earlyData: true })!.maxEarlyData, 1024);
  assert.equal(cache.take("k", 1, { earlyData: true })!.maxEarlyData, 0);
  assert.ok(cache.take("k", 1), "still there for 1-RTT resumption");
});

// ----- over sockets -----

Deno.test({
  name: "sockets: our client resumes and sends 0-RTT to openssl s_server -early_data",
  ...needs("openssl"),
  ...sanitize,
  async fn() {
    const { peer, port } = await sServer(["-early_data", "-max_early_data", "16384", "-num_tickets", "2"]);
    const sessionCache = new ClientSessionCache();
    const options: ConnectTlsOptions = {
      hostname: "127.0.0.1",
      servername: "localhost",
      port,
      ca: certs.ca.cert,
      sessionCache,
    };
    try {
      // First connection: a full handshake; reading the server's answer also reads its tickets.
      const first = await connectTls(options);
      assert.equal(first.info.resumed, false);
      const w1 = first.writable.getWriter(), r1 = first.readable.getReader();
      await w1.write(enc.encode("full handshake\n"));
      await peer.waitFor(/full handshake/);
      await peer.send("answer one\n");
      await readUntil(r1, "answer one");
      assert.equal(sessionCache.size, 2, "s_server's two tickets are cached");
      await first.close();

      const from = peer.lines.length;
      const second = await connectTls({ ...options, earlyData: enc.encode("zero rtt line\n") });
      assert.equal(second.info.resumed, true);
      assert.equal(second.info.earlyDataOffered, true);
      assert.equal(second.info.earlyDataAccepted, true, peer.lines.join("\n"));
      await peer.waitFor(/Early data received/, from);
      await peer.waitFor(/zero rtt line/, from);
      await peer.waitFor(/End of early data/, from);
      const r2 = second.readable.getReader();
      await peer.send("answer two\n");
      await readUntil(r2, "answer two");
      await second.close();

      // A third connection takes the second ticket; 1-RTT data only, resumed.
      const third = await connectTls(options);
      assert.equal(third.info.resumed, true);
      assert.equal(third.info.certificate.verified, true, "the chain verified on the first connection");
      assert.equal(third.info.chain[0].subjectAltNames.includes("localhost"), true);
      await third.close();
    } finally {
      await peer.stop();
    }
  },
});

/** Our server: answers the first chunk of each connection with whether it arrived as early data. */
async function earlyEchoServer(earlyData: boolean) {
  const listener = await listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: { path: certs.server["ecdsa-p256"].cert },
    key: { path: certs.server["ecdsa-p256"].key },
    ...(earlyData ? { earlyData: {} } : {}),
  });
  const seen: { early: boolean; text: string; resumed: boolean }[] = [];
  (async () => {
    for await (const socket of listener) serve(socket);
  })();
  async function serve(socket: ServerTlsSocket) {
    try {
      const chunk = await socket.read();
      if (chunk === null) return;
      const entry = { early: socket.lastReadWasEarlyData, text: dec.decode(chunk), resumed: socket.info!.resumed };
      seen.push(entry);
      await socket.write(
        enc.encode(`${entry.early ? "early" : "late"}:${entry.resumed ? "resumed" : "full"}:${entry.text}\n`),
      );
      await socket.handshakeComplete;
      await socket.read().catch(() => null);
    } catch {
      /* a client that went away */
    } finally {
      socket.close();
    }
  }
  return { listener, seen, port: listener.addr.port };
}

Deno.test({
  name: "sockets: our client resumes and sends 0-RTT to our server (listenTls with earlyData); rejected when it is off",
  ...sanitize,
  async fn() {
    for (const earlyData of [true, false]) {
      const server = await earlyEchoServer(earlyData);
      const sessionCache = new ClientSessionCache();
      const options: ConnectTlsOptions = {
        hostname: "127.0.0.1",
        servername: "localhost",
        port: server.port,
        ca: certs.ca.cert,
        sessionCache,
      };
      try {
        const first = await connectTls({ ...options, earlyData: enc.encode("one") });
        assert.equal(first.info.earlyDataOffered, false, "no ticket yet");
        assert.equal(await readUntil(first.readable.getReader(), "\n"), "late:full:one\n");
        await first.close();
        const second = await connectTls({ ...options, earlyData: enc.encode("two") });
        assert.equal(second.info.resumed, true);
        assert.equal(second.info.earlyDataAccepted, earlyData);
        const answer = await readUntil(second.readable.getReader(), "\n");
        assert.equal(answer, earlyData ? "early:resumed:two\n" : "late:resumed:two\n");
        await second.close();
        assert.deepEqual(server.seen.map((s) => s.text), ["one", "two"], "each request seen once");
      } finally {
        await server.listener.close();
      }
    }
  },
});

for (const runtime of ["bun", "node"] as Runtime[]) {
  Deno.test({
    name: `sockets: our client under ${runtime} resumes and sends 0-RTT to our server (spawned fixture)`,
    ...sanitize,
    async fn() {
      const server = await earlyEchoServer(true);
      try {
        const script = new URL("../fixtures/client_resumption.ts", import.meta.url).pathname;
        const argv = command(runtime, script, [String(server.port), certs.ca.cert]);
        const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" }).output();
        const text = dec.decode(out.stdout) + dec.decode(out.stderr);
        assert.equal(out.code, 0, text);
        assert.ok(text.includes("OK full late:full:first"), text);
        assert.ok(text.includes("OK resumed early:resumed:second"), text);
        assert.deepEqual(server.seen.map((s) => [s.text, s.early]), [["first", false], ["second", true]]);
      } finally {
        await server.listener.close();
      }
    },
  });
}

// ----- helpers -----

async function exchange(pair: MemoryPair) {
  pair.client.send(enc.encode("ping"));
  pair.server.send(enc.encode("pong"));
  await pair.pump();
  assert.ok(dec.decode(pair.data("server")).endsWith("ping"));
  assert.ok(dec.decode(pair.data("client")).endsWith("pong"));
}

/** Offset of extension `type` in a ClientHello handshake message, or -1. */
function findExtension(hello: Uint8Array, type: number): number {
  let o = 4 + 2 + 32;
  o += 1 + hello[o];
  o += 2 + ((hello[o] << 8) | hello[o + 1]);
  o += 1 + hello[o];
  const end = o + 2 + ((hello[o] << 8) | hello[o + 1]);
  o += 2;
  while (o < end) {
    const t = (hello[o] << 8) | hello[o + 1];
    if (t === type) return o;
    o += 4 + ((hello[o + 2] << 8) | hello[o + 3]);
  }
  return -1;
}

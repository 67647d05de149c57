/**
 * Our client and our server complete handshakes with each other in memory (no sockets): every suite × every
 * group, HelloRetryRequest, ALPN, SNI, KeyUpdate, close_notify, bulk data, record fragmentation both ways, and
 * the failures each side must detect, each with the alert the RFC names on both sides.
 */
import assert from "node:assert/strict";
import { ALL_SUITES, suiteParams } from "../../src/tls/cipher_suite.ts";
import type { GroupName } from "../../src/crypto/provider.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { alertName } from "../../src/tls/alert.ts";
import type { FailureName } from "../../src/tls/failures.ts";
import { CipherSuite, ContentType, ExtensionType as X, HandshakeType } from "../../src/tls/wire/constants.ts";
import { decodeEncryptedExtensions, encodeEncryptedExtensions } from "../../src/tls/wire/encrypted_extensions.ts";
import { encodeProtocolNames } from "../../src/tls/wire/extensions/alpn.ts";
import { encodeHandshake } from "../../src/tls/wire/handshake.ts";
import {
  certificateVerifyContent,
  encodeCertificateVerify,
  SERVER_CONTEXT,
} from "../../src/tls/wire/certificate_verify.ts";
import { exportKeyingMaterial, finishedVerifyData } from "../../src/tls/key_schedule.ts";
import { encodeNewSessionTicket } from "../../src/tls/wire/new_session_ticket.ts";
import { decodeServerHello, encodeServerHello, type ServerHello } from "../../src/tls/wire/server_hello.ts";
import type { ClientConfigOptions } from "../../src/tls/client/client_config.ts";
import type { ServerConfigOptions } from "../../src/tls/server/server_config.ts";
import {
  concat,
  devClient,
  devPair,
  devPki,
  devServer,
  encodeRecords,
  MemoryPair,
  RecordRewriter,
  records,
  secretsOf,
  splitPlaintextHandshake,
  tamperClientFinished,
  type Tap,
} from "../_support/memory_pair.ts";

const GROUPS: GroupName[] = ["x25519", "secp256r1", "secp384r1"];
const enc = new TextEncoder();

/**
 * Asserts how a failed pair ended: `local` alert sent by one side (for the named rule of failures.ts, when
 * `rule` is given), received by the other (if it got there).
 */
function assertFailed(
  pair: MemoryPair,
  sender: "client" | "server",
  alert: string,
  receiverSees = true,
  rule?: FailureName,
) {
  const local = pair.failure(sender);
  assert.ok(local, `${sender} should have failed with ${alert}`);
  assert.equal(local.alertName, alert, local.message);
  assert.equal(local.source, "local");
  if (rule) assert.equal(local.failure, rule, local.message);
  const other = sender === "client" ? "server" : "client";
  if (receiverSees) {
    const remote = pair.failure(other);
    assert.ok(remote, `${other} should have received ${alert}`);
    assert.equal(alertName(remote.description), alert);
    assert.equal(remote.source, "remote");
  }
}

async function exchange(pair: MemoryPair, size = 1000) {
  const a = nobleProvider.randomBytes(size), b = nobleProvider.randomBytes(size);
  pair.client.send(a);
  pair.server.send(b);
  await pair.pump();
  assert.deepEqual(pair.data("server").subarray(-size), a);
  assert.deepEqual(pair.data("client").subarray(-size), b);
}

for (const suite of ALL_SUITES) {
  for (const group of GROUPS) {
    const name = suiteParams(suite)!.name;
    Deno.test(`memory: ${name} over ${group}`, async () => {
      const pair = await devPair({ cipherSuites: [suite], keyShareGroups: [group] }, {
        cipherSuites: ALL_SUITES,
        groups: [group],
      });
      await pair.handshake();
      for (const side of [pair.client.info!, pair.server.info!]) {
        assert.equal(side.cipherSuite, name);
        assert.equal(side.group, group);
        assert.equal(side.version, "TLSv1.3");
      }
      assert.equal(pair.client.certificateStatus?.verified, true);
      assert.equal(pair.client.info!.peerSignatureScheme, "ecdsa_secp256r1_sha256");
      // One round trip: ClientHello, the server's flight, the client's Finished.
      assert.equal(pair.flights("client").length, 2);
      assert.equal(pair.flights("server").length, 1);
      await exchange(pair);
    });
  }
}

Deno.test("memory: defaults (X25519MLKEM768, x25519, secp256r1 shares) negotiate AES-128-GCM over X25519MLKEM768, with compatibility mode", async () => {
  const pair = await devPair();
  await pair.handshake();
  assert.equal(pair.client.info!.cipherSuite, "TLS_AES_128_GCM_SHA256");
  assert.equal(pair.client.info!.group, "X25519MLKEM768");
  const hello = records(pair.flights("client")[0]);
  assert.equal(hello[0].version, 0x0301, "legacy_record_version of the first ClientHello");
  assert.equal(hello[0].fragment[4 + 2 + 32], 32, "a 32-byte legacy_session_id");
  // RFC 8446 Appendix D.4: the client's dummy change_cipher_spec precedes its encrypted flight.
  const second = records(pair.flights("client")[1]);
  assert.equal(second[0].type, ContentType.change_cipher_spec);
  assert.equal(second[1].type, ContentType.application_data);
});

Deno.test("memory: every signature algorithm of the dev certificates (ECDSA, Ed25519, RSA-PSS)", async () => {
  const p = await devPki();
  for (
    const [key, scheme] of [[p.ecdsa, "ecdsa_secp256r1_sha256"], [p.ed25519, "ed25519"], [
      p.rsa,
      "rsa_pss_rsae_sha256",
    ]] as const
  ) {
    const pair = await devPair({}, { certificates: [key] });
    await pair.handshake();
    assert.equal(pair.client.info!.peerSignatureScheme, scheme);
  }
});

Deno.test("memory: HelloRetryRequest when the client shares x25519 and the server only takes secp384r1", async () => {
  const pair = await devPair({ keyShareGroups: ["x25519"] }, { groups: ["secp384r1"] });
  await pair.handshake();
  assert.equal(pair.client.info!.group, "secp384r1");
  assert.equal(pair.server.info!.group, "secp384r1");
  const [hello1, second] = pair.flights("client");
  assert.equal(records(hello1).length, 1);
  // The change_cipher_spec goes before the second ClientHello, once.
  const types = records(second).map((r) => r.type);
  assert.deepEqual(types, [ContentType.change_cipher_spec, ContentType.handshake]);
  assert.equal(records(second)[1].version, 0x0303);
  assert.ok(!records(pair.flights("client")[2]).some((r) => r.type === ContentType.change_cipher_spec));
  await exchange(pair);
});

Deno.test("memory: HelloRetryRequest without compatibility mode", async () => {
  const pair = await devPair({ keyShareGroups: ["secp256r1"], compatibilityMode: false }, { groups: ["x25519"] });
  await pair.handshake();
  assert.equal(pair.client.info!.group, "x25519");
  assert.ok(!pair.flights("client").some((f) => records(f).some((r) => r.type === ContentType.change_cipher_spec)));
});

Deno.test("memory: ALPN picks the server's preference among ours; no overlap is no_application_protocol", async () => {
  const pair = await devPair({ alpnProtocols: ["h2", "http/1.1"] }, { alpnProtocols: ["http/1.1", "h2"] });
  await pair.handshake();
  assert.equal(pair.client.info!.alpn, "http/1.1");
  assert.equal(pair.server.info!.alpn, "http/1.1");

  const none = await devPair({ alpnProtocols: ["h2"] }, { alpnProtocols: ["http/1.1"] });
  await none.pump();
  assertFailed(none, "server", "no_application_protocol");

  const quiet = await devPair({}, { alpnProtocols: ["h2"] });
  await quiet.handshake();
  assert.equal(quiet.client.info!.alpn, null);
});

Deno.test("memory: SNI picks between two certificates, and the client verifies each for its name", async () => {
  const p = await devPki();
  for (const [name, cert] of [["localhost", p.ecdsa], ["alt.localhost", p.alt]] as const) {
    const pair = await devPair({ serverName: name });
    await pair.handshake();
    assert.deepEqual(pair.client.info!.peerCertificates[0], cert.chain[0]);
    assert.equal(pair.server.info!.serverName, name);
    assert.equal(pair.client.certificateStatus?.verified, true);
  }
  // An IP literal is verified against iPAddress SANs and is not sent as SNI (RFC 6066 §3).
  const ip = await devPair({ serverName: "127.0.0.1" });
  await ip.handshake();
  assert.equal(ip.server.info!.serverName, null);
  assert.equal(ip.client.info!.serverName, null);
});

Deno.test("memory: KeyUpdate both ways with update_requested, data flowing after each", async () => {
  const pair = await devPair();
  await pair.handshake();
  pair.client.updateKeys(true);
  await pair.pump();
  assert.deepEqual(pair.ofType("server", "key_update"), [{ type: "key_update", requested: true }]);
  assert.deepEqual(pair.ofType("client", "key_update"), [{ type: "key_update", requested: false }]);
  await exchange(pair);
  pair.server.updateKeys(true);
  await pair.pump();
  assert.deepEqual(pair.ofType("client", "key_update").map((e) => e.requested), [false, true]);
  assert.deepEqual(pair.ofType("server", "key_update").map((e) => e.requested), [true, false]);
  await exchange(pair);
  pair.client.updateKeys(false);
  pair.client.updateKeys(false);
  await pair.pump();
  await exchange(pair);
});

Deno.test("memory: the client's TLS-Exporter uses the exporter secret both sides derived (RFC 8446 §7.5)", async () => {
  const log: string[] = [];
  const pair = await devPair({}, { keyLog: (l) => log.push(l) });
  assert.throws(
    () => pair.client.exportKeyingMaterial("EXPERIMENTAL test", new Uint8Array(0), 32),
    /before the handshake/,
  );
  await pair.handshake();
  const ours = pair.client.exportKeyingMaterial("EXPERIMENTAL test", Uint8Array.of(1, 2), 32);
  const theirs = exportKeyingMaterial(
    nobleProvider.hash("SHA-256"),
    secretsOf(log).get("EXPORTER_SECRET")!,
    "EXPERIMENTAL test",
    Uint8Array.of(1, 2),
    32,
  );
  assert.deepEqual(ours, theirs);
});

Deno.test("memory: close_notify both ways", async () => {
  const pair = await devPair();
  await pair.handshake();
  pair.client.send(enc.encode("last words"));
  pair.client.close();
  await pair.pump();
  assert.equal(new TextDecoder().decode(pair.data("server")), "last words");
  assert.equal(pair.ofType("server", "peer_closed").length, 1);
  assert.ok(!pair.server.isClosed, "the server may still write after the client's close_notify");
  pair.server.send(enc.encode("goodbye"));
  pair.server.close();
  await pair.pump();
  assert.equal(new TextDecoder().decode(pair.data("client")), "goodbye");
  assert.equal(pair.ofType("client", "peer_closed").length, 1);
  assert.ok(pair.client.isClosed && pair.server.isClosed);
  assert.equal(pair.failure("client"), null);
  assert.equal(pair.failure("server"), null);
});

Deno.test("memory: 1 MB of data both ways", async () => {
  const pair = await devPair();
  await pair.handshake();
  const a = nobleProvider.randomBytes(1 << 20), b = nobleProvider.randomBytes(1 << 20);
  pair.client.send(a);
  pair.server.send(b);
  await pair.pump();
  assert.deepEqual(pair.data("server"), a);
  assert.deepEqual(pair.data("client"), b);
  // 2^14-byte records: 64 of them each way (RFC 8446 §5.1).
  assert.equal(records(pair.flights("client").at(-1)!).length, 64);
});

Deno.test("memory: many handshake messages share one record; the server's flight is one record", async () => {
  const pair = await devPair();
  await pair.handshake();
  const flight = records(pair.flights("server")[0]);
  // ServerHello, change_cipher_spec, then EncryptedExtensions..Finished in one protected record.
  assert.deepEqual(flight.map((r) => r.type), [
    ContentType.handshake,
    ContentType.change_cipher_spec,
    ContentType.application_data,
  ]);
});

Deno.test("memory: handshake messages split over many records (record_size_limit 64 and re-framed hellos)", async () => {
  // The client asks for records of at most 64 bytes (RFC 8449): the server's protected flight is cut to fit.
  const small = await devPair({ recordSizeLimit: 64 });
  await small.handshake();
  const flight = records(small.flights("server")[0]).filter((r) => r.type === ContentType.application_data);
  assert.ok(flight.length > 5, `the server's flight took ${flight.length} records`);
  assert.ok(flight.every((r) => r.fragment.length <= 64 + 16));
  await exchange(small, 300);

  // Plaintext hellos re-framed into 7-byte records on the way, delivered a byte at a time.
  const tap: Tap = (_from, bytes) => splitPlaintextHandshake(bytes, 7);
  const split = await devPair({ keyShareGroups: ["x25519"] }, { groups: ["secp256r1"] }, { tap, chunk: 1 });
  await split.handshake();
  assert.equal(split.client.info!.group, "secp256r1");
});

Deno.test("memory: a handshake message may not straddle a key change (RFC 8446 §5.1)", async () => {
  // The ServerHello record also carries the first bytes of another message: keys change after the ServerHello,
  // so the client must refuse the leftover rather than finish it under the new keys.
  const tap: Tap = (from, bytes, n) => {
    if (from !== "server" || n !== 0) return bytes;
    const list = records(bytes);
    list[0] = {
      ...list[0],
      fragment: concat([list[0].fragment, Uint8Array.of(HandshakeType.encrypted_extensions, 0, 0)]),
    };
    return encodeRecords(list);
  };
  const pair = await devPair({}, {}, { tap });
  await pair.pump();
  assertFailed(pair, "client", "unexpected_message", true, "key_change_not_at_record_boundary");
});

// ----- failures -----

Deno.test("memory: no cipher suite in common is handshake_failure on both sides", async () => {
  const pair = await devPair(
    { cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
    { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] },
  );
  await pair.pump();
  assertFailed(pair, "server", "handshake_failure", true, "no_common_cipher_suite");
});

Deno.test("memory: no group in common is handshake_failure", async () => {
  const pair = await devPair({ groups: ["x25519"], keyShareGroups: ["x25519"] }, { groups: ["secp384r1"] });
  await pair.pump();
  assertFailed(pair, "server", "handshake_failure");
});

/** A pair whose server flight is rewritten by a man in the middle that knows the server's secrets. */
async function tamperServerFlight(edit: (messages: Uint8Array) => Uint8Array) {
  const log: string[] = [];
  const server = await devServer({ keyLog: (l) => log.push(l) });
  const client = await devClient();
  const tap: Tap = (from, bytes, n) => {
    if (from !== "server" || n !== 0) return bytes;
    const rewriter = new RecordRewriter(
      nobleProvider,
      "SHA-256",
      "AES-128-GCM",
      secretsOf(log).get("SERVER_HANDSHAKE_TRAFFIC_SECRET")!,
    );
    const list = records(bytes);
    const last = list.length - 1;
    return concat([encodeRecords(list.slice(0, last)), rewriter.rewrite(list[last], edit)]);
  };
  const pair = new MemoryPair(client, server, { tap });
  await pair.pump();
  return pair;
}

Deno.test("memory: a tampered server Finished is decrypt_error", async () => {
  const pair = await tamperServerFlight((m) => {
    const out = m.slice();
    out[out.length - 1] ^= 1;
    return out;
  });
  assertFailed(pair, "client", "decrypt_error", true, "finished_invalid");
});

Deno.test("memory: a tampered client Finished is decrypt_error", async () => {
  const log: string[] = [];
  const client = await devClient({ keyLog: (l) => log.push(l) });
  const tap = tamperClientFinished(log);
  const pair = new MemoryPair(client, await devServer(), { tap });
  await pair.pump();
  assertFailed(pair, "server", "decrypt_error", true, "finished_invalid");
});

Deno.test("memory: a flipped bit in a protected record is bad_record_mac", async () => {
  const tap: Tap = (from, bytes, n) => {
    if (from !== "server" || n !== 0) return bytes;
    const out = bytes.slice();
    out[out.length - 3] ^= 0x80;
    return out;
  };
  const pair = await devPair({}, {}, { tap });
  await pair.pump();
  assertFailed(pair, "client", "bad_record_mac", true, "bad_record_mac");
});

/** Replaces the EncryptedExtensions (first message of the flight) with one carrying `extensions`. */
function withEncryptedExtensions(extensions: { type: number; data: Uint8Array }[]) {
  return (messages: Uint8Array) => {
    const length = (messages[1] << 16) | (messages[2] << 8) | messages[3];
    const rest = messages.subarray(4 + length);
    const old = decodeEncryptedExtensions(messages.subarray(4, 4 + length));
    const body = encodeEncryptedExtensions([...old, ...extensions]);
    return concat([
      Uint8Array.of(HandshakeType.encrypted_extensions, 0, body.length >> 8, body.length & 0xff),
      body,
      rest,
    ]);
  };
}

Deno.test("memory: EncryptedExtensions answering what we did not ask is unsupported_extension", async () => {
  const pair = await tamperServerFlight(
    withEncryptedExtensions([{ type: X.application_layer_protocol_negotiation, data: encodeProtocolNames(["h2"]) }]),
  );
  assertFailed(pair, "client", "unsupported_extension", true, "extension_unsolicited");
  const unknown = await tamperServerFlight(withEncryptedExtensions([{ type: 0x7777, data: new Uint8Array(0) }]));
  assertFailed(unknown, "client", "unsupported_extension");
});

Deno.test("memory: an extension that EncryptedExtensions may not carry is illegal_parameter", async () => {
  const pair = await tamperServerFlight(withEncryptedExtensions([{ type: X.key_share, data: new Uint8Array(0) }]));
  assertFailed(pair, "client", "illegal_parameter", true, "extension_not_allowed");
});

Deno.test("memory: the wrong host name is bad_certificate; an unknown CA is unknown_ca", async () => {
  const wrong = await devPair({ serverName: "example.com" });
  await wrong.pump();
  assertFailed(wrong, "client", "bad_certificate");
  assert.equal(wrong.client.certificateStatus, null);

  const p = await devPki();
  const unknown = await devPair({ anchors: [p.alt.chain[0]] });
  await unknown.pump();
  assertFailed(unknown, "client", "unknown_ca");
});

Deno.test("memory: certificateErrors 'record' completes the handshake and keeps the error", async () => {
  const pair = await devPair({ serverName: "example.com", certificateErrors: "record" });
  await pair.handshake();
  const status = pair.client.certificateStatus!;
  assert.equal(status.verified, false);
  assert.ok("error" in status && status.error.alertName === "bad_certificate");
});

Deno.test("memory: dangerouslyDisableCertificateVerification accepts any chain and says so", async () => {
  const pair = await devPair({
    serverName: "example.com",
    anchors: undefined,
    dangerouslyDisableCertificateVerification: true,
  });
  await pair.handshake();
  assert.deepEqual(pair.client.certificateStatus, { verified: false, disabled: true });
});

Deno.test("memory: the client answers a CertificateRequest with an empty Certificate, then Finished", async () => {
  // Our server does not ask for client certificates yet, so a man in the middle holding the server's secrets and
  // key rebuilds its flight with a CertificateRequest, re-signing CertificateVerify and recomputing Finished.
  const p = await devPki();
  const serverLog: string[] = [], clientLog: string[] = [];
  const client = await devClient({ keyLog: (l) => clientLog.push(l) });
  const server = await devServer({ keyLog: (l) => serverLog.push(l), certificates: [p.ecdsa] });
  const pair = new MemoryPair(client, server, { tap: (from, bytes) => (from === "server" ? null : bytes) });
  await pair.pump();
  const hello = records(pair.flights("client")[0])[0].fragment;
  const flight = records(pair.flights("server")[0]);
  const secret = secretsOf(serverLog).get("SERVER_HANDSHAKE_TRAFFIC_SECRET")!;
  const mitm = new RecordRewriter(nobleProvider, "SHA-256", "AES-128-GCM", secret);
  const [ee, certificate] = splitMessages(mitm.open(flight.at(-1)!));
  const cr = encodeHandshake(
    HandshakeType.certificate_request,
    Uint8Array.of(0, 0, 8, 0, X.signature_algorithms, 0, 4, 0, 2, 4, 3),
  );
  const hash = nobleProvider.hash("SHA-256");
  const transcript = hash.transcript();
  for (const m of [hello, flight[0].fragment, ee, cr, certificate]) transcript.update(m);
  const signature = await p.ecdsa.signingKey.sign(
    0x0403,
    certificateVerifyContent(SERVER_CONTEXT, transcript.digest()),
  );
  const cv = encodeHandshake(HandshakeType.certificate_verify, encodeCertificateVerify({ scheme: 0x0403, signature }));
  transcript.update(cv);
  const fin = encodeHandshake(HandshakeType.finished, finishedVerifyData(hash, secret, transcript.digest()));
  const rebuilt = concat([
    encodeRecords(flight.slice(0, -1)),
    mitm.seal(ContentType.handshake, concat([ee, cr, certificate, cv, fin])),
  ]);

  const events = await client.receive(rebuilt);
  assert.deepEqual(events.map((e) => e.type), ["handshake_complete"]);
  const answer = records(client.takeOutput());
  assert.equal(answer[0].type, ContentType.change_cipher_spec);
  const opener = new RecordRewriter(
    nobleProvider,
    "SHA-256",
    "AES-128-GCM",
    secretsOf(clientLog).get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!,
  );
  const sent = splitMessages(opener.open(answer[1]));
  assert.deepEqual(sent.map((m) => m[0]), [HandshakeType.certificate, HandshakeType.finished]);
  assert.deepEqual(sent[0], Uint8Array.of(HandshakeType.certificate, 0, 0, 4, 0, 0, 0, 0), "empty context, empty list");
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

// ----- a server that misbehaves: each refusal with the alert RFC 8446 names -----

/** Rewrites the plaintext ServerHello (or HelloRetryRequest) of the server's `flight`-th flight. */
function editServerHello(edit: (sh: ServerHello) => void, flight = 0): Tap {
  return (from, bytes, n) => {
    if (from !== "server" || n !== flight) return bytes;
    const list = records(bytes);
    const sh = decodeServerHello(list[0].fragment.subarray(4));
    edit(sh);
    list[0] = { ...list[0], fragment: encodeHandshake(HandshakeType.server_hello, encodeServerHello(sh)) };
    return encodeRecords(list);
  };
}

const setExtension = (sh: ServerHello, type: number, data: Uint8Array | null) => {
  sh.extensions = sh.extensions.filter((e) => e.type !== type);
  if (data) sh.extensions.push({ type, data });
};

async function misbehave(
  tap: Tap,
  client: Partial<ClientConfigOptions> = {},
  server: Partial<ServerConfigOptions> = {},
) {
  const pair = await devPair(client, server, { tap });
  await pair.pump();
  return pair;
}

Deno.test("misbehaving server: ServerHello version, suite, group, session id, compression and extensions", async () => {
  const cases: [string, (sh: ServerHello) => void, string][] = [
    [
      "supported_versions selects TLS 1.2",
      (sh) => setExtension(sh, X.supported_versions, Uint8Array.of(3, 3)),
      "illegal_parameter",
    ],
    [
      "no supported_versions (a TLS 1.2 ServerHello)",
      (sh) => setExtension(sh, X.supported_versions, null),
      "protocol_version",
    ],
    ["TLS 1.2 ServerHello with the downgrade sentinel", (sh) => {
      setExtension(sh, X.supported_versions, null);
      sh.random.set([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01], 24);
    }, "illegal_parameter"],
    ["legacy_version 0x0301", (sh) => (sh.legacyVersion = 0x0301), "illegal_parameter"],
    ["a suite we did not offer", (sh) => (sh.cipherSuite = CipherSuite.TLS_AES_128_CCM_SHA256), "illegal_parameter"],
    ["a key share for a group we did not share", (sh) => {
      const ks = sh.extensions.find((e) => e.type === X.key_share)!;
      ks.data = Uint8Array.of(0, 0x18, ...ks.data.subarray(2));
    }, "illegal_parameter"],
    ["no key_share", (sh) => setExtension(sh, X.key_share, null), "missing_extension"],
    ["a session id that is not ours", (sh) => (sh.legacySessionIdEcho = new Uint8Array(32)), "illegal_parameter"],
    ["compression", (sh) => (sh.legacyCompressionMethod = 1), "illegal_parameter"],
    [
      "pre_shared_key we did not offer",
      (sh) => setExtension(sh, X.pre_shared_key, Uint8Array.of(0, 0)),
      "unsupported_extension",
    ],
    [
      "server_name, which ServerHello may not carry",
      (sh) => setExtension(sh, X.server_name, new Uint8Array(0)),
      "illegal_parameter",
    ],
  ];
  for (const [what, edit, alert] of cases) {
    const pair = await misbehave(editServerHello(edit));
    assert.equal(pair.failure("client")?.alertName, alert, what);
    assert.equal(pair.failure("client")?.source, "local", what);
  }
});

Deno.test("misbehaving server: HelloRetryRequest rules (RFC 8446 §4.1.4)", async () => {
  const retry = {
    client: { keyShareGroups: ["x25519", "secp256r1"] as GroupName[] },
    server: { groups: ["secp384r1"] as GroupName[] },
  };
  const hrrGroup = (code: number) => (sh: ServerHello) =>
    setExtension(sh, X.key_share, Uint8Array.of(code >> 8, code & 0xff));
  const cases: [string, Tap, string][] = [
    ["asks for a group we already shared", editServerHello(hrrGroup(0x001d)), "illegal_parameter"],
    ["asks for a group not in supported_groups", editServerHello(hrrGroup(0x0019)), "illegal_parameter"],
    [
      "picks a suite we did not offer",
      editServerHello((sh) => (sh.cipherSuite = CipherSuite.TLS_AES_128_CCM_8_SHA256)),
      "illegal_parameter",
    ],
    [
      "would change nothing",
      editServerHello((sh) => {
        setExtension(sh, X.key_share, null);
        setExtension(sh, X.cookie, null);
      }),
      "illegal_parameter",
    ],
    [
      "ServerHello changes the HelloRetryRequest's suite",
      editServerHello((sh) => (sh.cipherSuite = CipherSuite.TLS_AES_256_GCM_SHA384), 1),
      "illegal_parameter",
    ],
    ["a second HelloRetryRequest", repeatFirstFlight(), "unexpected_message"],
  ];
  for (const [what, tap, alert] of cases) {
    const pair = await misbehave(tap, retry.client, retry.server);
    assert.equal(pair.failure("client")?.alertName, alert, what);
  }
});

/** Answers the second ClientHello with the first HelloRetryRequest again. */
function repeatFirstFlight(): Tap {
  let first: Uint8Array | undefined;
  return (from, bytes, n) => {
    if (from !== "server") return bytes;
    if (n === 0) first = bytes;
    return n === 1 ? first! : bytes;
  };
}

/** Rewrites the server's protected flight message by message (EE, Certificate, CertificateVerify, Finished). */
function editMessages(edit: (messages: { type: number; body: Uint8Array }[]) => void) {
  return (flight: Uint8Array) => {
    const messages: { type: number; body: Uint8Array }[] = [];
    for (let o = 0; o < flight.length;) {
      const length = (flight[o + 1] << 16) | (flight[o + 2] << 8) | flight[o + 3];
      messages.push({ type: flight[o], body: flight.slice(o + 4, o + 4 + length) });
      o += 4 + length;
    }
    edit(messages);
    return concat(messages.map((m) => encodeHandshake(m.type, m.body)));
  };
}

const message = (list: { type: number; body: Uint8Array }[], type: number) => list.find((m) => m.type === type)!;

Deno.test("misbehaving server: empty Certificate, CertificateVerify scheme or signature, ALPN answer", async () => {
  const empty = await tamperServerFlight(
    editMessages((m) => (message(m, HandshakeType.certificate).body = Uint8Array.of(0, 0, 0, 0))),
  );
  assertFailed(empty, "client", "decode_error");

  const scheme = await tamperServerFlight(
    editMessages((m) => message(m, HandshakeType.certificate_verify).body.set([0x04, 0x01])),
  );
  assertFailed(scheme, "client", "illegal_parameter");

  const signature = await tamperServerFlight(editMessages((m) => {
    const body = message(m, HandshakeType.certificate_verify).body;
    body[body.length - 2] ^= 1;
  }));
  assertFailed(signature, "client", "decrypt_error");

  const log: string[] = [];
  const alpnClient = await devClient({ alpnProtocols: ["h2"] });
  const alpnServer = await devServer({ alpnProtocols: ["h2"], keyLog: (l) => log.push(l) });
  const tap: Tap = (from, bytes, n) => {
    if (from !== "server" || n !== 0) return bytes;
    const rewriter = new RecordRewriter(
      nobleProvider,
      "SHA-256",
      "AES-128-GCM",
      secretsOf(log).get("SERVER_HANDSHAKE_TRAFFIC_SECRET")!,
    );
    const list = records(bytes);
    const edit = editMessages((m) => {
      message(m, HandshakeType.encrypted_extensions).body = encodeEncryptedExtensions([
        { type: X.application_layer_protocol_negotiation, data: encodeProtocolNames(["http/1.1"]) },
      ]);
    });
    return concat([encodeRecords(list.slice(0, -1)), rewriter.rewrite(list.at(-1)!, edit)]);
  };
  const alpn = new MemoryPair(alpnClient, alpnServer, { tap });
  await alpn.pump();
  assertFailed(alpn, "client", "illegal_parameter");
});

Deno.test("post-handshake: a NewSessionTicket becomes a session_ticket event; a CertificateRequest is unexpected", async () => {
  const log: string[] = [];
  const pair = await devPair({}, { keyLog: (l) => log.push(l) });
  await pair.handshake();
  const secret = secretsOf(log).get("SERVER_TRAFFIC_SECRET_0")!;
  const sealer = new RecordRewriter(nobleProvider, "SHA-256", "AES-128-GCM", secret);
  const ticket = {
    lifetime: 7200,
    ageAdd: 12345,
    nonce: Uint8Array.of(1),
    ticket: Uint8Array.of(9, 9, 9),
    extensions: [],
  };
  const nst = encodeHandshake(HandshakeType.new_session_ticket, encodeNewSessionTicket(ticket));
  const events = await pair.client.receive(sealer.seal(ContentType.handshake, nst));
  assert.deepEqual(events, [{ type: "session_ticket", ticket }]);

  const cr = encodeHandshake(
    HandshakeType.certificate_request,
    Uint8Array.of(1, 7, 0, 8, 0, X.signature_algorithms, 0, 4, 0, 2, 4, 3),
  );
  const refused = await pair.client.receive(sealer.seal(ContentType.handshake, cr));
  assert.equal(refused[0].type, "failed");
  assert.equal(refused[0].type === "failed" && refused[0].alert.alertName, "unexpected_message");
});

/**
 * The record layer's rules (RFC 8446 §5, §5.1, §4.2.10, §4.4.4, §6.1), each fed as exact bytes to an engine in
 * memory: the alert, the rule of failures.ts that fired, and that nothing but the alert went out (no silent
 * wait, no flight before the refusal). tests/interop/record_rules_runtimes_test.ts sends the same bytes to a
 * real server on Deno, Bun and Node.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { FailureName } from "../../src/tls/failures.ts";
import type { TlsEvent } from "../../src/tls/events.ts";
import type { ClientSession } from "../../src/tls/client/session.ts";
import { encodeClientHello } from "../../src/tls/wire/client_hello.ts";
import { CipherSuite, ContentType, ExtensionType as X, HandshakeType } from "../../src/tls/wire/constants.ts";
import { encodeHandshake } from "../../src/tls/wire/handshake.ts";
import { decodeClientHello } from "../../src/tls/wire/client_hello.ts";
import {
  concat,
  devClient,
  devPair,
  devServer,
  encodeRecords,
  MemoryPair,
  RecordRewriter,
  records,
  secretsOf,
  type Tap,
} from "../_support/memory_pair.ts";

const enc = new TextEncoder();
const ALERT = ContentType.alert, HANDSHAKE = ContentType.handshake, APP = ContentType.application_data;

function record(type: number, body: Uint8Array, version = 0x0303): Uint8Array {
  return encodeRecords([{ type, version, fragment: body }]);
}

/** A plaintext fatal alert, as the server sends it before any key exists. */
const plaintextAlert = (code: number) => Uint8Array.of(21, 3, 3, 0, 2, 2, code);

/** The body of our client's first ClientHello (the first record of its first flight). */
async function clientHelloMessage(): Promise<Uint8Array> {
  return records((await devClient()).takeOutput())[0].fragment;
}

function failedWith(events: TlsEvent[], alert: string, rule: FailureName): void {
  const failed = events.find((e) => e.type === "failed");
  assert.ok(failed?.type === "failed", `expected ${rule}, got ${JSON.stringify(events.map((e) => e.type))}`);
  assert.equal(failed.alert.alertName, alert, failed.alert.message);
  assert.equal(failed.alert.failure, rule, failed.alert.message);
  assert.equal(failed.alert.source, "local");
}

async function feedServer(...chunks: Uint8Array[]) {
  const server = await devServer();
  const events: TlsEvent[] = [];
  for (const c of chunks) events.push(...await server.receive(c));
  return { server, events, out: server.takeOutput() };
}

/** A pair after its handshake, with sealers of the client's next protected records under each of its keys. */
async function connectedPair() {
  const log: string[] = [];
  const pair = await devPair({ keyLog: (l) => log.push(l) });
  await pair.handshake();
  const app = new RecordRewriter(
    nobleProvider,
    "SHA-256",
    "AES-128-GCM",
    secretsOf(log).get("CLIENT_TRAFFIC_SECRET_0")!,
  );
  return { pair, app };
}

Deno.test("records: empty application_data before the first ClientHello is unexpected_message at once", async () => {
  const r = await feedServer(record(APP, new Uint8Array(0)));
  failedWith(r.events, "unexpected_message", "application_data_too_early");
  assert.deepEqual(r.out, plaintextAlert(10));
  assert.ok(r.server.isClosed);
});

Deno.test("records: nothing may come between the fragments of a ClientHello (empty data, data, change_cipher_spec)", async () => {
  const hello = await clientHelloMessage();
  const [a, b] = [hello.subarray(0, 100), hello.subarray(100)];
  for (const between of [record(APP, new Uint8Array(0)), record(APP, Uint8Array.of(1)), record(20, Uint8Array.of(1))]) {
    const r = await feedServer(record(HANDSHAKE, a), between, record(HANDSHAKE, b));
    failedWith(r.events, "unexpected_message", "record_interleaved");
    assert.deepEqual(r.out, plaintextAlert(10), "the alert and nothing else");
  }
  const whole = await feedServer(record(HANDSHAKE, a), record(HANDSHAKE, b));
  assert.equal(whole.events.length, 0, "the same fragments alone are a good ClientHello");
  assert.equal(whole.out[5], HandshakeType.server_hello);
});

Deno.test("records: a stray byte (or message) after the ClientHello in its record is refused before anything is sent", async () => {
  const hello = await clientHelloMessage();
  for (const extra of [Uint8Array.of(1), hello]) {
    const r = await feedServer(record(HANDSHAKE, concat([hello, extra])));
    failedWith(r.events, "unexpected_message", "key_change_not_at_record_boundary");
    assert.deepEqual(r.out, plaintextAlert(10), "no ServerHello went out before the alert");
  }
});

Deno.test("records: one change_cipher_spec per handshake; a second is unexpected_message", async () => {
  const hello = await clientHelloMessage();
  const ccs = record(20, Uint8Array.of(1));
  const r = await feedServer(concat([record(HANDSHAKE, hello), ccs, ccs]));
  failedWith(r.events, "unexpected_message", "change_cipher_spec_repeated");
  // Another before the client Finished: the client's own compatibility CCS, then one more.
  const tap: Tap = (from, bytes, n) => from === "client" && n === 1 ? concat([ccs, bytes]) : bytes;
  const pair = await devPair({}, {}, { tap });
  await pair.pump();
  failedWith(pair.events.server, "unexpected_message", "change_cipher_spec_repeated");
  assert.equal(pair.failure("client")?.alertName, "unexpected_message");
});

/** A ticket the server cannot open, that still lets our client offer 0-RTT: what a stale ticket looks like. */
function staleSession(): ClientSession {
  return {
    ticket: new Uint8Array(40).fill(3),
    psk: new Uint8Array(32).fill(4),
    cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
    lifetime: 7200,
    ageAdd: 0,
    nonce: new Uint8Array(0),
    receivedAt: Date.now(),
    maxEarlyData: 16384,
    alpn: null,
    serverName: "localhost",
    peerCertificates: [],
    certificateStatus: { verified: false, disabled: true },
    certificateValidUntil: Infinity,
  };
}

Deno.test("records: after a HelloRetryRequest, rejected 0-RTT is skipped only until the second ClientHello", async () => {
  const request = enc.encode("GET / HTTP/1.1\r\n\r\n");
  const retry = { groups: ["x25519" as const], keyShareGroups: [] };
  const options = { session: staleSession(), earlyData: request };
  // Control: the 0-RTT records sent with the first ClientHello are skipped, the data is sent again after.
  const ok = new MemoryPair(await devClient(retry, options), await devServer());
  await ok.handshake();
  assert.ok(ok.client.helloRetried);
  assert.equal(ok.client.earlyDataStatus, "rejected");
  assert.deepEqual(ok.data("server"), request);
  // Garbage after the second ClientHello cannot be early data any more: it is deprotected and refused.
  const garbage = record(APP, new Uint8Array(40).fill(9));
  const tap: Tap = (from, bytes, n) => from === "client" && n === 1 ? concat([bytes, garbage]) : bytes;
  const bad = new MemoryPair(await devClient(retry, options), await devServer(), { tap });
  await bad.pump();
  failedWith(bad.events.server, "bad_record_mac", "bad_record_mac");
});

Deno.test("records: an empty alert record is unexpected_message, plaintext or protected, padded or not", async () => {
  const plain = await feedServer(record(ALERT, new Uint8Array(0)));
  failedWith(plain.events, "unexpected_message", "empty_alert_record");
  assert.deepEqual(plain.out, plaintextAlert(10));
  for (const malformed of [Uint8Array.of(2), Uint8Array.of(2, 10, 0)]) {
    failedWith((await feedServer(record(ALERT, malformed))).events, "decode_error", "alert_malformed");
  }
  // Under the handshake key: the client's Finished replaced by an empty alert.
  const log: string[] = [];
  const underHandshakeKey: Tap = (from, bytes, n) => {
    if (from !== "client" || n !== 1) return bytes;
    const secret = secretsOf(log).get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!;
    const list = records(bytes);
    const sealer = new RecordRewriter(nobleProvider, "SHA-256", "AES-128-GCM", secret);
    return concat([encodeRecords(list.slice(0, 1)), sealer.seal(ALERT, new Uint8Array(0))]);
  };
  const hs = new MemoryPair(await devClient({ keyLog: (l) => log.push(l) }), await devServer(), {
    tap: underHandshakeKey,
  });
  await hs.pump();
  failedWith(hs.events.server, "unexpected_message", "empty_alert_record");
  // Under the application key, with three bytes of padding: content type 0 in front of "21 00 00" leaves the
  // alert type as the last non-zero byte and no content (RFC 8446 §5.4).
  for (
    const sealed of [
      (s: RecordRewriter) => s.seal(ALERT, new Uint8Array(0)),
      (s: RecordRewriter) => s.seal(0, Uint8Array.of(ALERT, 0, 0)),
    ]
  ) {
    const { pair, app } = await connectedPair();
    failedWith(await pair.server.receive(sealed(app)), "unexpected_message", "empty_alert_record");
  }
});

Deno.test("records: a handshake message longer than its type allows is decode_error from its header", async () => {
  const { pair, app } = await connectedPair();
  // RFC 8446 §4.6.3: a KeyUpdate body is one byte. These are the bytes of issue 16: length 5, one byte present.
  failedWith(
    await pair.server.receive(app.seal(HANDSHAKE, Uint8Array.of(24, 0, 0, 5, 0))),
    "decode_error",
    "message_too_long",
  );
  // RFC 8446 §4.4.4: a Finished of 128 KiB, announced in the header alone, in place of the client's.
  const log: string[] = [];
  const hugeFinished: Tap = (from, bytes, n) => {
    if (from !== "client" || n !== 1) return bytes;
    const sealer = new RecordRewriter(
      nobleProvider,
      "SHA-256",
      "AES-128-GCM",
      secretsOf(log).get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!,
    );
    return concat([encodeRecords(records(bytes).slice(0, 1)), sealer.seal(HANDSHAKE, Uint8Array.of(20, 2, 0, 0))]);
  };
  const fin = new MemoryPair(await devClient({ keyLog: (l) => log.push(l) }), await devServer(), { tap: hugeFinished });
  await fin.pump();
  failedWith(fin.events.server, "decode_error", "message_too_long");
  // A type that does not exist is refused from its header too.
  failedWith(
    (await feedServer(record(HANDSHAKE, Uint8Array.of(99, 0, 0, 1)))).events,
    "unexpected_message",
    "message_unexpected",
  );
});

Deno.test("records: the default limit admits the largest ClientHello TLS 1.3 allows, and 32,715 signature schemes", async () => {
  const many = Array.from({ length: 32_715 - 6 }, (_, i) => 0x2000 + i);
  // Room for the few other extensions a prober sends next to it: one key share, no record_size_limit.
  const pair = await devPair({
    signatureSchemes: [0x0403, 0x0807, 0x0503, 0x0804, 0x0805, 0x0806, ...many],
    keyShareGroups: ["x25519"],
    recordSizeLimit: null,
  });
  await pair.handshake();
  const hello = records(pair.flights("client")[0]);
  assert.ok(hello.reduce((n, r) => n + r.fragment.length, 0) > 65_500, "a 65.5 KB ClientHello");
  // 32,767 cipher suites and 64 KiB of extensions: the structure's limit with the one compression method.
  const template = decodeClientHello((await clientHelloMessage()).subarray(4));
  const suites = [0x1301, ...Array.from({ length: 32_766 }, (_, i) => 0x4000 + i)];
  const extensionsSize = template.extensions.reduce((n, e) => n + 4 + e.data.length, 0);
  const padding = { type: X.padding, data: new Uint8Array(65_535 - extensionsSize - 4) };
  const body = encodeClientHello({ ...template, cipherSuites: suites, extensions: [padding, ...template.extensions] });
  assert.equal(body.length, 2 + 32 + 33 + 2 + 65_534 + 2 + 2 + 65_535);
  const message = encodeHandshake(HandshakeType.client_hello, body);
  const fragments = [];
  for (let o = 0; o < message.length; o += 16_384) fragments.push(record(HANDSHAKE, message.subarray(o, o + 16_384)));
  const r = await feedServer(...fragments);
  assert.deepEqual(r.events, []);
  assert.equal(r.out[5], HandshakeType.server_hello);
});

Deno.test("records: application data between the fragments of a KeyUpdate is unexpected_message", async () => {
  for (const between of [enc.encode("GET / HTTP/1.1\r\n\r\n"), new Uint8Array(0)]) {
    const { pair, app } = await connectedPair();
    const bytes = concat([app.seal(HANDSHAKE, Uint8Array.of(24, 0, 0)), app.seal(APP, between)]);
    failedWith(await pair.server.receive(bytes), "unexpected_message", "record_interleaved");
  }
  // Control: the same two fragments back to back are a KeyUpdate.
  const { pair, app } = await connectedPair();
  const events = await pair.server.receive(
    concat([app.seal(HANDSHAKE, Uint8Array.of(24, 0, 0)), app.seal(HANDSHAKE, Uint8Array.of(1, 0))]),
  );
  assert.deepEqual(events, [{ type: "key_update", requested: false }]);
});

Deno.test("records: 32 empty records in a row are fine, the 33rd is unexpected_message (both sides)", async () => {
  const empties = (s: RecordRewriter, n: number) =>
    concat(Array.from({ length: n }, () => s.seal(APP, new Uint8Array(0))));
  const { pair, app } = await connectedPair();
  const fine = await pair.server.receive(concat([empties(app, 32), app.seal(APP, Uint8Array.of(7)), empties(app, 32)]));
  assert.deepEqual(fine, [{ type: "data", data: Uint8Array.of(7) }]);
  failedWith(
    await pair.server.receive(concat([app.seal(APP, Uint8Array.of(8)), empties(app, 33)])),
    "unexpected_message",
    "too_many_empty_records",
  );
  // The client enforces the same rule on the server's records.
  const log: string[] = [];
  const p2 = await devPair({}, { keyLog: (l) => log.push(l) });
  await p2.handshake();
  const server = new RecordRewriter(
    nobleProvider,
    "SHA-256",
    "AES-128-GCM",
    secretsOf(log).get("SERVER_TRAFFIC_SECRET_0")!,
  );
  failedWith(await p2.client.receive(empties(server, 33)), "unexpected_message", "too_many_empty_records");
});

Deno.test("records: what follows the peer's close_notify is ignored (RFC 8446 §6.1); we close with our own", async () => {
  const { pair, app } = await connectedPair();
  pair.client.close();
  app.seal(ALERT, Uint8Array.of(1, 0)); // the record the client just sealed: keep the sequence numbers in step
  const after = concat([pair.client.takeOutput(), app.seal(APP, enc.encode("late")), Uint8Array.of(0xde, 0xad, 0xbe)]);
  const events = await pair.server.receive(after);
  assert.deepEqual(events, [{ type: "peer_closed" }]);
  assert.ok(!pair.server.isClosed, "our direction is still open");
  assert.deepEqual(await pair.server.receive(Uint8Array.of(99, 99, 99, 99, 99, 99)), [], "and more is ignored too");
  pair.server.close();
  const ours = records(pair.server.takeOutput());
  assert.equal(ours.length, 1, "close_notify");
  assert.ok(pair.server.isClosed);
});

/**
 * Hostile or broken ClientHellos and records get exactly the alert RFC 8446 names, before anything is
 * decrypted or signed, and never a crash. Each case feeds raw bytes to a fresh in-memory ServerConnection.
 */
import assert from "node:assert/strict";
import { ensureDevCerts } from "../../certs/generate.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { AlertDescription, alertName } from "../../src/tls/alert.ts";
import type { FailureName } from "../../src/tls/failures.ts";
import type { TlsEvent } from "../../src/tls/events.ts";
import { serverConfig } from "../../src/tls/server/server_config.ts";
import { ServerConnection } from "../../src/tls/server/server_connection.ts";
import { encodeClientHello } from "../../src/tls/wire/client_hello.ts";
import { ExtensionType as X, HandshakeType, NamedGroup, SignatureScheme } from "../../src/tls/wire/constants.ts";
import type { Extension } from "../../src/tls/wire/extensions/extension_list.ts";
import { encodeClientKeyShares } from "../../src/tls/wire/extensions/key_share.ts";
import { encodeSignatureSchemes } from "../../src/tls/wire/extensions/signature_algorithms.ts";
import { encodeSupportedGroups } from "../../src/tls/wire/extensions/supported_groups.ts";
import { encodeSupportedVersionsList } from "../../src/tls/wire/extensions/supported_versions.ts";
import { encodeHandshake } from "../../src/tls/wire/handshake.ts";
import { loadCertifiedKey } from "../../src/io/pki_files.ts";

const certs = await ensureDevCerts();
const certificate = await loadCertifiedKey(
  { cert: { path: certs.server["ecdsa-p256"].cert }, key: { path: certs.server["ecdsa-p256"].key } },
  nobleProvider,
);
const config = serverConfig({ provider: nobleProvider, certificates: [certificate] });

const share = nobleProvider.keyExchange("x25519").generate();

function baseExtensions(): Extension[] {
  return [
    { type: X.supported_versions, data: encodeSupportedVersionsList([0x0304]) },
    { type: X.supported_groups, data: encodeSupportedGroups([NamedGroup.x25519, NamedGroup.secp256r1]) },
    { type: X.key_share, data: encodeClientKeyShares([{ group: NamedGroup.x25519, keyExchange: share.publicKey }]) },
    { type: X.signature_algorithms, data: encodeSignatureSchemes([SignatureScheme.ecdsa_secp256r1_sha256]) },
  ];
}

interface HelloParts {
  legacyVersion?: number;
  cipherSuites?: number[];
  compression?: number[];
  extensions?: Extension[];
}

function clientHello(p: HelloParts = {}): Uint8Array {
  return encodeHandshake(
    HandshakeType.client_hello,
    encodeClientHello({
      legacyVersion: p.legacyVersion ?? 0x0303,
      random: new Uint8Array(32).fill(7),
      legacySessionId: new Uint8Array(32).fill(9),
      cipherSuites: p.cipherSuites ?? [0x1301],
      legacyCompressionMethods: Uint8Array.from(p.compression ?? [0]),
      extensions: p.extensions ?? baseExtensions(),
    }),
  );
}

function record(type: number, body: Uint8Array, version = 0x0303): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out.set([type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff]);
  out.set(body, 5);
  return out;
}

const handshakeRecord = (msg: Uint8Array) => record(22, msg, 0x0301);

async function feed(...chunks: Uint8Array[]): Promise<{ conn: ServerConnection; events: TlsEvent[]; out: Uint8Array }> {
  const conn = new ServerConnection(config);
  const events: TlsEvent[] = [];
  for (const c of chunks) events.push(...await conn.receive(c));
  return { conn, events, out: conn.takeOutput() };
}

/** Asserts that the connection failed with `alert` for the rule `rule` (failures.ts), sent by us. */
function assertAlert(
  r: { events: TlsEvent[]; out: Uint8Array; conn: ServerConnection },
  alert: keyof typeof AlertDescription,
  rule: FailureName,
) {
  const failed = r.events.find((e) => e.type === "failed");
  assert.ok(failed && failed.type === "failed", `expected ${alert}, got events ${JSON.stringify(r.events)}`);
  assert.equal(alertName(failed.alert.description), alert, failed.alert.message);
  assert.equal(failed.alert.failure, rule, failed.alert.message);
  assert.equal(failed.alert.source, "local");
  assert.ok(r.conn.isClosed);
}

/** Asserts that the server answered with a plaintext fatal alert only: nothing was sent before refusing. */
function assertOnlyPlaintextAlert(out: Uint8Array, alert: keyof typeof AlertDescription) {
  assert.deepEqual(Array.from(out), [21, 3, 3, 0, 2, 2, AlertDescription[alert]]);
}

Deno.test("a well-formed ClientHello gets a ServerHello (the baseline the other cases break)", async () => {
  const r = await feed(handshakeRecord(clientHello()));
  assert.equal(r.events.length, 0);
  assert.equal(r.out[0], 22); // ServerHello record
  assert.equal(r.out[5], HandshakeType.server_hello);
});

Deno.test("a client without supported_versions (TLS 1.2 and below) gets protocol_version", async () => {
  const r = await feed(handshakeRecord(clientHello({ extensions: baseExtensions().slice(1) })));
  assertAlert(r, "protocol_version", "client_hello_without_tls13");
  assertOnlyPlaintextAlert(r.out, "protocol_version");
});

Deno.test("supported_versions without TLS 1.3 gets protocol_version", async () => {
  const ext = baseExtensions();
  ext[0] = { type: X.supported_versions, data: encodeSupportedVersionsList([0x0303, 0x0302]) };
  assertAlert(
    await feed(handshakeRecord(clientHello({ extensions: ext }))),
    "protocol_version",
    "client_hello_without_tls13",
  );
});

Deno.test("legacy_version other than 0x0303 is refused", async () => {
  assertAlert(
    await feed(handshakeRecord(clientHello({ legacyVersion: 0x0301 }))),
    "protocol_version",
    "client_hello_legacy_version",
  );
});

Deno.test("legacy_compression_methods other than [0] is illegal_parameter (RFC 8446 §4.1.2)", async () => {
  assertAlert(
    await feed(handshakeRecord(clientHello({ compression: [0, 1] }))),
    "illegal_parameter",
    "client_hello_compression",
  );
  assertAlert(
    await feed(handshakeRecord(clientHello({ compression: [1] }))),
    "illegal_parameter",
    "client_hello_compression",
  );
});

Deno.test("a duplicated extension is illegal_parameter (RFC 8446 §4.2)", async () => {
  const ext = baseExtensions();
  ext.push({ type: X.supported_groups, data: encodeSupportedGroups([NamedGroup.x25519]) });
  assertAlert(
    await feed(handshakeRecord(clientHello({ extensions: ext }))),
    "illegal_parameter",
    "extension_duplicate",
  );
});

Deno.test("a malformed vector inside an extension is decode_error", async () => {
  const ext = baseExtensions();
  ext.push({ type: X.application_layer_protocol_negotiation, data: Uint8Array.of(0, 9, 2, 104) }); // claims 9 bytes
  assertAlert(await feed(handshakeRecord(clientHello({ extensions: ext }))), "decode_error", "decode_truncated");
  const odd = baseExtensions();
  odd[1] = { type: X.supported_groups, data: Uint8Array.of(0, 3, 0, 0x1d, 0) };
  assertAlert(await feed(handshakeRecord(clientHello({ extensions: odd }))), "decode_error", "decode_odd_list");
});

Deno.test("trailing bytes after the extensions are decode_error", async () => {
  const hello = clientHello();
  const padded = new Uint8Array(hello.length + 1);
  padded.set(hello);
  padded[3] += 1; // length covers the extra byte
  assertAlert(await feed(handshakeRecord(padded)), "decode_error", "decode_trailing_bytes");
});

Deno.test("pre_shared_key that is not the last extension is illegal_parameter (RFC 8446 §4.2.11)", async () => {
  const ext = baseExtensions();
  const psk = Uint8Array.of(0, 7, 0, 1, 0xaa, 0, 0, 0, 0, 0, 33, 32, ...new Uint8Array(32));
  ext.splice(1, 0, { type: X.pre_shared_key, data: psk });
  assertAlert(
    await feed(handshakeRecord(clientHello({ extensions: ext }))),
    "illegal_parameter",
    "pre_shared_key_not_last",
  );
});

Deno.test("missing key_share or signature_algorithms is missing_extension (RFC 8446 §9.2)", async () => {
  assertAlert(
    await feed(handshakeRecord(clientHello({ extensions: baseExtensions().filter((e) => e.type !== X.key_share) }))),
    "missing_extension",
    "extension_missing",
  );
  assertAlert(
    await feed(
      handshakeRecord(clientHello({ extensions: baseExtensions().filter((e) => e.type !== X.signature_algorithms) })),
    ),
    "missing_extension",
    "extension_missing",
  );
});

Deno.test("no cipher suite in common is handshake_failure, GREASE suites and extensions are ignored", async () => {
  assertAlert(
    await feed(handshakeRecord(clientHello({ cipherSuites: [0x1304, 0x00ff] }))),
    "handshake_failure",
    "no_common_cipher_suite",
  );
  const ext = [{ type: 0x1a1a, data: new Uint8Array(0) }, ...baseExtensions(), {
    type: 0xfafa,
    data: Uint8Array.of(1),
  }];
  const r = await feed(handshakeRecord(clientHello({ cipherSuites: [0x0a0a, 0x1301], extensions: ext })));
  assert.equal(r.events.length, 0);
  assert.equal(r.out[5], HandshakeType.server_hello);
});

Deno.test("only signature schemes we cannot use: refused before ServerHello with handshake_failure", async () => {
  const ext = baseExtensions();
  ext[3] = {
    type: X.signature_algorithms,
    data: encodeSignatureSchemes([SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.ed448]),
  };
  const r = await feed(handshakeRecord(clientHello({ extensions: ext })));
  assertAlert(r, "handshake_failure", "no_certificate_for_schemes");
  assertOnlyPlaintextAlert(r.out, "handshake_failure");
});

Deno.test("a key share for a group not in supported_groups is illegal_parameter (RFC 8446 §4.2.8)", async () => {
  const ext = baseExtensions();
  ext[1] = { type: X.supported_groups, data: encodeSupportedGroups([NamedGroup.secp256r1]) };
  assertAlert(
    await feed(handshakeRecord(clientHello({ extensions: ext }))),
    "illegal_parameter",
    "key_share_unsupported_group",
  );
});

Deno.test("an invalid x25519 share (all zeros) is illegal_parameter", async () => {
  const ext = baseExtensions();
  ext[2] = {
    type: X.key_share,
    data: encodeClientKeyShares([{ group: NamedGroup.x25519, keyExchange: new Uint8Array(32) }]),
  };
  const r = await feed(handshakeRecord(clientHello({ extensions: ext })));
  assert.equal(r.events.length, 1);
  const failed = r.events[0];
  assert.ok(failed.type === "failed" && failed.alert.alertName === "illegal_parameter", JSON.stringify(failed));
  // The crypto layer judges the share; whether it says so with its own error or (before src/crypto throws
  // CryptoError) with an alert of its own, the rule is the share's.
  assert.ok(["shared_secret_invalid", "key_share_invalid", null].includes(failed.alert.failure));
});

Deno.test("a plaintext record over 2^14 bytes is record_overflow, judged from the header alone", async () => {
  const r = await feed(Uint8Array.of(22, 3, 1, 0x40, 0x01));
  assertAlert(r, "record_overflow", "record_overflow");
});

Deno.test("an unknown record content type is unexpected_message; a bad record version is decode_error", async () => {
  assertAlert(await feed(Uint8Array.of(99, 3, 3, 0, 1, 0)), "unexpected_message", "record_type_unknown");
  assertAlert(await feed(Uint8Array.of(22, 2, 0, 0, 1, 1)), "decode_error", "record_version_invalid");
});

Deno.test("change_cipher_spec before any ClientHello, or not 0x01, is unexpected_message (RFC 8446 §5)", async () => {
  assertAlert(await feed(record(20, Uint8Array.of(1))), "unexpected_message", "change_cipher_spec_unexpected");
  assertAlert(
    await feed(handshakeRecord(clientHello()), record(20, Uint8Array.of(2))),
    "unexpected_message",
    "change_cipher_spec_malformed",
  );
  const ok = await feed(handshakeRecord(clientHello()), record(20, Uint8Array.of(1)));
  assert.equal(ok.events.length, 0, "a single 0x01 after the ClientHello is dropped");
});

Deno.test("application data before the handshake is unexpected_message", async () => {
  assertAlert(await feed(record(23, Uint8Array.of(1, 2, 3))), "unexpected_message", "application_data_too_early");
});

Deno.test("an empty handshake record, and a zero-length alert record (as OpenSSL), are unexpected_message", async () => {
  assertAlert(await feed(record(22, new Uint8Array(0))), "unexpected_message", "empty_handshake_record");
  assertAlert(await feed(record(21, new Uint8Array(0))), "unexpected_message", "empty_alert_record");
});

Deno.test("a ClientHello fragmented into 1-byte records, and one split across TCP reads, both work", async () => {
  const hello = clientHello();
  const r = await feed(...Array.from(hello, (b) => record(22, Uint8Array.of(b))));
  assert.equal(r.events.length, 0);
  assert.equal(r.out[5], HandshakeType.server_hello);
  const whole = handshakeRecord(hello);
  const r2 = await feed(...Array.from(whole, (b) => Uint8Array.of(b)));
  assert.equal(r2.out[5], HandshakeType.server_hello);
});

Deno.test("a 40 KiB ClientHello (long padding, many unknown extensions) over several records is handled", async () => {
  const ext = baseExtensions();
  for (let i = 0; i < 200; i++) ext.push({ type: 0x7000 + i, data: new Uint8Array(20) });
  ext.push({ type: X.padding, data: new Uint8Array(36 * 1024) });
  const hello = clientHello({ extensions: ext });
  assert.ok(hello.length > 40 * 1024);
  const records: Uint8Array[] = [];
  for (let o = 0; o < hello.length; o += 16384) records.push(record(22, hello.subarray(o, o + 16384)));
  const r = await feed(...records);
  assert.equal(r.events.length, 0);
  assert.equal(r.out[5], HandshakeType.server_hello);
});

Deno.test("a ClientHello over the configured limit is refused before it is buffered", async () => {
  const small = new ServerConnection(
    serverConfig({ provider: nobleProvider, certificates: [certificate], maxHandshakeMessageSize: 1024 }),
  );
  const ext = baseExtensions();
  ext.push({ type: X.padding, data: new Uint8Array(2000) });
  const events = await small.receive(handshakeRecord(clientHello({ extensions: ext })));
  const failed = events.find((e) => e.type === "failed");
  assert.ok(failed?.type === "failed" && failed.alert.description !== AlertDescription.internal_error);
});

Deno.test("a ClientHello after the handshake started is unexpected_message", async () => {
  const hello = handshakeRecord(clientHello());
  const r = await feed(hello, hello);
  assertAlert(r, "unexpected_message", "unprotected_after_keys");
});

Deno.test("HelloRetryRequest: a second ClientHello that differs from the first is illegal_parameter", async () => {
  const conn = new ServerConnection(
    serverConfig({ provider: nobleProvider, certificates: [certificate], groups: ["secp256r1"] }),
  );
  await conn.receive(handshakeRecord(clientHello()));
  const hrr = conn.takeOutput();
  assert.equal(hrr[5], HandshakeType.server_hello);
  // Pull the cookie out of the HelloRetryRequest: it is the cookie extension's body.
  const idx = findExtension(hrr.subarray(5), X.cookie);
  const cookie = hrr.subarray(5 + idx + 4, 5 + idx + 4 + ((hrr[5 + idx + 2] << 8) | hrr[5 + idx + 3]));
  const p256 = nobleProvider.keyExchange("secp256r1").generate();
  const ext = baseExtensions();
  ext[2] = {
    type: X.key_share,
    data: encodeClientKeyShares([{ group: NamedGroup.secp256r1, keyExchange: p256.publicKey }]),
  };
  ext.push({ type: X.cookie, data: cookie });
  // Changing the offered suites makes it a different ClientHello.
  const events = await conn.receive(handshakeRecord(clientHello({ extensions: ext, cipherSuites: [0x1301, 0x1302] })));
  const failed = events.find((e) => e.type === "failed");
  assert.ok(failed?.type === "failed");
  assert.equal(alertName(failed.alert.description), "illegal_parameter");
  assert.equal(failed.alert.failure, "retry_hello_changed");
});

Deno.test("HelloRetryRequest: a forged cookie is illegal_parameter; a missing one is missing_extension", async () => {
  const ext = baseExtensions();
  ext.push({ type: X.cookie, data: Uint8Array.of(0, 40, ...new Uint8Array(40)) });
  assertAlert(
    await feed(handshakeRecord(clientHello({ extensions: ext }))),
    "illegal_parameter",
    "retry_cookie_invalid",
  );
  const conn = new ServerConnection(
    serverConfig({ provider: nobleProvider, certificates: [certificate], groups: ["secp256r1"] }),
  );
  await conn.receive(handshakeRecord(clientHello()));
  const events = await conn.receive(handshakeRecord(clientHello()));
  const failed = events.find((e) => e.type === "failed");
  assert.ok(failed?.type === "failed" && alertName(failed.alert.description) === "missing_extension");
  assert.equal(failed.alert.failure, "retry_cookie_missing");
});

/** Offset (within a ServerHello handshake message) of the extension `type`. */
function findExtension(msg: Uint8Array, type: number): number {
  let o = 4 + 2 + 32;
  o += 1 + msg[o]; // session id
  o += 2 + 1 + 2; // suite, compression, extensions length
  while (o < msg.length) {
    const t = (msg[o] << 8) | msg[o + 1];
    if (t === type) return o;
    o += 4 + ((msg[o + 2] << 8) | msg[o + 3]);
  }
  throw new Error("extension not found");
}

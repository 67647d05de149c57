/**
 * The failure table (src/tls/failures.ts): every rule names a real alert and its RFC; the crypto layer's errors
 * come out as the rule of their code; anything unnamed is internal_error; and misuse of the API is a
 * TlsUsageError that sends nothing and leaves the connection as it was.
 */
import assert from "node:assert/strict";
import { CryptoError, type CryptoErrorCode } from "../../src/crypto/errors.ts";
import { AlertDescription, TlsAlert } from "../../src/tls/alert.ts";
import { alertFor, failure, failures } from "../../src/tls/failures.ts";
import { TlsUsageError } from "../../src/tls/usage_error.ts";
import { devPair } from "../_support/memory_pair.ts";

Deno.test("failures: every rule names an alert of RFC 8446 §6 and the section it enforces", () => {
  const names = Object.keys(failures);
  assert.ok(names.length > 50, `${names.length} rules`);
  for (const [name, rule] of Object.entries(failures)) {
    assert.ok(rule.alert in AlertDescription, `${name}: ${rule.alert}`);
    assert.match(rule.rfc, /^(§|RFC \d+ §)\d/, `${name}: ${rule.rfc}`);
  }
});

Deno.test("failures: failure(name) is a local TlsAlert carrying the rule, its alert and the detail", () => {
  const alert = failure("finished_invalid", "client Finished does not verify");
  assert.ok(alert instanceof TlsAlert);
  assert.equal(alert.alertName, "decrypt_error");
  assert.equal(alert.failure, "finished_invalid");
  assert.equal(alert.source, "local");
  assert.match(alert.message, /decrypt_error: client Finished does not verify/);
});

Deno.test("failures: each CryptoError code maps to one rule and the alert the RFC names", () => {
  const expected: Record<CryptoErrorCode, [string, string]> = {
    invalid_key_share: ["key_share_invalid", "illegal_parameter"],
    invalid_shared_secret: ["shared_secret_invalid", "illegal_parameter"],
    invalid_public_key: ["public_key_invalid", "illegal_parameter"],
    unsupported_scheme: ["signature_scheme_unsupported", "illegal_parameter"],
    malformed_der: ["der_malformed", "decode_error"],
    key_cannot_sign: ["signing_key_unusable", "internal_error"],
  };
  for (const [code, [rule, alert]] of Object.entries(expected)) {
    const mapped = alertFor(new CryptoError(code as CryptoErrorCode, `a ${code}`));
    assert.equal(mapped.failure, rule, code);
    assert.equal(mapped.alertName, alert, code);
    assert.match(mapped.message, new RegExp(`a ${code}`));
  }
});

Deno.test("failures: an alert passes through alertFor unchanged; anything else is the internal rule", () => {
  const alert = failure("bad_record_mac");
  assert.equal(alertFor(alert), alert);
  const bug = alertFor(new RangeError("index out of range"));
  assert.equal(bug.failure, "internal");
  assert.equal(bug.alertName, "internal_error");
  assert.equal(alertFor("a string").failure, "internal");
});

Deno.test("usage errors: send, KeyUpdate, tickets and the exporter before the handshake send nothing", async () => {
  const pair = await devPair();
  const before = pair.server.takeOutput();
  assert.equal(before.length, 0);
  const misuse = [
    ["cannot_send", () => pair.server.send(Uint8Array.of(1))],
    ["handshake_incomplete", () => pair.server.updateKeys(false)],
    ["tickets_disabled", () => pair.server.sendTickets(1)],
    ["post_handshake_auth_unavailable", () => pair.server.requestClientCertificate()],
    ["handshake_incomplete", () => pair.client.exportKeyingMaterial("label", new Uint8Array(0), 16)],
  ] as const;
  for (const [code, call] of misuse) {
    assert.throws(call, (e) => e instanceof TlsUsageError && e.code === code && !(e instanceof TlsAlert));
  }
  assert.equal(pair.server.takeOutput().length, 0, "no alert went out");
  assert.ok(!pair.server.isClosed && !pair.client.isClosed);
  // The connection is untouched: the handshake still completes and data flows.
  await pair.handshake();
  pair.server.send(Uint8Array.of(7));
  await pair.pump();
  assert.deepEqual(pair.data("client"), Uint8Array.of(7));
  assert.equal(pair.failure("client"), null);
  assert.equal(pair.failure("server"), null);
});

Deno.test("usage errors: send after close() throws and sends nothing more", async () => {
  const pair = await devPair();
  await pair.handshake();
  pair.client.close();
  const closeNotify = pair.client.takeOutput();
  assert.ok(closeNotify.length > 0);
  assert.throws(
    () => pair.client.send(Uint8Array.of(1)),
    (e) => e instanceof TlsUsageError && e.code === "cannot_send",
  );
  assert.equal(pair.client.takeOutput().length, 0);
});

/**
 * Ticket sealing: tickets open on any node sharing the secret, survive one rotation, not two; tampered,
 * foreign and malformed tickets never open; the sealed state round-trips.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { decodeSessionState, encodeSessionState, type SessionState } from "../../src/tls/tickets/session_state.ts";
import { RotatingTicketKeys } from "../../src/tls/tickets/ticket_keys.ts";

const secret = new Uint8Array(32).fill(42);
const HOUR = 3600_000;
const state: SessionState = {
  cipherSuite: 0x1301,
  psk: new Uint8Array(32).fill(7),
  issuedAt: 1_750_000_000_123,
  lifetime: 3600,
  ageAdd: 0xdeadbeef,
  maxEarlyData: 16384,
  alpn: "http/1.1",
  serverName: "localhost",
  id: new Uint8Array(16).fill(1),
  clientCertificates: [new Uint8Array([1, 2, 3])],
};

Deno.test("session state round-trips through its encoding; garbage decodes to null", () => {
  assert.deepEqual(decodeSessionState(encodeSessionState(state)), state);
  assert.equal(decodeSessionState(new Uint8Array([9, 9, 9])), null);
  assert.equal(decodeSessionState(encodeSessionState(state).subarray(0, 20)), null);
});

Deno.test("a ticket opens on another node that shares the secret (a fleet), not on one that does not", () => {
  const a = new RotatingTicketKeys(nobleProvider, secret, 3600);
  const b = new RotatingTicketKeys(nobleProvider, secret.slice(), 3600);
  const other = new RotatingTicketKeys(nobleProvider, new Uint8Array(32).fill(1), 3600);
  const now = 10 * HOUR + 5;
  const ticket = a.seal(encodeSessionState(state), now);
  assert.deepEqual(decodeSessionState(b.open(ticket, now)!), state);
  assert.equal(other.open(ticket, now), null);
});

Deno.test("a ticket from before one rotation still opens; from two rotations ago it does not", () => {
  const keys = new RotatingTicketKeys(nobleProvider, secret, 3600);
  const issued = 10 * HOUR + 10;
  const ticket = keys.seal(encodeSessionState(state), issued);
  assert.ok(keys.open(ticket, issued + HOUR), "one rotation later");
  assert.equal(keys.open(ticket, issued + 2 * HOUR), null, "two rotations later");
  assert.equal(keys.open(ticket, issued - HOUR), null, "a ticket from the future");
});

Deno.test("every flipped bit of a ticket makes it not open", () => {
  const keys = new RotatingTicketKeys(nobleProvider, secret, 3600);
  const now = 5 * HOUR;
  const ticket = keys.seal(encodeSessionState(state), now);
  for (let i = 0; i < ticket.length; i++) {
    const bad = ticket.slice();
    bad[i] ^= 0x10;
    assert.equal(keys.open(bad, now), null, `byte ${i}`);
  }
  assert.equal(keys.open(ticket.subarray(0, 20), now), null);
  assert.equal(keys.open(new Uint8Array(0), now), null);
});

Deno.test("a short secret is refused", () => {
  assert.throws(() => new RotatingTicketKeys(nobleProvider, new Uint8Array(16), 3600), RangeError);
});

/**
 * The server's tickets (RFC 8446 §4.6.1), in memory against our client: sent with the server's flight, they are
 * made from the client Finished the server predicts, and that prediction is what the client's Finished is checked
 * against (a tampered one is still decrypt_error); a full handshake gets the configured count, a resumption one
 * ticket; and each offered ticket is decrypted once per ClientHello, however often the server looks at it.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { ClientSession } from "../../src/tls/client/session.ts";
import { ClientConnection } from "../../src/tls/client/client_connection.ts";
import type { TicketConfig } from "../../src/tls/server/server_config.ts";
import { MemoryReplayStore } from "../../src/tls/tickets/memory_replay_store.ts";
import { RotatingTicketKeys, type TicketSealer } from "../../src/tls/tickets/ticket_keys.ts";
import { devClient, devServer, MemoryPair, tamperClientFinished, type Tap } from "../_support/memory_pair.ts";

/** A sealer that counts how often a ticket is opened. */
class CountingSealer implements TicketSealer {
  opens = 0;
  private readonly inner = new RotatingTicketKeys(nobleProvider, nobleProvider.randomBytes(32), 3600);
  seal(state: Uint8Array, nowMs: number, nonce?: Uint8Array): Uint8Array {
    return this.inner.seal(state, nowMs, nonce);
  }
  open(ticket: Uint8Array, nowMs: number): Uint8Array | null {
    this.opens++;
    return this.inner.open(ticket, nowMs);
  }
}

function tickets(sealer: TicketSealer, withServerFlight: boolean, count = 2): TicketConfig {
  return {
    sealer,
    lifetime: 3600,
    count,
    maxEarlyDataSize: 0,
    freshnessWindow: 10_000,
    replayStore: new MemoryReplayStore(),
    singleUse: false,
    allowPskKe: false,
    withServerFlight,
  };
}

/** One connection, offering `session` if given; returns the pair and the sessions its tickets made. */
async function connect(t: TicketConfig, session?: ClientSession, tap?: Tap) {
  const sessions: ClientSession[] = [];
  const client = new ClientConnection((await devClient()).config, { session, onSession: (s) => sessions.push(s) });
  const pair = new MemoryPair(client, await devServer({ tickets: t }), { tap });
  return { pair, sessions };
}

for (const withServerFlight of [true, false]) {
  const when = withServerFlight ? "with the server's flight" : "after the client Finished";
  Deno.test(`memory: tickets ${when}: two after a full handshake, one after a resumption, and they resume`, async () => {
    const t = tickets(new CountingSealer(), withServerFlight);
    const full = await connect(t);
    await full.pair.handshake();
    assert.equal(full.pair.server.info!.resumed, false);
    assert.equal(full.sessions.length, 2);
    // With the flight, the tickets leave in the server's first flight, before the client's Finished arrives.
    const ticketsInFirstFlight = full.pair.wire.findIndex((f) => f.from === "client") === 0 &&
      full.pair.wire.filter((f) => f.from === "server").length === 1;
    assert.equal(ticketsInFirstFlight, withServerFlight);
    for (const session of full.sessions) {
      const again = await connect(t, session);
      await again.pair.handshake();
      assert.equal(again.pair.server.info!.resumed, true);
      assert.equal(again.pair.client.info!.resumed, true);
      assert.equal(again.sessions.length, 1, "one ticket replaces the one used");
      // That ticket resumes as well: its PSK came from the same resumption master secret on both sides.
      const third = await connect(t, again.sessions[0]);
      await third.pair.handshake();
      assert.equal(third.pair.server.info!.resumed, true);
    }
  });
}

Deno.test("memory: tickets sent with the flight: a tampered client Finished is still decrypt_error", async () => {
  const log: string[] = [];
  const sessions: ClientSession[] = [];
  const client = new ClientConnection((await devClient({ keyLog: (l) => log.push(l) })).config, {
    onSession: (s) => sessions.push(s),
  });
  const tap = tamperClientFinished(log);
  const pair = new MemoryPair(client, await devServer({ tickets: tickets(new CountingSealer(), true) }), { tap });
  await pair.pump();
  assert.equal(sessions.length, 2, "the tickets went out with the flight");
  const failure = pair.failure("server");
  assert.ok(failure, "the server refuses the Finished");
  assert.equal(failure.alertName, "decrypt_error");
  assert.equal(failure.failure, "finished_invalid");
  assert.equal(pair.server.isHandshakeComplete, false);
});

Deno.test("memory: a ClientHello's offered ticket is decrypted once (suite choice and binder check share it)", async () => {
  const sealer = new CountingSealer();
  const t = tickets(sealer, true);
  const full = await connect(t);
  await full.pair.handshake();
  assert.equal(sealer.opens, 0);
  const again = await connect(t, full.sessions[0]);
  await again.pair.handshake();
  assert.equal(again.pair.server.info!.resumed, true);
  assert.equal(sealer.opens, 1);
});

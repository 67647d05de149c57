/**
 * How WebSocket connections end, with the server (tests/fixtures/ws_server.ts, idle timeout 1 s, close timeout 1 s)
 * on Deno, Bun and Node and a raw client over our TLS (tests/_support/ws_raw.ts):
 * - a silent client gets a Ping, then a Close with 1001, and, if it answers neither, a closed connection;
 * - a client that answers the pings stays connected past the idle timeout;
 * - a server Close left unanswered ends in a dropped connection (`close_timeout`, 1006);
 * - a graceful shutdown closes open sockets with 1001 and waits for their close handshake;
 * - an upgrade request sent as 0-RTT early data gets 425 Too Early (RFC 8470 §5.2), no socket.
 * Order of events is asserted, not their timing.
 */
import assert from "node:assert/strict";
import { ClientSessionCache } from "../../src/tls/client/session_cache.ts";
import { Opcode } from "../../src/ws/frame.ts";
import { needs } from "../_support/peers.ts";
import { type Child, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";
import { clientClose, clientFrame, RawWebSocket, upgradeRequest } from "../_support/ws_raw.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
// Pings go out at half the idle timeout; 2 s leaves a pong a whole second on a busy machine.
const options = { idleTimeout: 2000, closeTimeout: 1000 };

/** The idle timeout, answered and not, and a server Close left unanswered. */
async function timeoutSteps(t: Deno.TestContext, child: Child, port: number): Promise<void> {
  await t.step("a silent client: a Ping, then Close 1001, then (unanswered) the connection ends", async () => {
    const { ws } = await RawWebSocket.open(port, upgradeRequest("/echo"));
    const ping = await ws.frame();
    assert.equal(ping?.opcode, Opcode.ping);
    const close = await ws.closeCode();
    assert.deepEqual([close?.code, close?.reason, close?.before.length], [1001, "idle timeout", 0]);
    assert.equal(await ws.ended(), true);
    await child.waitFor(/^EVENT \/echo error close_timeout$/);
    await child.waitFor(/^EVENT \/echo close 1006 false/);
    await ws.close();
  });

  await t.step("a client that answers the pings stays open past the idle timeout", async () => {
    const { ws } = await RawWebSocket.open(port, upgradeRequest("/echo"));
    // Three pings at half the idle timeout apart: 1.5 timeouts of quiet on our side, answered each time.
    for (let i = 0; i < 3; i++) {
      const ping = await ws.frame();
      assert.equal(ping?.opcode, Opcode.ping, `ping ${i}`);
      await ws.send(clientFrame(Opcode.pong, ping!.payload));
    }
    await ws.send(clientFrame(Opcode.text, "still here"));
    let echoed = await ws.frame();
    while (echoed?.opcode === Opcode.ping) echoed = await ws.frame();
    assert.deepEqual([echoed?.opcode, dec.decode(echoed!.payload)], [Opcode.text, "still here"]);
    await ws.send(clientClose(1000));
    assert.equal((await ws.closeCode())?.code, 1000);
    await ws.close();
  });

  await t.step("a server Close that the client never answers drops the connection", async () => {
    const from = child.lines.length;
    const { ws } = await RawWebSocket.open(port, upgradeRequest("/close"));
    await ws.send(clientFrame(Opcode.text, "4003 going"));
    assert.equal((await ws.closeCode())?.code, 4003);
    assert.equal(await ws.ended(), true);
    await child.waitFor(/^EVENT \/close close 1006 false/);
    assert.match(child.lines.slice(from).join("\n"), /EVENT \/close error close_timeout/);
    await ws.close();
  });
}

/** 0-RTT refused, then the server shutting down (last: the fixture exits). */
async function endingSteps(t: Deno.TestContext, child: Child, port: number): Promise<void> {
  await t.step("an upgrade request in 0-RTT early data gets 425 Too Early", async () => {
    const sessionCache = new ClientSessionCache();
    const first = await RawWebSocket.open(port, upgradeRequest("/echo"), { sessionCache });
    assert.equal(first.status, 101);
    await first.ws.send(clientClose(1000));
    await first.ws.closeCode();
    await first.ws.close();
    const earlyData = enc.encode(upgradeRequest("/echo"));
    const from = child.lines.length;
    const early = await RawWebSocket.open(port, "", { sessionCache, earlyData });
    assert.equal(early.ws.tls.info.earlyDataAccepted, true, "the request did arrive as 0-RTT");
    assert.equal(early.status, 425, early.head);
    await early.ws.close();
    assert.doesNotMatch(child.lines.slice(from).join("\n"), /EVENT \/echo open/);
  });

  await t.step("graceful shutdown closes open sockets with 1001 and waits for their answer", async () => {
    const { ws } = await RawWebSocket.open(port, upgradeRequest("/echo"));
    await ws.send(clientFrame(Opcode.text, "before"));
    assert.equal(dec.decode((await ws.frame())!.payload), "before");
    const control = await RawWebSocket.open(
      port,
      "POST /__shutdown HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n",
    );
    assert.equal(control.status, 200);
    const close = await ws.closeCode();
    assert.deepEqual([close?.code, close?.reason], [1001, "shutdown"]);
    await ws.send(clientClose(1001));
    assert.equal(await ws.ended(), true);
    await child.waitFor(/^EVENT \/echo close 1001 true/);
    await child.waitFor(/^SHUTDOWN done$/);
    await Promise.all([ws.close(), control.ws.close()]);
  });
}

for (const runtime of runtimes) {
  Deno.test({
    name: `WebSocket idle and close timeouts, shutdown and 0-RTT, server on ${runtime}`,
    ...needs(runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "ws_server.ts", [JSON.stringify(options)]);
      try {
        await timeoutSteps(t, child, port);
        await endingSteps(t, child, port);
      } finally {
        await child.stop();
      }
      assert.doesNotMatch(child.lines.join("\n"), /^ERROR /m);
    },
  });
}

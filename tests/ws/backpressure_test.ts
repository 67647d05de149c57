/**
 * Backpressure and bounded memory, with the server (tests/fixtures/ws_server.ts) on Deno, Bun and Node and a raw
 * client over our TLS (tests/_support/ws_raw.ts) that never reads what the server sends:
 * - an app pushing 256 KiB messages to it is stopped: once `maxBufferedAmount` (4 MiB here) waits for the peer,
 *   the next `send()` drops the connection (1006, `backpressure_limit`), and the most ever queued stays within
 *   that limit plus one message;
 * - a client sending 64 KiB messages to the echo route without reading the echoes is held back: the server stops
 *   reading while its answers wait, so the client's writes stall long before the 256 MiB it would send, and the
 *   server's queue never holds more than its high-water mark and one message.
 * The sizes are the claim; no assertion is about speed (a write that waits 3 s counts as stalled).
 */
import assert from "node:assert/strict";
import { Opcode } from "../../src/ws/frame.ts";
import { needs } from "../_support/peers.ts";
import { type Child, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";
import { clientFrame, RawWebSocket, upgradeRequest } from "../_support/ws_raw.ts";

const maxBufferedAmount = 4 * 1024 * 1024;
const pushed = 256 * 1024;

/** The number after `peak=` on the fixture's first line matching `re` (waiting for it). */
async function peakOf(child: Child, re: RegExp): Promise<number> {
  const m = await child.waitFor(re, 30_000);
  return Number(m[0].match(/peak=(\d+)/)![1]);
}

for (const runtime of runtimes) {
  Deno.test({
    name: `a WebSocket peer that does not read stops the server's writes, not its memory, on ${runtime}`,
    ...needs(runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "ws_server.ts", [JSON.stringify({ maxBufferedAmount })]);
      try {
        await t.step("an app pushing to a peer that never reads is cut off at maxBufferedAmount", async () => {
          const { status, ws } = await RawWebSocket.open(port, upgradeRequest("/push"));
          assert.equal(status, 101);
          await child.waitFor(/^EVENT \/push error backpressure_limit$/, 30_000);
          await child.waitFor(/^EVENT \/push close 1006 false/, 30_000);
          const peak = await peakOf(child, /^EVENT \/push pushed peak=\d+$/);
          assert.ok(peak > maxBufferedAmount, `the limit was reached (${peak})`);
          assert.ok(peak <= maxBufferedAmount + pushed + 14, `at most the limit and one message queued: ${peak}`);
          // What the kernel buffered still arrives, then the end of the connection.
          assert.equal(await ws.ended(30_000), true);
          await ws.close();
        });

        await t.step("a client that sends without reading the echoes is stalled by TCP", async () => {
          const { ws } = await RawWebSocket.open(port, upgradeRequest("/echo"));
          const message = clientFrame(Opcode.binary, new Uint8Array(64 * 1024));
          let sent = 0;
          for (; sent < 4096; sent++) {
            let timer: ReturnType<typeof setTimeout> | undefined;
            const stalled = new Promise<"stalled">((r) => (timer = setTimeout(() => r("stalled"), 3000)));
            const outcome = await Promise.race([ws.send(message).then(() => "sent" as const), stalled]);
            clearTimeout(timer);
            if (outcome === "stalled") break;
          }
          assert.ok(sent < 4096, "the writes stalled before 256 MiB went out");
          assert.ok(sent > 2, `the server did read and echo for a while (${sent} messages went out)`);
          await ws.close();
          const peak = await peakOf(child, /^EVENT \/echo close 1006 false peak=\d+$/);
          assert.ok(peak <= 64 * 1024 + message.length + 64 * 1024, `the echo queue stayed small: ${peak} bytes`);
        });
      } finally {
        await child.stop();
      }
      assert.doesNotMatch(child.lines.join("\n"), /^ERROR /m);
    },
  });
}

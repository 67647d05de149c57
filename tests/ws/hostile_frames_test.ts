/**
 * The WebSocket server (tests/fixtures/ws_server.ts) under Deno, Bun and Node, talked to with exact bytes over our
 * own TLS client (tests/_support/ws_raw.ts): the opening handshake of RFC 6455 §4.2 (the accept key, subprotocol
 * selection, no extensions, 400 and 426 for bad requests, HTTP/1.0 refused), frames sent in the same write as the
 * upgrade request, ping/pong, fragmented messages, the close handshake, and each hostile frame the issue names,
 * which must get the close code RFC 6455 names and then a closed connection, with the server reporting why.
 */
import assert from "node:assert/strict";
import { Opcode } from "../../src/ws/frame.ts";
import { needs } from "../_support/peers.ts";
import { type Child, startFixture } from "../_support/processes.ts";
import { runtimes } from "../_support/runtimes.ts";
import { clientClose, clientFrame, RawWebSocket, upgradeRequest } from "../_support/ws_raw.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const maxMessageSize = 64 * 1024;

/** Waits for the fixture's line about `what` on `path` (e.g. "error unmasked_frame") after line `from`. */
async function sawEvent(child: Child, from: number, path: string, what: string): Promise<void> {
  const line = `EVENT ${path} ${what}`;
  const deadline = Date.now() + 10_000;
  while (!child.lines.slice(from).some((l) => l.startsWith(line))) {
    if (Date.now() > deadline) throw new Error(`no "${line}" from the server:\n${child.lines.slice(from).join("\n")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function openEcho(port: number): Promise<RawWebSocket> {
  const { status, ws } = await RawWebSocket.open(port, upgradeRequest("/echo"));
  assert.equal(status, 101);
  return ws;
}

const hostile: [string, () => Uint8Array, number, string][] = [
  [
    "an unmasked frame",
    () => {
      const frame = clientFrame(Opcode.text, "hi");
      const unmasked = new Uint8Array([frame[0], frame[1] & 0x7f, ...enc.encode("hi")]);
      return unmasked;
    },
    1002,
    "unmasked_frame",
  ],
  ["RSV1 set (no extension was negotiated)", () => clientFrame(Opcode.text, "hi", true, 0x40), 1002, "reserved_bits"],
  ["reserved opcode 0x3", () => clientFrame(0x3, "hi"), 1002, "unknown_opcode"],
  ["a 126-byte ping", () => clientFrame(Opcode.ping, new Uint8Array(126)), 1002, "control_frame_too_long"],
  ["a fragmented ping", () => clientFrame(Opcode.ping, "x", false), 1002, "fragmented_control_frame"],
  ["a continuation with no message", () => clientFrame(Opcode.continuation, "x"), 1002, "unexpected_continuation"],
  ["invalid UTF-8 in text", () => clientFrame(Opcode.text, new Uint8Array([0x61, 0xc3, 0x28])), 1007, "invalid_utf8"],
  ["a Close with reserved code 1006", () => clientClose(1006), 1002, "bad_close_code"],
  [
    "the header of a message over maxMessageSize, with no payload sent",
    () => clientFrame(Opcode.binary, new Uint8Array(maxMessageSize + 1)).subarray(0, 14),
    1009,
    "message_too_big",
  ],
];

/** RFC 6455 §4.2: the 101, subprotocols, and the refusals. */
async function handshakeSteps(t: Deno.TestContext, port: number): Promise<void> {
  await t.step("§4.2.2: 101 with the accept key of §1.3, no extensions although deflate is offered", async () => {
    const request = upgradeRequest("/echo", { "sec-websocket-extensions": "permessage-deflate" });
    const { status, head, ws } = await RawWebSocket.open(port, request);
    assert.equal(status, 101, head);
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(head, /\r\nupgrade: websocket(\r\n|$)/i);
    assert.match(head, /\r\nconnection: Upgrade(\r\n|$)/i);
    assert.match(head, /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=(\r\n|$)/i);
    assert.doesNotMatch(head, /sec-websocket-extensions|content-length|transfer-encoding/i);
    await ws.close();
  });

  await t.step(
    "a response Hono copied still upgrades, with the middleware's fields; one replaced does not",
    async () => {
      const copied = await RawWebSocket.open(port, upgradeRequest("/copied"));
      assert.equal(copied.status, 101, copied.head);
      assert.match(copied.head, /\r\nx-before: 1\r\n/);
      assert.match(copied.head, /\r\nx-after: 2\r\n/);
      await copied.ws.send(clientFrame(Opcode.text, "through"));
      assert.equal(dec.decode((await copied.ws.frame())!.payload), "through");
      await copied.ws.close();
      const replaced = await RawWebSocket.open(port, upgradeRequest("/replaced"));
      assert.equal(replaced.status, 403, replaced.head);
      assert.equal(replaced.body, "refused after all\n");
      await replaced.ws.close();
    },
  );

  await t.step("§4.2.2: our preferred subprotocol among those offered; none when none matches", async () => {
    const offered = await RawWebSocket.open(
      port,
      upgradeRequest("/chat", { "sec-websocket-protocol": "x, chat.v1, chat.v2" }),
    );
    assert.match(offered.head, /\r\nsec-websocket-protocol: chat\.v2(\r\n|$)/i);
    await offered.ws.close();
    const other = await RawWebSocket.open(port, upgradeRequest("/chat", { "sec-websocket-protocol": "x" }));
    assert.equal(other.status, 101);
    assert.doesNotMatch(other.head, /sec-websocket-protocol/i);
    await other.ws.close();
  });

  await t.step(
    "§4.2.1 and §4.4: 400 and 426 for bad upgrade requests; a plain GET goes to the next handler",
    async () => {
      const cases: [string, number, RegExp?][] = [
        [upgradeRequest("/echo", { "sec-websocket-key": "" }), 400],
        [upgradeRequest("/echo", { "sec-websocket-key": "c2hvcnQ=" }), 400],
        [upgradeRequest("/echo", { connection: "keep-alive" }), 400],
        [upgradeRequest("/echo", { "sec-websocket-version": "8" }), 426, /\r\nsec-websocket-version: 13\r\n/i],
        [upgradeRequest("/echo", { "content-length": "5" }) + "hello", 400],
        [upgradeRequest("/echo", {}, "1.0"), 400],
        [upgradeRequest("/echo", { upgrade: "", connection: "" }), 426, /ask for an upgrade/],
      ];
      for (const [request, status, pattern] of cases) {
        const r = await RawWebSocket.open(port, request);
        assert.equal(r.status, status, `${request}\n${r.head}`);
        if (pattern) {
          assert.match(`${r.head}\r\n\r\n${r.body}`, pattern);
        }
        await r.ws.close();
      }
    },
  );
}

/** Pipelined frames, ping/pong, fragments, both close handshakes. */
async function framingSteps(t: Deno.TestContext, child: Child, port: number): Promise<void> {
  await t.step("frames sent in the same write as the upgrade request are read after the 101", async () => {
    const request = enc.encode(upgradeRequest("/echo"));
    const frame = clientFrame(Opcode.text, "early bird");
    const { status, ws } = await RawWebSocket.open(port, new Uint8Array([...request, ...frame]));
    assert.equal(status, 101);
    const echoed = await ws.frame();
    assert.equal(echoed?.opcode, Opcode.text);
    assert.equal(dec.decode(echoed!.payload), "early bird");
    await ws.close();
  });

  await t.step(
    "ping gets a pong with its data; a fragmented message with a ping inside comes back whole",
    async () => {
      const ws = await openEcho(port);
      await ws.send(clientFrame(Opcode.ping, "marco"));
      const pong = await ws.frame();
      assert.deepEqual([pong?.opcode, dec.decode(pong!.payload)], [Opcode.pong, "marco"]);
      const pieces = [
        clientFrame(Opcode.text, "frag", false),
        clientFrame(Opcode.ping, "1"),
        clientFrame(Opcode.continuation, "ment", false),
        clientFrame(Opcode.continuation, "ed ✓"),
      ];
      for (const piece of pieces) await ws.send(piece);
      const [first, second] = [await ws.frame(), await ws.frame()];
      assert.deepEqual([first?.opcode, dec.decode(first!.payload)], [Opcode.pong, "1"]);
      assert.deepEqual([second?.opcode, second?.fin, dec.decode(second!.payload)], [
        Opcode.text,
        true,
        "fragmented ✓",
      ]);
      await ws.close();
    },
  );

  await t.step(
    "§7.1: the client's Close is echoed with its code, then the server closes the connection",
    async () => {
      const ws = await openEcho(port);
      const from = child.lines.length;
      await ws.send(clientClose(4321, "bye"));
      const close = await ws.closeCode();
      assert.deepEqual([close?.code, close?.before.length], [4321, 0]);
      assert.equal(await ws.ended(), true);
      await sawEvent(child, from, "/echo", "close 4321 true");
      await ws.close();
    },
  );

  await t.step("a server-initiated close: code and reason as the app gave them, answered, then EOF", async () => {
    const from = child.lines.length;
    const { ws } = await RawWebSocket.open(port, upgradeRequest("/close"));
    await ws.send(clientFrame(Opcode.text, "4001 enough for today"));
    const close = await ws.closeCode();
    assert.deepEqual([close?.code, close?.reason], [4001, "enough for today"]);
    await ws.send(clientClose(4001));
    assert.equal(await ws.ended(), true);
    await sawEvent(child, from, "/close", "close 4001 true");
    await ws.close();
  });
}

/** Each hostile frame: its close code, then EOF, and the server says why. */
async function hostileSteps(t: Deno.TestContext, child: Child, port: number): Promise<void> {
  for (const [what, bytes, code, name] of hostile) {
    await t.step(`${what}: Close ${code}, then the connection is closed`, async () => {
      const ws = await openEcho(port);
      const from = child.lines.length;
      await ws.send(bytes());
      const close = await ws.closeCode();
      assert.equal(close?.code, code);
      assert.equal(await ws.ended(), true, "the server closes the TCP/TLS connection");
      await sawEvent(child, from, "/echo", `error ${name}`);
      await sawEvent(child, from, "/echo", `close ${code} false`);
      await ws.close();
    });
  }
}

for (const runtime of runtimes) {
  Deno.test({
    name: `WebSocket handshake, framing and hostile frames over raw TLS, server on ${runtime}`,
    ...needs(runtime === "node" ? "tsx" : runtime),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { child, port } = await startFixture(runtime, "ws_server.ts", [JSON.stringify({ maxMessageSize })]);
      try {
        await handshakeSteps(t, port);
        await framingSteps(t, child, port);
        await hostileSteps(t, child, port);
      } finally {
        await child.stop();
      }
      assert.doesNotMatch(child.lines.join("\n"), /^ERROR /m);
    },
  });
}

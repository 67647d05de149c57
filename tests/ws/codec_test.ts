/**
 * Claims about the sans-IO WebSocket codec (src/ws/): a client-role and a server-role connection pumped into
 * each other in memory, and exact bytes fed to a server-role connection, asserting events and wire bytes.
 * Every hostile frame of RFC 6455 gets the close code the RFC names, and nothing after it is read.
 */
import assert from "node:assert/strict";
import { WebSocketConnection, type WebSocketEvent } from "../../src/ws/connection.ts";
import { encodeFrame, Opcode } from "../../src/ws/frame.ts";
import { FrameDecoder } from "../../src/ws/frame_decoder.ts";
import { acceptKey, readUpgradeRequest, selectProtocol } from "../../src/ws/handshake.ts";
import { Utf8Validator } from "../../src/ws/utf8.ts";

const enc = new TextEncoder();
const mask = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const masked = (opcode: number, payload: Uint8Array | string, fin = true, rsv = 0) =>
  encodeFrame(opcode, typeof payload === "string" ? enc.encode(payload) : payload, { fin, mask, rsv });

/** Feeds `bytes` to a fresh server connection (in pieces of `step` bytes); returns its events and output. */
function serverSees(bytes: Uint8Array[], options: { maxMessageSize?: number; step?: number } = {}) {
  const server = new WebSocketConnection({ role: "server", maxMessageSize: options.maxMessageSize });
  const events: WebSocketEvent[] = [];
  const all = concat(bytes);
  const step = options.step ?? all.length;
  for (let i = 0; i < all.length; i += step) events.push(...server.receive(all.slice(i, i + step)));
  return { server, events, output: server.takeOutput() };
}

/** The frames a client would read from `output`: opcode and payload of each. */
function framesOf(output: Uint8Array): { opcode: number; payload: Uint8Array; fin: boolean }[] {
  const decoder = new FrameDecoder(false);
  decoder.feed(output.slice());
  const frames = [];
  let current: { opcode: number; payload: Uint8Array; fin: boolean } | null = null;
  for (let e = decoder.next(); e !== null; e = decoder.next()) {
    if (e.type === "header") current = { opcode: e.header.opcode, payload: new Uint8Array(0), fin: e.header.fin };
    else {
      current!.payload = concat([current!.payload, e.data]);
      if (e.end) frames.push(current!);
    }
  }
  return frames;
}

function closeCodeOf(output: Uint8Array): number {
  const frames = framesOf(output);
  assert.equal(frames.length, 1, "exactly one frame: the Close");
  assert.equal(frames[0].opcode, Opcode.close);
  return (frames[0].payload[0] << 8) | frames[0].payload[1];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) (out.set(p, offset), offset += p.length);
  return out;
}

Deno.test("RFC 6455 §1.3: the Sec-WebSocket-Accept of the RFC's sample key", () => {
  assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("RFC 6455 §5.7: the RFC's sample frames decode on a client, and masked ones on a server", () => {
  // "Hello", unmasked (server to client), and masked with 37 fa 21 3d (client to server).
  const client = new WebSocketConnection({ role: "client" });
  assert.deepEqual(client.receive(new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])), [
    { type: "text", data: "Hello" },
  ]);
  const bytes = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  assert.deepEqual(bytes, masked(Opcode.text, "Hello"), "our encoder writes the same bytes");
  assert.deepEqual(serverSees([bytes]).events, [{ type: "text", data: "Hello" }]);
  // A fragmented "Hel" + "lo", fed one byte at a time.
  const fragmented = [masked(Opcode.text, "Hel", false), masked(Opcode.continuation, "lo")];
  assert.deepEqual(serverSees(fragmented, { step: 1 }).events, [{ type: "text", data: "Hello" }]);
});

Deno.test("client and server connections pump messages, pings and the close handshake into each other", () => {
  const client = new WebSocketConnection({ role: "client" });
  const server = new WebSocketConnection({ role: "server" });
  const big = new Uint8Array(70_000).map((_, i) => i & 0xff);
  client.send("héllo ✓");
  client.send(big);
  client.ping(enc.encode("are you there"));
  const atServer = server.receive(client.takeOutput());
  assert.deepEqual(atServer.map((e) => e.type), ["text", "binary", "ping"]);
  assert.equal((atServer[0] as { data: string }).data, "héllo ✓");
  assert.deepEqual((atServer[1] as { data: Uint8Array }).data, big);
  // The server answered the ping by itself, with the ping's data (§5.5.2).
  server.send("bye soon");
  const atClient = client.receive(server.takeOutput());
  assert.deepEqual(atClient, [{ type: "pong", data: enc.encode("are you there") }, { type: "text", data: "bye soon" }]);
  // The client starts the close handshake; the server echoes the code (§5.5.1), both end closed.
  client.close(4000, "done");
  assert.equal(client.state, "closing");
  assert.equal(client.send("late"), false, "no data after our Close");
  assert.deepEqual(server.receive(client.takeOutput()), [
    { type: "close", code: 4000, reason: "done", initiator: "peer" },
  ]);
  assert.equal(server.state, "closed");
  assert.deepEqual(client.receive(server.takeOutput()), [{
    type: "close",
    code: 4000,
    reason: "",
    initiator: "local",
  }]);
  assert.equal(client.state, "closed");
});

Deno.test("a ping between the fragments of a message is answered, and the message still arrives whole", () => {
  const { events, output } = serverSees([
    masked(Opcode.binary, new Uint8Array([1, 2]), false),
    masked(Opcode.ping, "p"),
    masked(Opcode.continuation, new Uint8Array([3]), false),
    masked(Opcode.continuation, new Uint8Array([4])),
  ], { step: 3 });
  assert.deepEqual(events, [{ type: "ping", data: enc.encode("p") }, {
    type: "binary",
    data: new Uint8Array([1, 2, 3, 4]),
  }]);
  assert.deepEqual(framesOf(output).map((f) => [f.opcode, [...f.payload]]), [[Opcode.pong, [0x70]]]);
});

const bad: [string, Uint8Array[], number][] = [
  ["an unmasked client frame (§5.1)", [encodeFrame(Opcode.text, enc.encode("hi"))], 1002],
  ["RSV1 set without an extension (§5.2)", [masked(Opcode.text, "hi", true, 0x40)], 1002],
  ["RSV3 set (§5.2)", [masked(Opcode.binary, "hi", true, 0x10)], 1002],
  ["reserved data opcode 0x3 (§5.2)", [masked(0x3, "hi")], 1002],
  ["reserved control opcode 0xB (§5.2)", [masked(0xb, "")], 1002],
  ["a 126-byte ping (§5.5)", [masked(Opcode.ping, new Uint8Array(126))], 1002],
  ["a fragmented ping (§5.5)", [masked(Opcode.ping, "x", false)], 1002],
  ["a continuation with no message (§5.4)", [masked(Opcode.continuation, "x")], 1002],
  ["a new message inside a fragmented one (§5.4)", [masked(Opcode.text, "a", false), masked(Opcode.text, "b")], 1002],
  ["a non-minimal 16-bit length (§5.2)", [new Uint8Array([0x82, 0xfe, 0x00, 0x05, ...mask, 1, 2, 3, 4, 5])], 1002],
  [
    "a 64-bit length with the top bit set (§5.2)",
    [new Uint8Array([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, ...mask])],
    1002,
  ],
  ["invalid UTF-8 text (§8.1)", [masked(Opcode.text, new Uint8Array([0x68, 0xc3, 0x28]))], 1007],
  ["a surrogate encoded in UTF-8 (§8.1)", [masked(Opcode.text, new Uint8Array([0xed, 0xa0, 0x80]))], 1007],
  ["text ending inside a character (§8.1)", [masked(Opcode.text, new Uint8Array([0x68, 0xe2, 0x82]))], 1007],
  ["a one-byte Close body (§5.5.1)", [masked(Opcode.close, new Uint8Array([3]))], 1002],
  ["Close with reserved code 1005 (§7.4.1)", [masked(Opcode.close, new Uint8Array([0x03, 0xed]))], 1002],
  ["Close with unassigned code 2000 (§7.4.2)", [masked(Opcode.close, new Uint8Array([0x07, 0xd0]))], 1002],
  ["Close with code 999 (§7.4.2)", [masked(Opcode.close, new Uint8Array([0x03, 0xe7]))], 1002],
  ["a Close reason that is not UTF-8 (§5.5.1)", [masked(Opcode.close, new Uint8Array([0x03, 0xe8, 0xff]))], 1007],
];

for (const [what, frames, code] of bad) {
  Deno.test(`${what} fails the connection with ${code}, and nothing after it is read`, () => {
    const after = masked(Opcode.text, "after");
    const { server, events, output } = serverSees([...frames, after]);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0].type, "failed");
    assert.equal(closeCodeOf(output), code);
    assert.equal(server.state, "closed");
    assert.deepEqual(server.receive(masked(Opcode.text, "more")), [], "a failed connection reads nothing");
  });
}

Deno.test("invalid UTF-8 fails as soon as it arrives, before the message's last fragment", () => {
  const { events, output } = serverSees([masked(Opcode.text, new Uint8Array([0x61, 0xff]), false)]);
  assert.equal(events[0].type, "failed");
  assert.equal(closeCodeOf(output), 1007);
  // A character split between fragments is fine.
  const split = serverSees([
    masked(Opcode.text, new Uint8Array([0xe2, 0x9c]), false),
    masked(Opcode.continuation, new Uint8Array([0x93])),
  ]);
  assert.deepEqual(split.events, [{ type: "text", data: "✓" }]);
});

Deno.test("a message over maxMessageSize fails with 1009 on the header alone, fragmented or not", () => {
  // Only the header of a 2 KiB frame: refused before any payload is buffered.
  const header = masked(Opcode.binary, new Uint8Array(2048)).subarray(0, 8);
  const single = serverSees([header], { maxMessageSize: 1024 });
  assert.equal(single.events[0].type, "failed");
  assert.equal(closeCodeOf(single.output), 1009);
  assert.equal(single.server.bufferedInput, 0);
  // Three fragments of 400 bytes: the third goes past 1024.
  const parts = [0, 1, 2].map((i) => masked(i === 0 ? Opcode.text : Opcode.continuation, "x".repeat(400), i === 2));
  const fragmented = serverSees(parts, { maxMessageSize: 1024 });
  assert.equal(closeCodeOf(fragmented.output), 1009);
  // Exactly the limit is accepted.
  const exact = serverSees([masked(Opcode.binary, new Uint8Array(1024))], { maxMessageSize: 1024 });
  assert.equal(exact.events[0].type, "binary");
});

Deno.test("an empty Close is echoed empty and reported as 1005; a server's own close codes are checked", () => {
  const { events, output } = serverSees([masked(Opcode.close, new Uint8Array(0))]);
  assert.deepEqual(events, [{ type: "close", code: 1005, reason: "", initiator: "peer" }]);
  assert.deepEqual(framesOf(output).map((f) => [f.opcode, f.payload.length]), [[Opcode.close, 0]]);
  const server = new WebSocketConnection({ role: "server" });
  assert.throws(() => server.close(1006), RangeError);
  assert.throws(() => server.close(1000, "x".repeat(124)), RangeError);
  assert.equal(server.state, "open");
});

Deno.test("messages arriving after our Close are dropped; the peer's Close completes the handshake", () => {
  const server = new WebSocketConnection({ role: "server" });
  server.close(1001, "going");
  assert.deepEqual(framesOf(server.takeOutput()).map((f) => f.opcode), [Opcode.close]);
  const events = server.receive(concat([masked(Opcode.text, "late"), masked(Opcode.close, new Uint8Array([3, 0xe9]))]));
  assert.deepEqual(events, [{ type: "close", code: 1001, reason: "", initiator: "local" }]);
  assert.equal(server.takeOutput().length, 0, "no second Close");
});

function upgrade(headers: Record<string, string>, method = "GET"): Request {
  const base = {
    host: "localhost",
    upgrade: "websocket",
    connection: "keep-alive, Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
  };
  const all = Object.fromEntries(Object.entries({ ...base, ...headers }).filter(([, v]) => v !== ""));
  return new Request("https://localhost/ws", { method, headers: all });
}

Deno.test("RFC 6455 §4.2.1: the upgrade request's checks, with 400 or 426 named", () => {
  assert.deepEqual(readUpgradeRequest(upgrade({ "sec-websocket-protocol": "a, b" })), {
    kind: "upgrade",
    request: { key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: ["a", "b"] },
  });
  assert.equal(readUpgradeRequest(upgrade({ upgrade: "" })).kind, "not_upgrade");
  assert.equal(readUpgradeRequest(upgrade({ upgrade: "h2c" })).kind, "not_upgrade");
  const status = (r: Request) => {
    const d = readUpgradeRequest(r);
    return d.kind === "refused" ? d.refusal.status : d.kind;
  };
  assert.equal(status(upgrade({ upgrade: "WebSocket", connection: "upgrade" })), "upgrade", "case-insensitive");
  assert.equal(status(upgrade({}, "POST")), 400);
  assert.equal(status(upgrade({ connection: "keep-alive" })), 400);
  assert.equal(status(upgrade({ "sec-websocket-key": "" })), 400);
  assert.equal(status(upgrade({ "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ" })), 400, "not padded to 16 bytes");
  assert.equal(status(upgrade({ "sec-websocket-key": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" })), 400, "20 bytes");
  assert.equal(status(upgrade({ "sec-websocket-version": "8" })), 426);
  assert.equal(status(upgrade({ "sec-websocket-version": "" })), 426);
  assert.equal(status(upgrade({ "content-length": "5" })), 400);
  assert.equal(status(upgrade({ "content-length": "0" })), "upgrade");
});

Deno.test("RFC 6455 §4.2.2: subprotocol selection", () => {
  assert.equal(selectProtocol(["a", "b"]), "a", "without a list: the client's first choice");
  assert.equal(selectProtocol([]), null);
  assert.equal(selectProtocol(["v1", "v2"], ["v2", "v1"]), "v2", "our preference");
  assert.equal(selectProtocol(["x"], ["v2", "v1"]), null);
});

Deno.test("the incremental UTF-8 check agrees with a fatal TextDecoder, whole and byte by byte", () => {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const valid = (bytes: Uint8Array) => {
    try {
      strict.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const samples: number[][] = [
    [0x7f],
    [0xc2, 0x80],
    [0xc1, 0xbf], // overlong
    [0xe0, 0xa0, 0x80],
    [0xe0, 0x9f, 0xbf], // overlong
    [0xed, 0x9f, 0xbf],
    [0xed, 0xa0, 0x80], // surrogate
    [0xef, 0xbf, 0xbf],
    [0xf0, 0x90, 0x80, 0x80],
    [0xf0, 0x8f, 0xbf, 0xbf], // overlong
    [0xf4, 0x8f, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
    [0xf5, 0x80, 0x80, 0x80],
    [0xe2, 0x82], // truncated
    [0x80],
  ];
  // And 2000 random strings of 1-6 bytes drawn mostly from the interesting range.
  for (let i = 0; i < 2000; i++) {
    const length = 1 + Math.floor(Math.random() * 6);
    samples.push(
      Array.from(
        { length },
        () => Math.random() < 0.2 ? Math.floor(Math.random() * 128) : 0x80 + Math.floor(Math.random() * 128),
      ),
    );
  }
  for (const sample of samples) {
    const bytes = new Uint8Array(sample);
    const whole = new Utf8Validator();
    const wholeOk = whole.push(bytes) && whole.complete;
    const split = new Utf8Validator();
    const splitOk = [...bytes].every((b) => split.push(new Uint8Array([b]))) && split.complete;
    assert.equal(wholeOk, valid(bytes), `[${sample.map((b) => b.toString(16))}]`);
    assert.equal(splitOk, wholeOk);
  }
});

Deno.test("a message of a thousand one-byte fragments arrives whole, text split inside characters", () => {
  const text = "✓é".repeat(200);
  const bytes = enc.encode(text);
  const frames = [...bytes].map((b, i) =>
    masked(i === 0 ? Opcode.text : Opcode.continuation, new Uint8Array([b]), i === bytes.length - 1)
  );
  assert.deepEqual(serverSees(frames, { step: 7 }).events, [{ type: "text", data: text }]);
  const binary = new Uint8Array(1000).map((_, i) => i);
  const parts = [...binary].map((b, i) =>
    masked(i === 0 ? Opcode.binary : Opcode.continuation, new Uint8Array([b]), i === binary.length - 1)
  );
  const { events } = serverSees(parts, { step: 5 });
  assert.deepEqual(events, [{ type: "binary", data: binary }]);
  assert.equal((events[0] as { data: Uint8Array }).data.buffer.byteLength, 1000, "an exact buffer for the app");
});

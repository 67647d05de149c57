/**
 * Claims about the shared leaves every layer uses (src/bytes.ts, src/runtime.ts): each helper has one home, so these
 * tests are the only ones that pin down what the engine, the crypto layer, HTTP and WebSockets rely on.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { bytesEqual, concat, constantTimeEqual, fromHex, latin1, toBase64Url, toHex } from "../../src/bytes.ts";
import { currentRuntime } from "../../src/runtime.ts";

Deno.test("concat joins parts in order, counts the size itself or takes the caller's, and makes a new array", () => {
  const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)];
  const joined = concat(parts);
  assert.deepEqual(joined, Uint8Array.of(1, 2, 3, 4, 5, 6));
  assert.deepEqual(concat(parts, 6), joined);
  parts[0][0] = 9;
  assert.equal(joined[0], 1, "the parts were copied");
  assert.deepEqual(concat([]), new Uint8Array(0));
});

Deno.test("concat hands back a single part as it is, without a copy", () => {
  const only = Uint8Array.of(7, 8);
  assert.equal(concat([only]), only);
  assert.equal(concat([only], 2), only);
});

Deno.test("bytesEqual and constantTimeEqual agree: same length and same bytes, a difference anywhere fails", () => {
  const a = Uint8Array.of(1, 2, 3, 4);
  const cases: [Uint8Array, boolean][] = [
    [Uint8Array.of(1, 2, 3, 4), true],
    [Uint8Array.of(0, 2, 3, 4), false],
    [Uint8Array.of(1, 2, 3, 5), false],
    [Uint8Array.of(1, 2, 3), false],
    [Uint8Array.of(1, 2, 3, 4, 0), false],
  ];
  for (const [b, expected] of cases) {
    assert.equal(bytesEqual(a, b), expected, `bytesEqual ${b}`);
    assert.equal(constantTimeEqual(a, b), expected, `constantTimeEqual ${b}`);
  }
  assert.ok(
    bytesEqual(new Uint8Array(0), new Uint8Array(0)) && constantTimeEqual(new Uint8Array(0), new Uint8Array(0)),
  );
});

Deno.test("toHex writes two lowercase digits a byte, as node:buffer does, and fromHex reads them back", () => {
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  const hex = toHex(every);
  assert.equal(hex, Buffer.from(every).toString("hex"));
  assert.deepEqual(fromHex(hex), every);
  assert.deepEqual(fromHex(hex.toUpperCase()), every);
  assert.equal(toHex(new Uint8Array(0)), "");
  assert.deepEqual(fromHex(""), new Uint8Array(0));
  assert.deepEqual(fromHex("0a0"), Uint8Array.of(10), "a trailing odd digit is ignored");
});

Deno.test("latin1 reads one char per byte, below and above the size it decodes in one call", () => {
  for (const n of [0, 1, 255, 4096, 4097, 10_000]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
    assert.equal(latin1(bytes), Buffer.from(bytes).toString("latin1"), `${n} bytes`);
  }
});

Deno.test("toBase64Url is RFC 4648 §5 without padding, as node:buffer writes it, for every length mod 3", () => {
  for (const n of [...Array.from({ length: 41 }, (_, i) => i), 5000]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 17) & 0xff);
    assert.equal(toBase64Url(bytes), Buffer.from(bytes).toString("base64url"), `${n} bytes`);
  }
  assert.equal(toBase64Url(Uint8Array.of(0xfb, 0xff)), "-_8");
});

Deno.test("currentRuntime says deno under Deno (tests/crypto/runtimes_test.ts asks Bun and Node)", () => {
  assert.equal(currentRuntime(), "deno");
});

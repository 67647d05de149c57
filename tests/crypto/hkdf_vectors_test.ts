/**
 * Claim: each provider's HMAC (the only primitive HKDF needs, RFC 5869 §2) gives Wycheproof's HKDF-SHA256 and
 * HKDF-SHA384 outputs. The HKDF here is a local test double; the real one lives in the key schedule.
 */
import assert from "node:assert/strict";
import { nativeProvider, nobleProvider } from "../../src/crypto/mod.ts";
import { currentRuntime } from "../../src/runtime.ts";
import type { CryptoProvider, Hash, HashName } from "../../src/crypto/provider.ts";
import { hex, readVectors, toHex } from "../fixtures/wycheproof_aead.ts";

const providers: CryptoProvider[] = [nobleProvider, nativeProvider()];
// On Deno the native plan uses noble's HMAC; Node's plan exercises node:crypto createHmac here too.
if (currentRuntime() !== "node") providers.push(nativeProvider({ runtime: "node" }));

/** RFC 5869 §2.2: a missing salt is HashLen zero bytes. */
function extract(h: Hash, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return h.hmac(salt.length ? salt : new Uint8Array(h.outputLength), ikm);
}

/** RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) || info || i), at most 255 blocks. */
function expand(h: Hash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * h.outputLength) throw new RangeError("HKDF output too long");
  const out = new Uint8Array(length);
  let t = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++, off += t.length) {
    const input = new Uint8Array(t.length + info.length + 1);
    input.set(t);
    input.set(info, t.length);
    input[input.length - 1] = i;
    t = new Uint8Array(h.hmac(prk, input));
    out.set(t.subarray(0, Math.min(t.length, length - off)), off);
  }
  return out;
}

interface HkdfTest {
  tcId: number;
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: string;
}

const files: [HashName, string, number, number][] = [
  ["SHA-256", "hkdf_sha256_test.json", 83, 3],
  ["SHA-384", "hkdf_sha384_test.json", 80, 3],
];

for (const provider of providers) {
  for (const [hashName, file, validCount, invalidCount] of files) {
    Deno.test(`${provider.name}: Wycheproof ${file}`, () => {
      const h = provider.hash(hashName);
      const counts = { valid: 0, invalid: 0 };
      for (const g of readVectors<{ testGroups: { tests: HkdfTest[] }[] }>(file).testGroups) {
        for (const t of g.tests) {
          const run = () => toHex(expand(h, extract(h, hex(t.salt), hex(t.ikm)), hex(t.info), t.size));
          if (t.result === "invalid") {
            // Every invalid vector asks for more than 255 * HashLen bytes.
            assert.throws(run, RangeError, `#${t.tcId}`);
            counts.invalid++;
          } else {
            assert.equal(run(), t.okm, `#${t.tcId}`);
            counts.valid++;
          }
        }
      }
      assert.deepEqual(counts, { valid: validCount, invalid: invalidCount });
    });
  }
}

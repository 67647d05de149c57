/**
 * Claim: every AEAD of both providers matches Wycheproof byte for byte on the parameters TLS 1.3 uses
 * (RFC 8446 §5.3, §B.4), and refuses every invalid vector by returning null, never by throwing.
 * The native provider runs with this runtime's plan and, on Deno, with Node's plan forced too.
 */
import assert from "node:assert/strict";
import { AesCcm } from "../../src/crypto/aes_ccm.ts";
import { nativeProvider, nobleProvider } from "../../src/crypto/mod.ts";
import { currentRuntime } from "../../src/runtime.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { type AeadVectorFile, hex, readVectors, runAeadVectors, toHex } from "../fixtures/wycheproof_aead.ts";

const providers: CryptoProvider[] = [nobleProvider, nativeProvider()];
if (currentRuntime() !== "node") providers.push(nativeProvider({ runtime: "node" }));

/** Vectors run and skipped per file (Wycheproof at tests/vectors/wycheproof/SOURCE). */
const expected: Record<AeadVectorFile, { ran: Record<string, { valid: number; invalid: number }>; skipped: number }> = {
  "aes_gcm_test.json": {
    ran: { "AES-128-GCM": { valid: 40, invalid: 27 }, "AES-256-GCM": { valid: 39, invalid: 27 } },
    skipped: 183, // 192-bit keys and nonces other than 96 bits
  },
  "chacha20_poly1305_test.json": { ran: { "CHACHA20-POLY1305": { valid: 256, invalid: 60 } }, skipped: 9 },
  "aes_ccm_test.json": {
    ran: { "AES-128-CCM": { valid: 51, invalid: 27 }, "AES-128-CCM-8": { valid: 8, invalid: 0 } },
    skipped: 466, // 192/256-bit keys and the tag sizes no TLS suite uses
  },
};

for (const provider of providers) {
  for (const file of Object.keys(expected) as AeadVectorFile[]) {
    Deno.test(`${provider.name}: Wycheproof ${file}`, () => {
      const report = runAeadVectors(provider, file);
      assert.deepEqual(report.failures, []);
      assert.deepEqual(report.ran, expected[file].ran);
      assert.equal(report.skipped, expected[file].skipped);
    });
  }
}

interface CcmGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
  tests: { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: string }[];
}

Deno.test("AesCcm passes every 96-bit-nonce Wycheproof vector with an 8- or 16-byte tag, for all AES key sizes", () => {
  let ran = 0;
  for (const g of readVectors<{ testGroups: CcmGroup[] }>("aes_ccm_test.json").testGroups) {
    if (g.ivSize !== 96 || (g.tagSize !== 64 && g.tagSize !== 128)) continue;
    for (const t of g.tests) {
      const ccm: AesCcm = new AesCcm(hex(t.key), (g.tagSize / 8) as 8 | 16);
      const sealed = t.ct + t.tag;
      const opened: Uint8Array | null = ccm.open(hex(t.iv), hex(t.aad), hex(sealed));
      if (t.result === "invalid") {
        assert.equal(opened, null, `#${t.tcId}`);
      } else {
        assert.equal(toHex(ccm.seal(hex(t.iv), hex(t.aad), hex(t.msg))), sealed, `#${t.tcId}`);
        assert.equal(opened && toHex(opened), t.msg, `#${t.tcId}`);
      }
      ran++;
    }
  }
  assert.equal(ran, 258);
});

Deno.test("AES-128-CCM-8 refuses every one-bit change to its Wycheproof vectors (Wycheproof has no invalid ones)", () => {
  const groups = readVectors<{ testGroups: CcmGroup[] }>("aes_ccm_test.json").testGroups;
  const vectors = groups.filter((g) => g.ivSize === 96 && g.keySize === 128 && g.tagSize === 64).flatMap((g) =>
    g.tests
  );
  assert.equal(vectors.length, 8);
  for (const provider of providers) {
    for (const t of vectors) {
      const key = provider.aead("AES-128-CCM-8").importKey(hex(t.key));
      const parts = { nonce: hex(t.iv), aad: hex(t.aad), sealed: hex(t.ct + t.tag) };
      for (const field of ["nonce", "aad", "sealed"] as const) {
        for (let i = 0; i < parts[field].length; i++) {
          const bad = { ...parts, [field]: parts[field].slice() };
          bad[field][i] ^= 0x80;
          assert.equal(key.open(bad.nonce, bad.aad, bad.sealed), null, `${provider.name} #${t.tcId} ${field}[${i}]`);
        }
      }
    }
  }
});

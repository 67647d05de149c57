/**
 * Claims about both crypto providers beyond the known-answer vectors (key exchange has its own file): every key kind signs with exactly the schemes it
 * allows, and the signatures verify on both providers (RFC 8446 §4.2.3); certificate ECDSA signatures verify with any
 * SHA-2 on either curve (RFC 5758 §3.2) while CertificateVerify keeps the curve tied to the scheme; transcripts clone
 * and digest without finalizing (§4.4.1); AEAD keys refuse tampering and hand back plain Uint8Arrays.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { generateKeyPairSync, type KeyPairKeyObjectResult, sign as nodeSign } from "node:crypto";
import { nativeProvider, nobleProvider, signatureSchemesFor } from "../../src/crypto/mod.ts";
import { currentRuntime } from "../../src/runtime.ts";
import type { AeadName, CryptoProvider, KeyKind } from "../../src/crypto/provider.ts";
import {
  CertificateSignatureScheme,
  ecdsaCertificateScheme,
  isHandshakeScheme,
  type SchemeHash,
} from "../../src/crypto/schemes.ts";
import { CryptoError, type CryptoErrorCode } from "../../src/crypto/errors.ts";
import { SignatureScheme } from "../../src/tls/wire/constants.ts";
import { hex, toHex } from "../fixtures/wycheproof_aead.ts";
import { concat } from "../../src/bytes.ts";
import { asPssKey, PSS_SHA256_PARAMS, rsaPssKeyPair } from "../_support/test_keys.ts";

const providers: CryptoProvider[] = [nobleProvider, nativeProvider()];
if (currentRuntime() !== "node") providers.push(nativeProvider({ runtime: "node" }));
const [noble] = providers;

const aeadNames: AeadName[] = ["AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305", "AES-128-CCM", "AES-128-CCM-8"];

const isCode = (code: CryptoErrorCode) => (e: unknown) => e instanceof CryptoError && e.code === code;

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: CryptoErrorCode): Promise<void> {
  const run = typeof p === "function" ? () => Promise.resolve().then(p) : () => p;
  await assert.rejects(run, isCode(code));
}

// ---- Signatures ----

const keygen: Record<KeyKind, () => KeyPairKeyObjectResult> = {
  "ecdsa-p256": () => generateKeyPairSync("ec", { namedCurve: "P-256" }),
  "ecdsa-p384": () => generateKeyPairSync("ec", { namedCurve: "P-384" }),
  "ecdsa-p521": () => generateKeyPairSync("ec", { namedCurve: "P-521" }),
  ed25519: () => generateKeyPairSync("ed25519"),
  ed448: () => generateKeyPairSync("ed448"),
  rsa: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  // Rewritten to id-RSASSA-PSS below (Deno cannot export an rsa-pss private key).
  "rsa-pss": () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
};

interface TestKey {
  pkcs8: Uint8Array;
  spki: Uint8Array;
  pair: KeyPairKeyObjectResult;
}

const keys = Object.fromEntries(
  (Object.keys(keygen) as KeyKind[]).map((kind) => {
    const pair = keygen[kind]();
    const pkcs8 = new Uint8Array(pair.privateKey.export({ format: "der", type: "pkcs8" }));
    const spki = new Uint8Array(pair.publicKey.export({ format: "der", type: "spki" }));
    if (kind === "rsa-pss") return [kind, { pair, pkcs8: asPssKey(pkcs8), spki: asPssKey(spki) }];
    return [kind, { pair, pkcs8, spki }];
  }),
) as Record<KeyKind, TestKey>;

const S = SignatureScheme;
const allowed: Record<KeyKind, number[]> = {
  "ecdsa-p256": [S.ecdsa_secp256r1_sha256],
  "ecdsa-p384": [S.ecdsa_secp384r1_sha384],
  "ecdsa-p521": [S.ecdsa_secp521r1_sha512],
  ed25519: [S.ed25519],
  ed448: [S.ed448],
  rsa: [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512],
  "rsa-pss": [S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512],
};
const schemesTried = [...Object.values(allowed).flat(), S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha1, S.ecdsa_sha1];
const message = new TextEncoder().encode(" ".repeat(64) + "TLS 1.3, server CertificateVerify\0" + "h".repeat(32));

Deno.test("signatureSchemesFor lists what each key kind may sign CertificateVerify with", () => {
  for (const kind of Object.keys(allowed) as KeyKind[]) assert.deepEqual(signatureSchemesFor(kind), allowed[kind]);
});

for (const kind of Object.keys(keygen) as KeyKind[]) {
  Deno.test(`${kind}: signs with its schemes on every provider, and every provider verifies it`, async () => {
    const { pkcs8, spki } = keys[kind];
    for (const signer of providers) {
      const key = await signer.importSigningKey(pkcs8, kind);
      assert.equal(key.kind, kind);
      for (const scheme of allowed[kind]) {
        // ECDSA: several signatures, so that high-S ones (half of OpenSSL's) reach noble's verify too.
        for (let i = 0; i < (kind.startsWith("ecdsa") ? 8 : 1); i++) {
          const sig = await key.sign(scheme, message);
          assert.equal(Object.getPrototypeOf(sig), Uint8Array.prototype);
          if (kind.startsWith("ecdsa")) assert.equal(sig[0], 0x30, "DER SEQUENCE (RFC 8446 §4.2.3)");
          for (const verifier of providers) {
            const tag = `${signer.name} -> ${verifier.name} ${scheme.toString(16)}`;
            assert.equal(await verifier.verify(spki, scheme, message, sig), true, tag);
            const badSig = sig.slice();
            badSig[badSig.length >> 1] ^= 0x01;
            assert.equal(await verifier.verify(spki, scheme, message, badSig), false, `${tag} tampered signature`);
            const badMsg = message.slice();
            badMsg[70] ^= 0x01;
            assert.equal(await verifier.verify(spki, scheme, badMsg, sig), false, `${tag} tampered message`);
            assert.equal(await verifier.verify(spki, scheme, message, sig.subarray(0, 8)), false, `${tag} truncated`);
          }
        }
      }
      for (const scheme of schemesTried.filter((s) => !allowed[kind].includes(s))) {
        await rejectsWith(key.sign(scheme, message), "key_cannot_sign");
      }
    }
  });
}

Deno.test("verify refuses a key that does not fit the scheme, and unknown schemes, with unsupported_scheme", async () => {
  const sig = new Uint8Array(64);
  for (const p of providers) {
    for (const kind of Object.keys(keys) as KeyKind[]) {
      for (const scheme of schemesTried) {
        if (allowed[kind].includes(scheme) || (kind === "rsa" && scheme === S.rsa_pkcs1_sha256)) continue;
        await rejectsWith(p.verify(keys[kind].spki, scheme, message, sig), "unsupported_scheme");
      }
    }
    // An X25519 key is no signing key at all.
    const x25519 = new Uint8Array(generateKeyPairSync("x25519").publicKey.export({ format: "der", type: "spki" }));
    await rejectsWith(p.verify(x25519, S.ed25519, message, sig), "unsupported_scheme");
    await rejectsWith(p.verify(keys.ed25519.spki.subarray(0, 20), S.ed25519, message, sig), "malformed_der");
  }
});

Deno.test("an EC public key off its curve is invalid_public_key on every provider", async () => {
  const spki = keys["ecdsa-p256"].spki.slice();
  spki[spki.length - 1] ^= 1;
  const sig = await (await noble.importSigningKey(keys["ecdsa-p256"].pkcs8, "ecdsa-p256")).sign(0x0403, message);
  for (const p of providers) {
    await rejectsWith(p.verify(spki, S.ecdsa_secp256r1_sha256, message, sig), "invalid_public_key");
  }
});

Deno.test("an Ed25519 key that does not decode fails verification, on every provider (RFC 8032 §5.1.7)", async () => {
  // y = 2 gives no square root for x; OpenSSL and Bun import such a key, Deno refuses it: both mean false.
  const spki = hex("302a300506032b6570032100" + "02".padEnd(64, "0"));
  for (const p of providers) assert.equal(await p.verify(spki, S.ed25519, message, new Uint8Array(64)), false, p.name);
});

// ---- ECDSA in certificates: any SHA-2 with either curve ----

const ecdsaKinds = ["ecdsa-p256", "ecdsa-p384", "ecdsa-p521"] as const;
const schemeHashes: SchemeHash[] = ["SHA-256", "SHA-384", "SHA-512"];
const nodeHash = (hash: SchemeHash) => hash.replace("-", "").toLowerCase();

Deno.test("every P-256/384/521 and SHA-2 pair has one scheme; those TLS 1.3 lacks are private and certificate-only", () => {
  const wire: Record<string, number> = {
    "ecdsa-p256 SHA-256": S.ecdsa_secp256r1_sha256,
    "ecdsa-p384 SHA-384": S.ecdsa_secp384r1_sha384,
    "ecdsa-p521 SHA-512": S.ecdsa_secp521r1_sha512,
  };
  const seen = new Set<number>();
  for (const kind of ecdsaKinds) {
    for (const hash of schemeHashes) {
      const scheme = ecdsaCertificateScheme(kind, hash);
      seen.add(scheme);
      const onWire = wire[`${kind} ${hash}`];
      if (onWire) {
        assert.equal(scheme, onWire);
        assert.ok(isHandshakeScheme(scheme));
      } else {
        // RFC 8446 §11: 0xFE00-0xFFFF is for Private Use.
        assert.ok(scheme >= 0xfe00 && scheme <= 0xffff, `${kind} ${hash}: 0x${scheme.toString(16)}`);
        assert.ok(!isHandshakeScheme(scheme), `${kind} ${hash}`);
      }
    }
  }
  assert.equal(seen.size, 9);
  assert.deepEqual(
    [...seen].filter((s) => s >= 0xfe00).sort((a, b) => a - b),
    Object.values(CertificateSignatureScheme).sort((a, b) => a - b),
  );
  assert.ok(!isHandshakeScheme(S.rsa_pkcs1_sha256) && isHandshakeScheme(S.ecdsa_secp521r1_sha512));
});

const nobleCurves = { "ecdsa-p256": p256, "ecdsa-p384": p384, "ecdsa-p521": p521 } as const;
const nobleHashes = { "SHA-256": sha256, "SHA-384": sha384, "SHA-512": sha512 } as const;

/** An ECDSA signature over `message` with any SHA-2: node:crypto's, or noble's where node:crypto cannot (Deno signs
 * P-521 with SHA-512 only). */
function ecdsaSign(kind: (typeof ecdsaKinds)[number], pair: KeyPairKeyObjectResult, hash: SchemeHash): Uint8Array {
  try {
    return new Uint8Array(nodeSign(nodeHash(hash), message, { key: pair.privateKey, dsaEncoding: "der" }));
  } catch {
    const d = pair.privateKey.export({ format: "jwk" }).d!;
    const scalar = new Uint8Array(Buffer.from(d, "base64url"));
    return nobleCurves[kind].sign(nobleHashes[hash](message), scalar, { prehash: false, format: "der" });
  }
}

for (const kind of ecdsaKinds) {
  Deno.test(`${kind}: certificate signatures with SHA-256/384/512 verify on every provider, tampered ones do not`, async () => {
    const { pair, spki } = keys[kind];
    for (const hash of schemeHashes) {
      const scheme = ecdsaCertificateScheme(kind, hash);
      // Several signatures, so that high-S ones reach noble's verify too.
      for (let i = 0; i < 4; i++) {
        const sig = ecdsaSign(kind, pair, hash);
        for (const p of providers) {
          const tag = `${p.name} ${kind} ${hash}`;
          assert.equal(await p.verify(spki, scheme, message, sig), true, tag);
          const badSig = sig.slice();
          badSig[badSig.length >> 1] ^= 0x01;
          assert.equal(await p.verify(spki, scheme, message, badSig), false, `${tag} tampered signature`);
          const badMsg = message.slice();
          badMsg[70] ^= 0x01;
          assert.equal(await p.verify(spki, scheme, badMsg, sig), false, `${tag} tampered message`);
          // The digest is the scheme's: the same signature checked under another hash fails.
          for (const other of schemeHashes.filter((h) => h !== hash)) {
            const otherScheme = ecdsaCertificateScheme(kind, other);
            assert.equal(await p.verify(spki, otherScheme, message, sig), false, `${tag} checked as ${other}`);
          }
          const otherCurve = kind === "ecdsa-p256" ? "ecdsa-p384" : "ecdsa-p256";
          await rejectsWith(p.verify(keys[otherCurve].spki, scheme, message, sig), "unsupported_scheme");
        }
      }
    }
  });
}

Deno.test("CertificateVerify stays strict: the wire scheme's curve must be the key's (RFC 8446 §4.2.3)", async () => {
  // A good P-384 signature over SHA-256: it verifies as a certificate signature, never as ecdsa_secp256r1_sha256.
  const p384 = keys["ecdsa-p384"];
  const sig = new Uint8Array(nodeSign("sha256", message, { key: p384.pair.privateKey, dsaEncoding: "der" }));
  const p256 = keys["ecdsa-p256"];
  const sig384 = new Uint8Array(nodeSign("sha384", message, { key: p256.pair.privateKey, dsaEncoding: "der" }));
  for (const p of providers) {
    assert.equal(await p.verify(p384.spki, CertificateSignatureScheme.ecdsa_secp384r1_sha256, message, sig), true);
    await rejectsWith(p.verify(p384.spki, S.ecdsa_secp256r1_sha256, message, sig), "unsupported_scheme");
    assert.equal(await p.verify(p256.spki, CertificateSignatureScheme.ecdsa_secp256r1_sha384, message, sig384), true);
    await rejectsWith(p.verify(p256.spki, S.ecdsa_secp384r1_sha384, message, sig384), "unsupported_scheme");
  }
});

Deno.test("no provider signs with a certificate-only ECDSA code point (key_cannot_sign)", async () => {
  for (const p of providers) {
    for (const kind of ecdsaKinds) {
      const key = await p.importSigningKey(keys[kind].pkcs8, kind);
      for (const scheme of Object.values(CertificateSignatureScheme)) {
        await rejectsWith(key.sign(scheme, message), "key_cannot_sign");
      }
    }
  }
});

Deno.test("verify with many keys in turn: each signature checks against its own key only (native key cache)", async () => {
  // More keys than the cache holds (64), then the first ones again, after they were dropped.
  const pairs = Array.from({ length: 70 }, () => generateKeyPairSync("ed25519"));
  const spkis = pairs.map((k) => new Uint8Array(k.publicKey.export({ format: "der", type: "spki" })));
  const sigs = pairs.map((k) => new Uint8Array(nodeSign(null, message, k.privateKey)));
  for (const p of providers) {
    for (const round of [0, 1]) {
      for (let i = 0; i < pairs.length; i++) {
        assert.equal(await p.verify(spkis[i], S.ed25519, message, sigs[i]), true, `${p.name} key ${i} round ${round}`);
        const j = (i + 1) % pairs.length;
        assert.equal(await p.verify(spkis[j], S.ed25519, message, sigs[i]), false, `${p.name} key ${j} for ${i}`);
      }
    }
    // The same key bytes inside a larger buffer are the same key.
    const framed = new Uint8Array(spkis[3].length + 7);
    framed.set(spkis[3], 5);
    assert.equal(await p.verify(framed.subarray(5, 5 + spkis[3].length), S.ed25519, message, sigs[3]), true);
  }
});

Deno.test("RSA PKCS#1 v1.5 verifies (certificates) with its hash only; PSS needs salt = hash length", async () => {
  const { pair, spki } = keys.rsa;
  const pkcs1 = new Uint8Array(nodeSign("sha384", message, pair.privateKey));
  const pss20 = new Uint8Array(nodeSign("sha256", message, { key: pair.privateKey, padding: 6, saltLength: 20 }));
  for (const p of providers) {
    assert.equal(await p.verify(spki, S.rsa_pkcs1_sha384, message, pkcs1), true, p.name);
    assert.equal(await p.verify(spki, S.rsa_pkcs1_sha256, message, pkcs1), false, p.name);
    assert.equal(await p.verify(spki, S.rsa_pss_rsae_sha384, message, pkcs1), false, p.name);
    assert.equal(await p.verify(spki, S.rsa_pss_rsae_sha256, message, pss20), false, `${p.name} salt 20`);
  }
});

Deno.test("importSigningKey refuses a key of another kind and malformed DER", async () => {
  for (const p of providers) {
    await assert.rejects(p.importSigningKey(keys["ecdsa-p256"].pkcs8, "ecdsa-p384"), TypeError);
    await assert.rejects(p.importSigningKey(keys.rsa.pkcs8, "ed25519"), TypeError);
    await assert.rejects(p.importSigningKey(keys.ed25519.pkcs8, "rsa"), TypeError);
    await rejectsWith(p.importSigningKey(keys.ed25519.pkcs8.subarray(1), "ed25519"), "malformed_der");
  }
});

// ---- Hashes ----

const abc = new TextEncoder().encode("abc");
const known = {
  "SHA-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  "SHA-384": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
};

for (const hashName of ["SHA-256", "SHA-384"] as const) {
  Deno.test(`${hashName}: the transcript digests without finalizing, and a clone runs on by itself`, () => {
    for (const p of providers) {
      const h = p.hash(hashName);
      assert.equal(h.outputLength, known[hashName].length / 2);
      assert.equal(toHex(h.hash(abc)), known[hashName], p.name);
      const t = h.transcript();
      assert.equal(toHex(t.digest()), toHex(h.hash(new Uint8Array(0))));
      t.update(abc.subarray(0, 1));
      const fork = t.clone();
      t.update(abc.subarray(1));
      assert.equal(toHex(t.digest()), known[hashName]);
      assert.equal(toHex(t.digest()), known[hashName], "digest twice");
      assert.equal(toHex(fork.digest()), toHex(h.hash(abc.subarray(0, 1))), "the clone did not see later updates");
      fork.update(new Uint8Array([0x78]));
      assert.equal(toHex(fork.digest()), toHex(h.hash(new TextEncoder().encode("ax"))));
      assert.equal(toHex(t.digest()), known[hashName], "the original did not see the clone's updates");
      t.update(abc);
      assert.equal(toHex(t.digest()), toHex(h.hash(new TextEncoder().encode("abcabc"))));
    }
  });
}

// ---- AEAD keys ----

for (const name of aeadNames) {
  Deno.test(`${name}: providers seal alike, open each other's records, and refuse tampering`, () => {
    const rawKey = noble.randomBytes(noble.aead(name).keyLength);
    const keys = providers.map((p) => p.aead(name).importKey(rawKey));
    const tagLength = noble.aead(name).tagLength;
    for (const size of [0, 1, 15, 16, 17, 255, 4096, 16385]) {
      const nonce = noble.randomBytes(12), aad = noble.randomBytes(5), pt = noble.randomBytes(size);
      const sealed = keys.map((k) => k.seal(nonce, aad, pt));
      for (const s of sealed) {
        assert.equal(Object.getPrototypeOf(s), Uint8Array.prototype);
        assert.equal(s.length, size + tagLength);
        assert.equal(toHex(s), toHex(sealed[0]), `size ${size}`);
      }
      for (const k of keys) {
        const opened = k.open(nonce, aad, sealed[0])!;
        assert.equal(Object.getPrototypeOf(opened), Uint8Array.prototype);
        assert.equal(toHex(opened), toHex(pt));
        const flip = (b: Uint8Array, i: number) => (b = b.slice(), b[i] ^= 1, b);
        assert.equal(k.open(nonce, aad, flip(sealed[0], 0)), null);
        assert.equal(k.open(nonce, aad, flip(sealed[0], sealed[0].length - 1)), null);
        assert.equal(k.open(nonce, flip(aad, 4), sealed[0]), null);
        assert.equal(k.open(flip(nonce, 11), aad, sealed[0]), null);
        assert.equal(k.open(nonce, aad, sealed[0].subarray(0, tagLength - 1)), null, "shorter than a tag");
      }
    }
  });
}

for (const name of aeadNames) {
  Deno.test(`${name}: sealTo writes the seal of content‖trailer at its offset and touches nothing else`, () => {
    const rawKey = noble.randomBytes(noble.aead(name).keyLength);
    const tagLength = noble.aead(name).tagLength;
    for (const p of providers) {
      const key = p.aead(name).importKey(rawKey);
      for (const size of [0, 1, 17, 4096, 16384]) {
        const nonce = noble.randomBytes(12), aad = noble.randomBytes(5), content = noble.randomBytes(size);
        const trailer = 23;
        const expected = key.seal(nonce, aad, concat([content, Uint8Array.of(trailer)]));
        const out = new Uint8Array(7 + size + 1 + tagLength + 3).fill(0xee);
        key.sealTo(nonce, aad, content, trailer, out, 7);
        assert.equal(toHex(out.subarray(7, 7 + expected.length)), toHex(expected), `${p.name}, size ${size}`);
        assert.ok(out.subarray(0, 7).every((b) => b === 0xee), "bytes before the offset untouched");
        assert.ok(out.subarray(7 + expected.length).every((b) => b === 0xee), "bytes after the record untouched");
      }
    }
  });
}

Deno.test("AEADs refuse keys and nonces of the wrong size as caller bugs (RangeError)", () => {
  for (const p of providers) {
    for (const name of aeadNames) {
      const aead = p.aead(name);
      assert.equal(aead.nonceLength, 12);
      assert.throws(() => aead.importKey(new Uint8Array(aead.keyLength + 1)), RangeError);
      const key = aead.importKey(new Uint8Array(aead.keyLength));
      assert.throws(() => key.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(1)), RangeError);
    }
  }
});

Deno.test("randomBytes fills any length, past getRandomValues' 65536-byte limit", () => {
  for (const p of providers) {
    const r = p.randomBytes(70000);
    assert.equal(r.length, 70000);
    assert.ok(r.subarray(65536).some((b) => b !== 0));
    assert.notEqual(toHex(p.randomBytes(16)), toHex(p.randomBytes(16)));
  }
});

Deno.test("the native plan falls back to noble only where node:crypto lacks the AEAD", () => {
  const plan = nativeProvider().plan;
  assert.equal(plan.runtime, currentRuntime());
  assert.equal(plan.aead["AES-128-GCM"], "node:crypto");
  assert.equal(plan.aead["AES-256-GCM"], "node:crypto");
  assert.equal(plan.aead["CHACHA20-POLY1305"], "node:crypto"); // Deno has it; Bun is checked by the runtime test
  assert.deepEqual([plan.group.x25519, plan.group.secp256r1, plan.group.secp384r1], Array(3).fill("node:crypto"));
  assert.equal(plan.mlKem, "webcrypto", "Deno's WebCrypto has ML-KEM");
});

Deno.test("an id-RSASSA-PSS key with SHA-256 parameters signs and verifies rsa_pss_pss_sha256 only (RFC 8446 §4.2.3)", async () => {
  const key = rsaPssKeyPair(PSS_SHA256_PARAMS);
  assert.deepEqual(signatureSchemesFor("rsa-pss", "SHA-256"), [S.rsa_pss_pss_sha256]);
  for (const p of providers) {
    const signer = await p.importSigningKey(key.pkcs8, "rsa-pss");
    const sig = await signer.sign(S.rsa_pss_pss_sha256, message);
    for (const v of providers) assert.equal(await v.verify(key.spki, S.rsa_pss_pss_sha256, message, sig), true, v.name);
    for (const scheme of [S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512]) {
      await rejectsWith(signer.sign(scheme, message), "key_cannot_sign");
      await rejectsWith(p.verify(key.spki, scheme, message, sig), "unsupported_scheme");
    }
    // The rsae schemes belong to rsaEncryption keys (RFC 8446 §4.2.3), whatever the key material.
    await rejectsWith(p.verify(key.spki, S.rsa_pss_rsae_sha256, message, sig), "unsupported_scheme");
  }
});

Deno.test("HMAC with a key used before, and with the same key object changed in place, is still RFC 4231's", () => {
  // RFC 4231 §4.3, test case 2, and §4.4, test case 3 (key 20 x 0xaa, data 50 x 0xdd).
  const text = (s: string) => new TextEncoder().encode(s);
  const case2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const case3 = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";
  for (const p of providers) {
    const h = p.hash("SHA-256");
    const key = text("Jefe");
    for (let i = 0; i < 3; i++) assert.equal(toHex(h.hmac(key, text("what do ya want for nothing?"))), case2, p.name);
    const reused = new Uint8Array(20).fill(0xaa);
    h.hmac(reused, text("warm the cache"));
    assert.equal(toHex(h.hmac(reused, new Uint8Array(50).fill(0xdd))), case3, p.name);
    reused.fill(0xbb);
    assert.notEqual(
      toHex(h.hmac(reused, new Uint8Array(50).fill(0xdd))),
      case3,
      `${p.name}: a changed key is a new key`,
    );
    reused.fill(0xaa);
    assert.equal(toHex(h.hmac(reused, new Uint8Array(50).fill(0xdd))), case3, p.name);
  }
});

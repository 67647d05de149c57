/**
 * Claims about key exchange on both providers, in the KEM shape (the client generates and decapsulates, the server
 * encapsulates): every group agrees within and across providers with the sizes its RFC gives; the hybrid groups lay
 * out shares and secrets as draft-ietf-tls-ecdhe-mlkem says, checked against a client assembled by hand from noble's
 * primitives; and every malformed share gets the CryptoError that the engine turns into illegal_parameter.
 */
import assert from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { ml_kem1024, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { CryptoError, type CryptoErrorCode } from "../../src/crypto/errors.ts";
import { checkMlKemEncapsulationKey } from "../../src/crypto/key_share_checks.ts";
import { nativeProvider, nobleProvider } from "../../src/crypto/mod.ts";
import { currentRuntime } from "../../src/runtime.ts";
import type { CryptoProvider, GroupName } from "../../src/crypto/provider.ts";
import { toHex } from "../fixtures/wycheproof_aead.ts";
import { badFfdheShares, badPoints, lowOrderX25519, lowOrderX448, withCoefficient } from "../_support/bad_shares.ts";
import { needs } from "../_support/peers.ts";
import { run } from "../_support/processes.ts";
import { ffdheParams } from "../../src/crypto/ffdhe.ts";
import { concat } from "../../src/bytes.ts";

const providers: CryptoProvider[] = [nobleProvider, nativeProvider()];
if (currentRuntime() !== "node") providers.push(nativeProvider({ runtime: "node" }));
const noble = nobleProvider;

/** Client share, server share and shared secret lengths (RFC 8446 §4.2.8.2, §7.4; draft-ietf-tls-ecdhe-mlkem §3). */
const sizes: Record<GroupName, [client: number, server: number, secret: number]> = {
  x25519: [32, 32, 32],
  secp256r1: [65, 65, 32],
  secp384r1: [97, 97, 48],
  secp521r1: [133, 133, 66],
  x448: [56, 56, 56],
  ffdhe2048: [256, 256, 256],
  ffdhe3072: [384, 384, 384],
  ffdhe4096: [512, 512, 512],
  X25519MLKEM768: [1184 + 32, 1088 + 32, 64],
  SecP256r1MLKEM768: [65 + 1184, 65 + 1088, 64],
  SecP384r1MLKEM1024: [97 + 1568, 97 + 1568, 80],
};
const groups = Object.keys(sizes) as GroupName[];

const isCode = (code: CryptoErrorCode) => (e: unknown) => e instanceof CryptoError && e.code === code;

async function rejects(p: () => Promise<unknown>, code: CryptoErrorCode, message: string): Promise<void> {
  await assert.rejects(() => Promise.resolve().then(p), isCode(code), message);
}

for (const group of groups) {
  Deno.test(`${group}: client and server agree, within and across providers, at the RFC's sizes`, async () => {
    const [clientLength, serverLength, secretLength] = sizes[group];
    for (const client of providers) {
      for (const server of providers) {
        const mine = client.keyExchange(group).generate();
        assert.equal(mine.group, group);
        assert.equal(mine.publicKey.length, clientLength);
        const answer = await server.keyExchange(group).encapsulate(mine.publicKey);
        assert.equal(answer.keyExchange.length, serverLength);
        assert.equal(answer.sharedSecret.length, secretLength);
        const secret = await mine.decapsulate(answer.keyExchange);
        assert.equal(toHex(secret), toHex(answer.sharedSecret), `${client.name} -> ${server.name}`);
      }
    }
  });
}

Deno.test("secp256r1: native and noble agree on 200 secrets, so leading zero bytes of X are kept", async () => {
  const [, native] = providers;
  for (let i = 0; i < 200; i++) {
    const mine = noble.keyExchange("secp256r1").generate();
    const answer = await native.keyExchange("secp256r1").encapsulate(mine.publicKey);
    assert.equal(answer.sharedSecret.length, 32);
    assert.equal(toHex(await mine.decapsulate(answer.keyExchange)), toHex(answer.sharedSecret));
  }
});

Deno.test("x25519: the top bit of the peer's u-coordinate is ignored, on both providers (RFC 7748 §5)", async () => {
  const peer = noble.keyExchange("x25519").generate().publicKey;
  const flagged = peer.slice();
  flagged[31] |= 0x80;
  for (const p of providers) {
    const mine = p.keyExchange("x25519").generate();
    assert.equal(toHex(await mine.decapsulate(flagged)), toHex(await mine.decapsulate(peer)), p.name);
  }
});

// ---- Hybrid layouts, against a client built from noble's primitives ----

interface HandClient {
  share: Uint8Array;
  /** The secret the draft says the server's share gives. */
  expected(serverShare: Uint8Array): Uint8Array;
}

function handX25519MlKem768(): HandClient {
  const kem = ml_kem768.keygen();
  const ecdh = x25519.utils.randomSecretKey();
  return {
    // §3: "the ML-KEM encapsulation key ... followed by the X25519 public key"; the secret the same way round.
    share: concat([kem.publicKey, x25519.getPublicKey(ecdh)]),
    expected: (s) =>
      concat([
        ml_kem768.decapsulate(s.subarray(0, 1088), kem.secretKey),
        x25519.getSharedSecret(ecdh, s.subarray(1088)),
      ]),
  };
}

function handSecP(curve: typeof p256 | typeof p384, kem: typeof ml_kem768 | typeof ml_kem1024): HandClient {
  const pair = kem.keygen();
  const ecdh = curve.utils.randomSecretKey();
  const pointLength = curve === p256 ? 65 : 97;
  return {
    // §3: for the SecP* groups the ECDH part comes first, in shares and in the secret.
    share: concat([curve.getPublicKey(ecdh, false), pair.publicKey]),
    expected: (s) =>
      concat([
        curve.getSharedSecret(ecdh, s.subarray(0, pointLength), true).subarray(1),
        kem.decapsulate(s.subarray(pointLength), pair.secretKey),
      ]),
  };
}

const hand: Record<string, () => HandClient> = {
  X25519MLKEM768: handX25519MlKem768,
  SecP256r1MLKEM768: () => handSecP(p256, ml_kem768),
  SecP384r1MLKEM1024: () => handSecP(p384, ml_kem1024),
};

for (const [group, make] of Object.entries(hand) as [GroupName, () => HandClient][]) {
  Deno.test(`${group}: the server's share and secret have the draft's layout, on every provider`, async () => {
    for (const p of providers) {
      const client = make();
      const answer = await p.keyExchange(group).encapsulate(client.share);
      assert.equal(toHex(answer.sharedSecret), toHex(client.expected(answer.keyExchange)), p.name);
    }
  });
}

// ---- Refusals ----

/** Both directions: the server refusing a client share, the client refusing a server share. */
async function refusedBothWays(
  p: CryptoProvider,
  group: GroupName,
  share: Uint8Array,
  code: CryptoErrorCode,
  what: string,
) {
  await rejects(() => p.keyExchange(group).encapsulate(share), code, `${p.name} server, ${group} ${what}`);
  await rejects(() => p.keyExchange(group).generate().decapsulate(share), code, `${p.name} client, ${group} ${what}`);
}

Deno.test("x25519: low-order shares give invalid_shared_secret, wrong lengths invalid_key_share, both ways", async () => {
  for (const p of providers) {
    for (const u of lowOrderX25519) await refusedBothWays(p, "x25519", u, "invalid_shared_secret", toHex(u));
    await refusedBothWays(p, "x25519", new Uint8Array(31), "invalid_key_share", "31 bytes");
    await refusedBothWays(p, "x25519", new Uint8Array(33).fill(9), "invalid_key_share", "33 bytes");
    await refusedBothWays(p, "x25519", new Uint8Array(0), "invalid_key_share", "empty");
  }
});

Deno.test("x448: low-order shares give invalid_shared_secret (the all-zero result), wrong lengths invalid_key_share", async () => {
  for (const p of providers) {
    for (const [i, u] of lowOrderX448.entries()) {
      await refusedBothWays(p, "x448", u, "invalid_shared_secret", `low ${i}`);
    }
    const good = noble.keyExchange("x448").generate().publicKey;
    await refusedBothWays(p, "x448", good.subarray(1), "invalid_key_share", "55 bytes");
    await refusedBothWays(p, "x448", concat([good, Uint8Array.of(0)]), "invalid_key_share", "57 bytes");
    await refusedBothWays(p, "x448", concat([good.subarray(24), good.subarray(24)]), "invalid_key_share", "64 bytes");
  }
});

for (const group of ["ffdhe2048", "ffdhe3072", "ffdhe4096"] as const) {
  Deno.test(`${group}: Y outside 1 < Y < p-1 and unpadded shares are invalid_key_share, both ways`, async () => {
    for (const p of providers) {
      for (const [what, share] of Object.entries(badFfdheShares(ffdheParams(group).prime))) {
        await refusedBothWays(p, group, share, "invalid_key_share", what);
      }
    }
  });
}

Deno.test("ffdhe2048: Y = 2 and Y = p-2, the ends of the range, are accepted and agree on both providers", async () => {
  const { prime } = ffdheParams("ffdhe2048");
  const pMinus2 = prime.slice();
  pMinus2[pMinus2.length - 1] -= 2;
  const two = new Uint8Array(prime.length);
  two[two.length - 1] = 2;
  for (const share of [two, pMinus2]) {
    const secrets = await Promise.all(providers.map((p) => p.keyExchange("ffdhe2048").encapsulate(share)));
    for (const s of secrets) assert.equal(s.sharedSecret.length, 256);
  }
});

Deno.test("FFDHE primes are RFC 7919's: OpenSSL's built-in ffdhe groups have the same p and g = 2", {
  ...needs("openssl"),
}, async () => {
  for (const group of ["ffdhe2048", "ffdhe3072", "ffdhe4096"] as const) {
    const gen = await run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", `group:${group}`]);
    assert.equal(gen.code, 0, gen.output);
    const parsed = await run(["openssl", "asn1parse"], [gen.output]);
    const integers = [...parsed.output.matchAll(/INTEGER\s+:([0-9A-F]+)/g)].map((m) => m[1].toLowerCase());
    assert.equal(integers[0], toHex(ffdheParams(group).prime), group);
    assert.equal(integers[1], "02");
    const { prime } = ffdheParams(group);
    assert.ok(prime.subarray(0, 8).every((b) => b === 0xff) && prime.subarray(-8).every((b) => b === 0xff));
  }
});

for (const group of ["secp256r1", "secp384r1", "secp521r1"] as const) {
  Deno.test(`${group}: infinity, compressed, off-curve, x = 0, out-of-range and misframed points, both ways`, async () => {
    const good = noble.keyExchange(group).generate().publicKey;
    for (const p of providers) {
      for (const [what, share] of Object.entries(badPoints(good))) {
        await refusedBothWays(p, group, share, "invalid_key_share", what);
      }
    }
  });
}

Deno.test("FIPS 203 §7.2 modulus check: every coefficient below q = 3329, in either half of a byte triple", () => {
  const ek = ml_kem768.keygen().publicKey;
  checkMlKemEncapsulationKey(ek, 3);
  for (const index of [0, 1, 2, 3, 767]) {
    checkMlKemEncapsulationKey(withCoefficient(ek, index, 3328), 3);
    for (const value of [3329, 4095]) {
      assert.throws(
        () => checkMlKemEncapsulationKey(withCoefficient(ek, index, value), 3),
        isCode("invalid_key_share"),
      );
    }
  }
  // ρ, the last 32 bytes, is a seed: any value goes.
  const rho = ek.slice();
  rho.fill(0xff, 1152);
  checkMlKemEncapsulationKey(rho, 3);
  assert.throws(() => checkMlKemEncapsulationKey(ek.subarray(1), 3), isCode("invalid_key_share"));
});

Deno.test("hybrids: an encapsulation key failing the modulus check, or a share of the wrong length, is refused", async () => {
  for (const p of providers) {
    for (const group of ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"] as const) {
      const good = noble.keyExchange(group).generate().publicKey;
      const kemAt = group === "X25519MLKEM768" ? 0 : group === "SecP256r1MLKEM768" ? 65 : 97;
      const kemLength = group === "SecP384r1MLKEM1024" ? 1568 : 1184;
      const ek = good.subarray(kemAt, kemAt + kemLength);
      const badKem = good.slice();
      badKem.set(withCoefficient(ek, 5, 0xfff), kemAt);
      const server = p.keyExchange(group);
      await rejects(() => server.encapsulate(badKem), "invalid_key_share", `${p.name} ${group} modulus`);
      await rejects(() => server.encapsulate(good.subarray(1)), "invalid_key_share", `${p.name} ${group} short`);
      await rejects(() => server.encapsulate(concat([good, Uint8Array.of(0)])), "invalid_key_share", `${group} long`);
      // The client checks the server's ciphertext length (draft-ietf-tls-ecdhe-mlkem §4).
      const answer = await server.encapsulate(good);
      const mine = p.keyExchange(group).generate();
      await rejects(() => mine.decapsulate(answer.keyExchange.subarray(1)), "invalid_key_share", `${group} ct short`);
      await rejects(() => mine.decapsulate(new Uint8Array(0)), "invalid_key_share", `${group} empty`);
    }
  }
});

Deno.test("hybrids: the ECDH half keeps its own checks (low-order X25519, a point off the curve)", async () => {
  for (const p of providers) {
    const x = noble.keyExchange("X25519MLKEM768").generate().publicKey.slice();
    x.fill(0, 1184);
    await rejects(() => p.keyExchange("X25519MLKEM768").encapsulate(x), "invalid_shared_secret", `${p.name} server`);
    const answer = await p.keyExchange("X25519MLKEM768").encapsulate(
      noble.keyExchange("X25519MLKEM768").generate().publicKey,
    );
    const lowOrder = answer.keyExchange.slice();
    lowOrder.fill(0, 1088);
    await rejects(
      () => p.keyExchange("X25519MLKEM768").generate().decapsulate(lowOrder),
      "invalid_shared_secret",
      `${p.name} client`,
    );
    const secp = noble.keyExchange("SecP256r1MLKEM768").generate().publicKey.slice();
    secp[64] ^= 1;
    await rejects(() => p.keyExchange("SecP256r1MLKEM768").encapsulate(secp), "invalid_key_share", `${p.name} P-256`);
  }
});

Deno.test("the native plan says where each primitive runs: ML-KEM in WebCrypto where the runtime has it (probed)", () => {
  const plan = nativeProvider().plan;
  // Deno's node:crypto has X448 and no P-521; FFDHE through its DiffieHellman.
  assert.equal(plan.group.x448, "node:crypto");
  assert.equal(plan.group.secp521r1, "noble");
  assert.equal(plan.group.ffdhe2048, "node:crypto");
  const hasIt = typeof (crypto.subtle as { encapsulateBits?: unknown }).encapsulateBits === "function";
  assert.equal(plan.mlKem, hasIt ? "webcrypto" : "noble");
});

/**
 * What the crypto of one TLS 1.3 handshake costs the server on this runtime, through the provider API the engine
 * calls (so the plumbing around each primitive is counted): each group's encapsulation to a client share, the
 * client's side of it, HMAC-SHA256 of 64 bytes (HKDF is a few dozen of these per handshake), and each signature.
 *
 *   taskset -c 0 deno run -A bench/handshake_crypto.ts [noble|native] [ms per cell]
 *   taskset -c 0 bun bench/handshake_crypto.ts ...      taskset -c 0 node_modules/.bin/tsx bench/handshake_crypto.ts ...
 *
 * Prints one JSON line: runtime, provider, and µs per operation (median of 5 windows after a warm-up).
 */
import { generateKeyPairSync } from "node:crypto";
import process from "node:process";
import { nativeProvider, nobleProvider } from "../src/crypto/mod.ts";
import type { CryptoProvider, GroupName, KeyKind } from "../src/crypto/provider.ts";
import { SignatureScheme as S } from "../src/crypto/signature_scheme.ts";
import { currentRuntime } from "../src/runtime.ts";

const [which = "native", msArg = "300"] = process.argv.slice(2);
const provider: CryptoProvider = which === "noble" ? nobleProvider : nativeProvider();
const windowMs = Number(msArg);

/** µs per call of `op`: median of 5 timed windows of `windowMs / 5` each, after one warm-up window. */
async function measure(op: () => unknown | Promise<unknown>): Promise<number> {
  const window = async () => {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < windowMs / 5) {
      await op();
      n++;
    }
    return ((performance.now() - start) * 1000) / n;
  };
  await window();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await window());
  return runs.sort((a, b) => a - b)[2];
}

const round = (x: number) => Math.round(x * 10) / 10;
const results: Record<string, number> = {};

const groups: GroupName[] = [
  "x25519",
  "secp256r1",
  "secp384r1",
  "secp521r1",
  "x448",
  "X25519MLKEM768",
  "SecP256r1MLKEM768",
  "ffdhe2048",
];
for (const group of groups) {
  const kx = provider.keyExchange(group);
  const client = kx.generate();
  results[`server ${group}`] = round(await measure(() => kx.encapsulate(client.publicKey)));
  const answer = await kx.encapsulate(client.publicKey);
  results[`client ${group}`] = round(
    await measure(async () => await kx.generate().decapsulate(answer.keyExchange).catch(() => null)),
  );
}

const sha256 = provider.hash("SHA-256");
const key = provider.randomBytes(32), data = provider.randomBytes(64);
results["hmac-sha256 64 B"] = round(await measure(() => sha256.hmac(key, data)));

const keys: [KeyKind, number, () => ReturnType<typeof generateKeyPairSync>][] = [
  ["ecdsa-p256", S.ecdsa_secp256r1_sha256, () => generateKeyPairSync("ec", { namedCurve: "P-256" })],
  ["ed25519", S.ed25519, () => generateKeyPairSync("ed25519")],
  ["rsa", S.rsa_pss_rsae_sha256, () => generateKeyPairSync("rsa", { modulusLength: 2048 })],
];
const message = provider.randomBytes(130);
for (const [kind, scheme, gen] of keys) {
  const pkcs8 = new Uint8Array(gen().privateKey.export({ format: "der", type: "pkcs8" }));
  const signer = await provider.importSigningKey(pkcs8, kind);
  results[`sign ${kind}`] = round(await measure(() => signer.sign(scheme, message)));
}

const runtime = currentRuntime();
console.log(JSON.stringify({ runtime, provider: provider.name, results }));

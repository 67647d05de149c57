/**
 * Claim: both providers work on Bun and on Node (tsx), not only on Deno: the smoke script
 * (tests/fixtures/crypto_smoke.ts) passes every check under each runtime, and the native plan falls back to noble
 * exactly where that runtime's node:crypto lacks a cipher.
 */
import assert from "node:assert/strict";
import { command, type Runtime, runtimes } from "../_support/runtimes.ts";

const script = new URL("../fixtures/crypto_smoke.ts", import.meta.url).pathname;
const root = new URL("../..", import.meta.url).pathname;

interface SmokeReport {
  runtime: Runtime;
  plan: {
    aead: Record<string, string>;
    hmac: string;
    sign: Record<string, string>;
    verify: Record<string, string>;
    group: Record<string, string>;
    mlKem: string;
  };
  groups: string[];
  checks: { name: string; ok: boolean; error?: string }[];
}

async function smoke(runtime: Runtime): Promise<SmokeReport> {
  const [bin, ...args] = command(runtime, script);
  const out = await new Deno.Command(bin, { args, cwd: root, stdout: "piped", stderr: "piped" }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${runtime} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as SmokeReport;
}

/** What each runtime's node:crypto lacks (primitive-costs.md, "Path availability"). */
const fallbacks: Record<Runtime, Record<string, string>> = {
  deno: { "CHACHA20-POLY1305": "node:crypto", "AES-128-CCM": "noble", "AES-128-CCM-8": "noble" },
  bun: { "CHACHA20-POLY1305": "noble", "AES-128-CCM": "noble", "AES-128-CCM-8": "noble" },
  node: { "CHACHA20-POLY1305": "node:crypto", "AES-128-CCM": "node:crypto", "AES-128-CCM-8": "node:crypto" },
};

/** Groups whose node:crypto path a runtime lacks or makes slow (probed by the provider; see native.ts planFor). */
const groupPaths: Record<Runtime, Record<string, string>> = {
  deno: { x448: "node:crypto", secp521r1: "noble", ffdhe2048: "node:crypto", ffdhe4096: "node:crypto" },
  bun: { x448: "noble", secp521r1: "node:crypto", ffdhe2048: "noble", ffdhe4096: "noble" },
  node: { x448: "node:crypto", secp521r1: "node:crypto", ffdhe2048: "node:crypto", ffdhe4096: "node:crypto" },
};

/** [sign, verify] paths where a runtime differs: Bun has no Ed448, Deno's P-521 takes SHA-512 only (probed). */
const signPaths: Record<Runtime, Record<string, [string, string]>> = {
  deno: {
    ed448: ["node:crypto", "node:crypto"],
    "ecdsa-p521": ["noble", "noble"],
    "rsa-pss": ["node:crypto", "node:crypto"],
  },
  bun: {
    ed448: ["noble", "noble"],
    "ecdsa-p521": ["node:crypto", "node:crypto"],
    "rsa-pss": ["node:crypto", "node:crypto"],
  },
  node: {
    ed448: ["node:crypto", "node:crypto"],
    "ecdsa-p521": ["node:crypto", "node:crypto"],
    "rsa-pss": ["node:crypto", "node:crypto"],
  },
};

for (const runtime of runtimes) {
  Deno.test(`${runtime}: every AEAD, group and signature of both providers passes the smoke checks`, async () => {
    const report = await smoke(runtime);
    assert.equal(report.runtime, runtime);
    assert.deepEqual(report.checks.filter((c) => !c.ok), []);
    // 6 vector files + 5 AEADs x (seal alike, sealTo) + groups x (4 pairs + 2 refusals) + 2 signers x 11 schemes
    // + 2 x 2 hashes.
    assert.equal(report.groups.length, 11);
    for (const [group, path] of Object.entries(groupPaths[runtime])) {
      assert.equal(report.plan.group[group], path, group);
    }
    assert.equal(report.checks.length, 6 + 10 + 6 * report.groups.length + 22 + 4);
    for (const [kind, path] of Object.entries(signPaths[runtime])) {
      assert.deepEqual([report.plan.sign[kind], report.plan.verify[kind]], path, kind);
    }
    // ML-KEM: Deno's and Bun's WebCrypto have it, Node 20's has not (probed by the provider).
    assert.equal(report.plan.mlKem, runtime === "node" ? "noble" : "webcrypto");
    for (const [aead, path] of Object.entries(fallbacks[runtime])) assert.equal(report.plan.aead[aead], path, aead);
    assert.equal(report.plan.aead["AES-128-GCM"], "node:crypto");
  });
}

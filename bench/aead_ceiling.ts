/**
 * What the fastest AEAD path of a runtime can do alone: the ceiling for bulk transfer through our record layer.
 * Run by bench/run.ts under each runtime, pinned to CPU 0:
 *
 *   <runtime> bench/aead_ceiling.ts <seconds>
 *
 * Seals full 16 KiB records through the native provider's first-choice AEAD the way the record layer does
 * (`sealTo` into a preallocated buffer, a fresh nonce per record), then opens them, and prints one JSON line: MB of
 * plaintext per CPU-second each way (process.cpuUsage, all threads). A server cannot move more bytes per CPU-second
 * than this; bench/README.md compares the bulk rows with it.
 */
import process from "node:process";
import { nativeProvider } from "../src/crypto/mod.ts";

const seconds = Number(process.argv[2] ?? (globalThis as any).Deno?.args?.[0] ?? 2);
const provider = nativeProvider();
const aeadName = provider.preferredAeads![0];
const aead = provider.aead(aeadName);
const key = aead.importKey(provider.randomBytes(aead.keyLength));
const RECORD = 16 * 1024;
const content = provider.randomBytes(RECORD);
const header = Uint8Array.of(23, 3, 3, (RECORD + 1 + aead.tagLength) >> 8, (RECORD + 1 + aead.tagLength) & 0xff);
const nonce = new Uint8Array(12);
const sealed = new Uint8Array(RECORD + 1 + aead.tagLength);

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs `op` for `seconds` of wall time (after a short warm-up) and returns MB of plaintext per CPU-second. */
function rate(op: (i: number) => void): number {
  for (let i = 0; i < 200; i++) op(i);
  const c0 = cpuSeconds(), end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) op(n++);
  }
  return (n * RECORD) / 1e6 / (cpuSeconds() - c0);
}

const setNonce = (i: number) => new DataView(nonce.buffer).setUint32(8, i);
const seal = rate((i) => {
  setNonce(i);
  key.sealTo(nonce, header, content, 23, sealed, 0);
});
setNonce(0);
key.sealTo(nonce, header, content, 23, sealed, 0);
const open = rate(() => {
  if (key.open(nonce, header, sealed) === null) throw new Error("open failed");
});
console.log(
  JSON.stringify({ provider: provider.name, aead: aeadName, sealMbPerCpuSecond: seal, openMbPerCpuSecond: open }),
);

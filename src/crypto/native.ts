/**
 * The native provider: sync `node:crypto` where the runtime has a fast, correct path, @noble where it does not.
 * The choice is per runtime and per primitive, from ../shared/perf/primitive-costs.md (DESIGN.md, "TLS engine
 * inside"): WebCrypto is never used for the record path or HMAC, because every call costs 6-30 µs of fixed overhead
 * and a promise, more than a whole small-record seal+open through sync node:crypto.
 *
 * Availability is probed, not assumed: a path the plan wants but the runtime lacks (Bun has no node:crypto
 * ChaCha20-Poly1305, only Node has node:crypto AES-CCM) falls back to noble.
 */
import * as nc from "node:crypto";
import { currentRuntime, type Runtime } from "../runtime.ts";
import { dhExchange } from "./dh_exchange.ts";
import { type FfdheGroup, nodeFfdhe } from "./ffdhe.ts";
import { hybridExchange } from "./hybrid_groups.ts";
import { type MlKemName, nobleMlKem, webCryptoHasMlKem, webCryptoMlKem } from "./ml_kem.ts";
import { nodeDh, nodeHasGroup } from "./native_groups.ts";
import { dhShareChecks } from "./noble_groups.ts";
import { aeadSizes, checkNonce, makeAead, nobleProvider, pick, sealToBySeal } from "./noble.ts";
import { randomBytes } from "./random.ts";
import { nativeImportSigningKey, nativeVerifier, nodeHasSignature } from "./native_signatures.ts";
import type {
  Aead,
  AeadKey,
  AeadName,
  CryptoProvider,
  GroupName,
  Hash,
  HashName,
  KeyExchange,
  KeyKind,
  TranscriptHash,
} from "./provider.ts";

/** The runtimes the native provider has a plan for. */
export type RuntimeName = Runtime;
/** Where a primitive comes from: the runtime's node:crypto, or noble. */
export type Path = "node:crypto" | "noble";

/** The (EC)DHE groups, each on node:crypto or noble; the hybrids use these and `mlKem`. */
export type DhGroupName = Exclude<GroupName, "X25519MLKEM768" | "SecP256r1MLKEM768" | "SecP384r1MLKEM1024">;

/** Which implementation serves each primitive; `nativeProvider().plan` says what was chosen. */
export interface NativePlan {
  /** The runtime the plan is for. */
  readonly runtime: RuntimeName;
  /** One-shot hashes and transcript hashes. */
  readonly hash: Path;
  /** HMAC, i.e. HKDF: many 32-64 byte calls per handshake. */
  readonly hmac: Path;
  /** Each AEAD's implementation. */
  readonly aead: Readonly<Record<AeadName, Path>>;
  /** Each (EC)DHE and FFDHE group's implementation. */
  readonly group: Readonly<Record<DhGroupName, Path>>;
  /** ML-KEM's encapsulation and decapsulation (key generation is noble's everywhere: it must be synchronous). */
  readonly mlKem: "webcrypto" | "noble";
  /** Signing with our own key: node:crypto, or noble (WebCrypto for RSA) where the runtime lacks it or noble is faster. */
  readonly sign: Readonly<Record<KeyKind, Path>>;
  /** Verifying a peer's signature: node:crypto wherever the runtime has the key type. */
  readonly verify: Readonly<Record<KeyKind, Path>>;
}

/** node:crypto cipher names of the AEADs. */
const nodeCipher: Record<AeadName, nc.CipherGCMTypes | nc.CipherCCMTypes | "chacha20-poly1305"> = {
  "AES-128-GCM": "aes-128-gcm",
  "AES-256-GCM": "aes-256-gcm",
  "CHACHA20-POLY1305": "chacha20-poly1305",
  "AES-128-CCM": "aes-128-ccm",
  "AES-128-CCM-8": "aes-128-ccm",
};

const nodeHashName = { "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" } as const;

/** Buffers become plain Uint8Array views, so callers never see Buffer's different `slice`. */
const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * Seals and opens one small record to learn whether this runtime's node:crypto has the AEAD at all.
 * Bun throws ERR_CRYPTO_UNKNOWN_CIPHER for ChaCha20-Poly1305, Deno and Bun for AES-CCM.
 */
function nodeAeadWorks(name: AeadName): boolean {
  try {
    const key = new NodeAeadKey(name, new Uint8Array(aeadSizes[name].keyLength));
    const nonce = new Uint8Array(12);
    return key.open(nonce, nonce, key.seal(nonce, nonce, nonce))?.length === 12;
  } catch {
    return false;
  }
}

/**
 * The choices of primitive-costs.md ("Reading it"), re-checked through this provider (µs, taskset -c 0, noisy VM):
 * - AEAD: node:crypto everywhere it exists. Even on Deno, whose AES-GCM is slow on every path, node:crypto beats noble
 *   (AES-128-GCM seal+open 18 vs 48 µs at 64 B, 291 vs 1075 µs at 16 KiB). Node's AES-CCM: 42 vs 833 µs at 16 KiB.
 *   The key stays raw bytes: a createSecretKey KeyObject measured no faster (Bun, 16 KiB: 8.0 vs 6.1 µs).
 * - HMAC: noble on Deno (SHA-256, 64 B: 8 vs 18 µs), node:crypto on Bun (2.2 vs 17) and Node (2.9 vs 6.6).
 * - Hash and transcript: node:crypto (Deno, 1 KiB update + digest: 4.3 vs 9.8 µs; Bun 1.4 vs 10.7; Node 3.9 vs 9.1).
 * - ECDHE: node:crypto X25519 and createECDH everywhere (WebCrypto is async; noble is 1.5-35x slower).
 * - Signing: node:crypto, except ECDSA on Deno, where noble signs faster: P-256 491 vs 619 µs, P-384 588 vs 2767 µs.
 */
export function planFor(runtime: RuntimeName): NativePlan {
  const deno = runtime === "deno";
  const bun = runtime === "bun";
  // Probed: Bun's node:crypto has no Ed448; Deno's has P-521 with SHA-512 only.
  const ed448: Path = nodeHasSignature("ed448") ? "node:crypto" : "noble";
  const p521: Path = nodeHasSignature("ecdsa-p521") ? "node:crypto" : "noble";
  const aead = (name: AeadName): Path => (nodeAeadWorks(name) ? "node:crypto" : "noble");
  return {
    runtime,
    hash: "node:crypto",
    hmac: deno ? "noble" : "node:crypto",
    aead: {
      "AES-128-GCM": aead("AES-128-GCM"),
      "AES-256-GCM": aead("AES-256-GCM"),
      "CHACHA20-POLY1305": aead("CHACHA20-POLY1305"),
      "AES-128-CCM": aead("AES-128-CCM"),
      "AES-128-CCM-8": aead("AES-128-CCM-8"),
    },
    group: {
      x25519: "node:crypto",
      secp256r1: "node:crypto",
      secp384r1: "node:crypto",
      // Probed: Deno's node:crypto has no P-521, Bun's no X448.
      secp521r1: nodeHasGroup("secp521r1") ? "node:crypto" : "noble",
      x448: nodeHasGroup("x448") ? "node:crypto" : "noble",
      // Bun's createDiffieHellman checks the prime on every call (0.8 s for 2048 bits): noble's modular pow there.
      ffdhe2048: bun ? "noble" : "node:crypto",
      ffdhe3072: bun ? "noble" : "node:crypto",
      ffdhe4096: bun ? "noble" : "node:crypto",
    },
    // Probed: Deno's and Bun's WebCrypto have ML-KEM, Node 20's has not; node:crypto has none anywhere yet.
    mlKem: webCryptoHasMlKem() ? "webcrypto" : "noble",
    sign: {
      "ecdsa-p256": deno ? "noble" : "node:crypto",
      "ecdsa-p384": deno ? "noble" : "node:crypto",
      "ecdsa-p521": deno ? "noble" : p521,
      ed25519: "node:crypto",
      ed448,
      rsa: "node:crypto",
      "rsa-pss": "node:crypto",
    },
    verify: {
      "ecdsa-p256": "node:crypto",
      "ecdsa-p384": "node:crypto",
      "ecdsa-p521": p521,
      ed25519: "node:crypto",
      ed448,
      rsa: "node:crypto",
      "rsa-pss": "node:crypto",
    },
  };
}

// ---- Hashes ----

class NodeTranscript implements TranscriptHash {
  constructor(private readonly state: nc.Hash) {}
  update(data: Uint8Array): void {
    this.state.update(data);
  }
  /** Hash.copy() keeps the running state open (Node ≥ 13, Deno, Bun). */
  digest(): Uint8Array {
    return bytes(this.state.copy().digest());
  }
  clone(): TranscriptHash {
    return new NodeTranscript(this.state.copy());
  }
}

function nativeHash(name: HashName, plan: NativePlan): Hash {
  const noble = nobleProvider.hash(name);
  const alg = nodeHashName[name];
  const nodeHash: Pick<Hash, "hash" | "transcript"> = {
    hash: (data) => bytes(nc.createHash(alg).update(data).digest()),
    transcript: () => new NodeTranscript(nc.createHash(alg)),
  };
  const hashing = plan.hash === "noble" ? noble : nodeHash;
  return {
    name,
    outputLength: noble.outputLength,
    hash: hashing.hash,
    transcript: hashing.transcript,
    hmac: plan.hmac === "noble" ? noble.hmac : (key, data) => bytes(nc.createHmac(alg, key).update(data).digest()),
  };
}

// ---- AEADs ----

/** One-byte views for every trailer value, made once (a TLSInnerPlaintext content type is one byte). */
const TRAILERS: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i));

/**
 * node:crypto ciphers are one-shot objects, so one is made per record; the key bytes are kept in the AeadKey
 * (a KeyObject from createSecretKey measured no faster than the raw bytes, see planFor).
 */
class NodeAeadKey implements AeadKey {
  readonly #cipher: string;
  readonly #key: Uint8Array;
  readonly #tagLength: number;
  readonly #ccm: boolean;

  constructor(name: AeadName, key: Uint8Array) {
    this.#cipher = nodeCipher[name];
    this.#key = key;
    this.#tagLength = aeadSizes[name].tagLength;
    this.#ccm = name.startsWith("AES-128-CCM");
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkNonce(nonce);
    const c = nc.createCipheriv(this.#cipher as nc.CipherGCMTypes, this.#key, nonce, {
      authTagLength: this.#tagLength,
    });
    // Node's CCM needs the message length up front (RFC 3610 puts it in B_0).
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const out = new Uint8Array(plaintext.length + this.#tagLength);
    const body = c.update(plaintext);
    out.set(body);
    out.set(c.final(), body.length);
    out.set(c.getAuthTag(), plaintext.length);
    return out;
  }

  /**
   * Two `update` calls (content, then the trailer byte) instead of joining them: no copy of the content. CCM
   * takes a single `update` (it needs the length up front), so it joins them.
   */
  sealTo(nonce: Uint8Array, aad: Uint8Array, content: Uint8Array, trailer: number, out: Uint8Array, offset: number) {
    if (this.#ccm) return sealToBySeal(this, nonce, aad, content, trailer, out, offset);
    checkNonce(nonce);
    const c = nc.createCipheriv(this.#cipher as nc.CipherGCMTypes, this.#key, nonce, {
      authTagLength: this.#tagLength,
    });
    c.setAAD(aad, { plaintextLength: content.length + 1 });
    let o = offset;
    for (const part of [c.update(content), c.update(TRAILERS[trailer]), c.final()]) {
      out.set(part, o);
      o += part.length;
    }
    out.set(c.getAuthTag(), o);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    checkNonce(nonce);
    const n = ciphertextAndTag.length - this.#tagLength;
    if (n < 0) return null;
    const d = nc.createDecipheriv(this.#cipher as nc.CipherGCMTypes, this.#key, nonce, {
      authTagLength: this.#tagLength,
    });
    d.setAuthTag(ciphertextAndTag.subarray(n));
    d.setAAD(aad, { plaintextLength: n });
    let body: Uint8Array, tail: Uint8Array;
    try {
      body = d.update(ciphertextAndTag.subarray(0, n));
      // final() is where GCM and ChaCha20-Poly1305 check the tag (CCM checks it in update, and final throws too).
      tail = d.final();
    } catch {
      return null;
    }
    if (tail.length === 0) return bytes(body);
    const out = new Uint8Array(n);
    out.set(body);
    out.set(tail, body.length);
    return out;
  }
}

function nativeAead(name: AeadName, plan: NativePlan): Aead {
  if (plan.aead[name] === "noble") return nobleProvider.aead(name);
  return makeAead(name, (key) => new NodeAeadKey(name, key));
}

// ---- Key exchange (RFC 8446 §4.2.8.2, §7.4; draft-ietf-tls-ecdhe-mlkem) ----

function nativeExchanges(plan: NativePlan): Record<GroupName, KeyExchange> {
  const dh = (g: keyof typeof nodeDh) =>
    plan.group[g] === "noble" ? nobleProvider.keyExchange(g) : dhExchange(g, nodeDh[g], dhShareChecks[g]);
  const ecdh = { x25519: dh("x25519"), secp256r1: dh("secp256r1"), secp384r1: dh("secp384r1") };
  const ffdhe = (g: FfdheGroup) =>
    plan.group[g] === "noble" ? nobleProvider.keyExchange(g) : dhExchange(g, nodeFfdhe(g, randomBytes));
  const mlKem = (name: MlKemName) =>
    plan.mlKem === "webcrypto" ? webCryptoMlKem(name, randomBytes) : nobleMlKem(name, randomBytes);
  const kem768 = mlKem("ML-KEM-768");
  return {
    ...ecdh,
    secp521r1: dh("secp521r1"),
    x448: dh("x448"),
    ffdhe2048: ffdhe("ffdhe2048"),
    ffdhe3072: ffdhe("ffdhe3072"),
    ffdhe4096: ffdhe("ffdhe4096"),
    X25519MLKEM768: hybridExchange("X25519MLKEM768", ecdh.x25519, kem768),
    SecP256r1MLKEM768: hybridExchange("SecP256r1MLKEM768", ecdh.secp256r1, kem768),
    SecP384r1MLKEM1024: hybridExchange("SecP384r1MLKEM1024", ecdh.secp384r1, mlKem("ML-KEM-1024")),
  };
}

/**
 * The native provider, which says which implementation it chose for each primitive (`plan`), for tests and benchmarks.
 */
export type NativeProvider = CryptoProvider & { readonly plan: NativePlan };

/**
 * primitive-costs.md: Deno's AES-GCM is slow on every path while its node:crypto ChaCha20-Poly1305 is fast
 * (16 KiB: 59 vs 363 MB/s); elsewhere node:crypto AES-GCM is the fastest; noble's ChaCha beats noble's AES-GCM.
 */
function preferredAeads(plan: NativePlan): AeadName[] {
  const chachaFirst = plan.runtime === "deno" || plan.aead["AES-128-GCM"] === "noble";
  return chachaFirst
    ? ["CHACHA20-POLY1305", "AES-128-GCM", "AES-256-GCM"]
    : ["AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"];
}

/**
 * Server encapsulation per group, µs (bench/handshake_crypto.ts and in-process A/B runs, taskset -c 0, on a busy
 * 2-core machine, so ±30 %): X25519 is the cheapest everywhere once Node's X25519 skips the DER round trips
 * (Node 105 vs P-256 113; Deno 100 vs 720; Bun 55 vs 65). Then: Node x448 390, ffdhe2048 860, P-384 2400, P-521
 * 5000+; Deno P-384 1700, ffdhe2048 1450, X448 2000, P-521 (noble) 4400; Bun P-384 1100, ffdhe2048 (noble) 840,
 * X448 (noble) 2600, P-521 2650.
 */
function preferredGroups(plan: NativePlan): GroupName[] {
  const tail: GroupName[] = ["ffdhe3072", "ffdhe4096"];
  if (plan.runtime === "node") return ["x25519", "secp256r1", "x448", "ffdhe2048", "secp384r1", "secp521r1", ...tail];
  if (plan.runtime === "deno") return ["x25519", "secp256r1", "ffdhe2048", "secp384r1", "x448", "secp521r1", ...tail];
  return ["x25519", "secp256r1", "ffdhe2048", "secp384r1", "x448", "secp521r1", ...tail];
}

/** A native provider for `runtime` (detected by default; forcing another runtime's plan is for tests). */
export function nativeProvider(options: { runtime?: RuntimeName } = {}): NativeProvider {
  const runtime = currentRuntime();
  const plan = planFor(options.runtime ?? runtime);
  const hashes = { "SHA-256": nativeHash("SHA-256", plan), "SHA-384": nativeHash("SHA-384", plan) };
  const aeads = Object.fromEntries(
    (Object.keys(aeadSizes) as AeadName[]).map((name) => [name, nativeAead(name, plan)]),
  ) as Record<AeadName, Aead>;
  const exchanges = nativeExchanges(plan);
  return {
    name: plan.runtime === runtime ? `native(${runtime})` : `native(${plan.runtime} plan on ${runtime})`,
    plan,
    preferredAeads: preferredAeads(plan),
    preferredGroups: preferredGroups(plan),
    hash: (name) => pick(hashes, name, "hash"),
    aead: (name) => pick(aeads, name, "AEAD"),
    keyExchange: (group) => pick(exchanges, group, "group"),
    importSigningKey: (pkcs8, kind) => nativeImportSigningKey(plan.sign, pkcs8, kind),
    verify: nativeVerifier(plan.verify),
    randomBytes,
  };
}

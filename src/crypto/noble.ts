/**
 * The default provider: pure TypeScript on @noble (hashes, ciphers, curves), the same bytes on every runtime.
 * RSA, which noble lacks, goes through WebCrypto (see rsa_webcrypto.ts). AES-CCM is ours (aes_ccm.ts).
 */
import { bytesEqual } from "../bytes.ts";
import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { type _HMAC, hmac } from "@noble/hashes/hmac.js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { AesCcm } from "./aes_ccm.ts";
import { dhExchange } from "./dh_exchange.ts";
import { type FfdheGroup, nobleFfdhe } from "./ffdhe.ts";
import { hybridExchange } from "./hybrid_groups.ts";
import { nobleMlKem } from "./ml_kem.ts";
import { randomBytes } from "./random.ts";
import { dhShareChecks, nobleDh } from "./noble_groups.ts";
import type {
  Aead,
  AeadKey,
  AeadName,
  CryptoProvider,
  GroupName,
  Hash,
  HashName,
  KeyExchange,
  TranscriptHash,
} from "./provider.ts";
import { nobleImportSigningKey, nobleVerify } from "./noble_signatures.ts";

// ---- Hashes (RFC 8446 §4.4.1 transcript, RFC 2104 HMAC for HKDF) ----

type NobleHashFn = typeof sha256 | typeof sha384;
type NobleHashState = ReturnType<NobleHashFn["create"]>;

class NobleTranscript implements TranscriptHash {
  constructor(private readonly state: NobleHashState) {}
  update(data: Uint8Array): void {
    this.state.update(data);
  }
  /** Finalizes a copy, so the running hash can keep taking messages. */
  digest(): Uint8Array {
    return this.state.clone().digest();
  }
  clone(): TranscriptHash {
    return new NobleTranscript(this.state.clone());
  }
}

/** noble's HMAC state, as its class declares it (hmac.create's return type wraps it in TRet). */
type KeyedHmac = _HMAC<NobleHashState>;

/**
 * HMAC with the keyed state of the last few keys kept: HKDF expands the same PRK several times in a row (RFC 8446
 * §7.1), and copying a keyed state skips hashing the two key pads again (HMAC-SHA256 of 64 bytes on Deno: 6.0 →
 * 4.6 µs; Node 6.5 → 3.1). The copy goes into one scratch state per kept key (`_cloneInto`), not a new object graph
 * per call (≈ 11 → 3 µs on Deno in a loop that also collects garbage). A few recent keys, not one state per key
 * ever used: a state per traffic secret would live as long as the connection keeps the secret (for KeyUpdate),
 * ~1.7 KB of every idle connection's heap. The key's bytes are compared on every hit, so a key changed in place
 * never meets a stale state.
 */
function cachedHmac(fn: NobleHashFn): (key: Uint8Array, data: Uint8Array) => Uint8Array {
  const recent: { ref: Uint8Array; key: Uint8Array; state: KeyedHmac; scratch: KeyedHmac }[] = [];
  return (key, data) => {
    let hit = recent.find((r) => r.ref === key);
    if (!hit || !bytesEqual(hit.key, key)) {
      if (hit) recent.splice(recent.indexOf(hit), 1);
      const state = hmac.create(fn, key) as KeyedHmac;
      hit = { ref: key, key: key.slice(), state, scratch: state.clone() };
      recent.unshift(hit);
      if (recent.length > RECENT_HMAC_KEYS) recent.pop();
    }
    return hit.state._cloneInto(hit.scratch).update(data).digest();
  };
}

/** Enough for the PRKs one handshake step expands in turn, shared by every connection. */
const RECENT_HMAC_KEYS = 4;

function nobleHash(name: HashName, fn: NobleHashFn): Hash {
  return {
    name,
    outputLength: fn.outputLen,
    hash: (data) => fn(data),
    hmac: cachedHmac(fn),
    transcript: () => new NobleTranscript(fn.create()),
  };
}

const hashes: Record<HashName, Hash> = {
  "SHA-256": nobleHash("SHA-256", sha256),
  "SHA-384": nobleHash("SHA-384", sha384),
};

// ---- AEADs (RFC 8446 §5.2; suites of §B.4) ----

/** Key and tag sizes of the TLS 1.3 AEADs; the nonce is always 12 bytes (RFC 8446 §5.3). */
export const aeadSizes: Record<AeadName, { keyLength: number; tagLength: number }> = {
  "AES-128-GCM": { keyLength: 16, tagLength: 16 },
  "AES-256-GCM": { keyLength: 32, tagLength: 16 },
  "CHACHA20-POLY1305": { keyLength: 32, tagLength: 16 },
  "AES-128-CCM": { keyLength: 16, tagLength: 16 },
  "AES-128-CCM-8": { keyLength: 16, tagLength: 8 },
};

export const NONCE_LENGTH = 12;

/** Builds an Aead whose importKey checks the key size and hands the key to `make`. */
export function makeAead(name: AeadName, make: (key: Uint8Array) => AeadKey): Aead {
  const { keyLength, tagLength } = aeadSizes[name];
  return {
    name,
    keyLength,
    nonceLength: NONCE_LENGTH,
    tagLength,
    importKey(key) {
      if (key.length !== keyLength) throw new RangeError(`${name} key must be ${keyLength} bytes, not ${key.length}`);
      return make(key.slice());
    },
  };
}

export function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== NONCE_LENGTH) throw new RangeError(`AEAD nonce must be ${NONCE_LENGTH} bytes`);
}

type NobleCipher = typeof gcm | typeof chacha20poly1305;

/**
 * `AeadKey.sealTo` for keys that only seal whole plaintexts: content and trailer are joined, sealed, and copied
 * out. Pure-JS AEADs cost far more than these copies.
 */
export function sealToBySeal(
  key: Pick<AeadKey, "seal">,
  nonce: Uint8Array,
  aad: Uint8Array,
  content: Uint8Array,
  trailer: number,
  out: Uint8Array,
  offset: number,
): void {
  const inner = new Uint8Array(content.length + 1);
  inner.set(content);
  inner[content.length] = trailer;
  out.set(key.seal(nonce, aad, inner), offset);
}

/** noble's GCM and ChaCha20-Poly1305 take the key per call; its decrypt throws on a bad tag, which we turn into null. */
class NobleAeadKey implements AeadKey {
  constructor(private readonly cipher: NobleCipher, private readonly key: Uint8Array) {}
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkNonce(nonce);
    return this.cipher(this.key, nonce, aad).encrypt(plaintext);
  }
  sealTo(nonce: Uint8Array, aad: Uint8Array, content: Uint8Array, trailer: number, out: Uint8Array, offset: number) {
    sealToBySeal(this, nonce, aad, content, trailer, out, offset);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    checkNonce(nonce);
    if (ciphertextAndTag.length < 16) return null;
    try {
      return this.cipher(this.key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      return null;
    }
  }
}

const aeads: Record<AeadName, Aead> = {
  "AES-128-GCM": makeAead("AES-128-GCM", (k) => new NobleAeadKey(gcm, k)),
  "AES-256-GCM": makeAead("AES-256-GCM", (k) => new NobleAeadKey(gcm, k)),
  "CHACHA20-POLY1305": makeAead("CHACHA20-POLY1305", (k) => new NobleAeadKey(chacha20poly1305, k)),
  "AES-128-CCM": makeAead("AES-128-CCM", (k) => new AesCcm(k, 16)),
  "AES-128-CCM-8": makeAead("AES-128-CCM-8", (k) => new AesCcm(k, 8)),
};

// ---- Key exchange (RFC 8446 §4.2.8.2, §7.4; draft-ietf-tls-ecdhe-mlkem) ----

function nobleExchanges(): Record<GroupName, KeyExchange> {
  const dh = (g: keyof typeof nobleDh) => dhExchange(g, nobleDh[g], dhShareChecks[g]);
  const ecdh = { x25519: dh("x25519"), secp256r1: dh("secp256r1"), secp384r1: dh("secp384r1") };
  const ffdhe = (g: FfdheGroup) => dhExchange(g, nobleFfdhe(g, randomBytes));
  const kem768 = nobleMlKem("ML-KEM-768", randomBytes);
  return {
    ...ecdh,
    secp521r1: dh("secp521r1"),
    x448: dh("x448"),
    ffdhe2048: ffdhe("ffdhe2048"),
    ffdhe3072: ffdhe("ffdhe3072"),
    ffdhe4096: ffdhe("ffdhe4096"),
    X25519MLKEM768: hybridExchange("X25519MLKEM768", ecdh.x25519, kem768),
    SecP256r1MLKEM768: hybridExchange("SecP256r1MLKEM768", ecdh.secp256r1, kem768),
    SecP384r1MLKEM1024: hybridExchange("SecP384r1MLKEM1024", ecdh.secp384r1, nobleMlKem("ML-KEM-1024", randomBytes)),
  };
}

/** Looks `name` up in a provider table; an unknown name is a caller bug. */
export function pick<T>(table: Record<string, T>, name: string, what: string): T {
  const found = Object.hasOwn(table, name) ? table[name] : undefined;
  if (found === undefined) throw new TypeError(`unknown ${what} ${name}`);
  return found;
}

const exchanges = nobleExchanges();

/** The pure TypeScript provider: every primitive from the audited @noble packages, the same on every runtime. */
export const nobleProvider: CryptoProvider = {
  // noble rebuilds the AES key schedule and GHASH table per call; its ChaCha20-Poly1305 is 2-4x faster.
  preferredAeads: ["CHACHA20-POLY1305", "AES-128-GCM", "AES-256-GCM"],
  // Server encapsulation, µs (Deno, taskset -c 0, busy machine): x25519 520, P-256 1130, then dearer.
  preferredGroups: ["x25519", "secp256r1", "secp384r1", "x448", "secp521r1", "ffdhe2048", "ffdhe3072", "ffdhe4096"],
  name: "noble",
  hash: (name) => pick(hashes, name, "hash"),
  aead: (name) => pick(aeads, name, "AEAD"),
  keyExchange: (group) => pick(exchanges, group, "group"),
  importSigningKey: nobleImportSigningKey,
  verify: nobleVerify,
  randomBytes,
};

/**
 * ML-KEM (FIPS 203) for the hybrid groups, on @noble/post-quantum and, where a runtime has it, WebCrypto.
 *
 * The client's key pair is made synchronously (a client builds its ClientHello when it is made), so key generation
 * is always noble's, from a 64-byte seed (d‖z, FIPS 203 §7.1); WebCrypto, where present, imports that same seed to
 * decapsulate. The server's encapsulation goes through WebCrypto where present: on Deno and Bun it is 5-8x cheaper
 * than noble (measured, see DESIGN.md). Every path runs our FIPS 203 §7.2 checks first, because not every native
 * one does (Deno imports an encapsulation key whose coefficients are not below q).
 */
import { ml_kem1024, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { CryptoError } from "./errors.ts";
import { checkLength, checkMlKemEncapsulationKey } from "./key_share_checks.ts";

export type MlKemName = "ML-KEM-768" | "ML-KEM-1024";

/** A client's ML-KEM key pair for one handshake. */
export interface MlKemKeyPair {
  readonly encapsulationKey: Uint8Array;
  /** FIPS 203 §7.3, after draft-ietf-tls-ecdhe-mlkem §4's ciphertext length check (else invalid_key_share). */
  decapsulate(ciphertext: Uint8Array): Promise<Uint8Array>;
}

export interface MlKem {
  readonly name: MlKemName;
  readonly path: "noble" | "webcrypto";
  readonly encapsulationKeyLength: number;
  readonly ciphertextLength: number;
  keygen(): MlKemKeyPair;
  /** FIPS 203 §7.2, after the encapsulation key check (else invalid_key_share). */
  encapsulate(encapsulationKey: Uint8Array): Promise<{ ciphertext: Uint8Array; sharedSecret: Uint8Array }>;
}

/** FIPS 203 Table 3: module rank k, |ek| = 384k + 32, |ct| = 32(du·k + dv). */
const sets = {
  "ML-KEM-768": { noble: ml_kem768, k: 3, ek: 1184, ct: 1088 },
  "ML-KEM-1024": { noble: ml_kem1024, k: 4, ek: 1568, ct: 1568 },
} as const;

/** FIPS 203 §7.1 seed for ML-KEM.KeyGen_internal: d ‖ z, 32 bytes each. */
const SEED_LENGTH = 64;

export function nobleMlKem(name: MlKemName, random: (n: number) => Uint8Array): MlKem {
  const set = sets[name];
  const keygen = () => set.noble.keygen(random(SEED_LENGTH));
  return {
    name,
    path: "noble",
    encapsulationKeyLength: set.ek,
    ciphertextLength: set.ct,
    keygen() {
      const { publicKey, secretKey } = keygen();
      return {
        encapsulationKey: publicKey,
        decapsulate: (ct) =>
          new Promise((resolve) => {
            checkLength(ct, set.ct, `${name} ciphertext`);
            resolve(set.noble.decapsulate(ct, secretKey));
          }),
      };
    },
    encapsulate: (ek) =>
      new Promise((resolve) => {
        checkMlKemEncapsulationKey(ek, set.k);
        // FIPS 203 §7.2's message m: 32 bytes from our generator, which draws in blocks (random.ts), rather than
        // noble's own draw of 32; it is the shared secret's preimage, so it is wiped after use.
        const m = random(32);
        const { cipherText, sharedSecret } = set.noble.encapsulate(ek, m);
        m.fill(0);
        resolve({ ciphertext: cipherText, sharedSecret });
      }),
  };
}

type Subtle = SubtleCrypto & {
  encapsulateBits?(alg: { name: string }, key: CryptoKey): Promise<{ ciphertext: ArrayBuffer; sharedKey: ArrayBuffer }>;
  decapsulateBits?(alg: { name: string }, key: CryptoKey, ciphertext: BufferSource): Promise<ArrayBuffer>;
};

const subtle = () => globalThis.crypto.subtle as Subtle;

/** Whether this runtime's WebCrypto has ML-KEM at all (WICG "Modern Algorithms in WebCrypto"); Node 20's has not. */
export function webCryptoHasMlKem(): boolean {
  return typeof subtle().encapsulateBits === "function" && typeof subtle().decapsulateBits === "function";
}

/** A DOMException WebCrypto throws when the algorithm or key format is missing, as opposed to bad key data. */
const unsupported = (e: unknown) => (e as Error)?.name === "NotSupportedError" || e instanceof TypeError;

/**
 * ML-KEM through WebCrypto with noble behind it: the first NotSupportedError (a runtime that lists encapsulateBits
 * but lacks the parameter set) switches this instance to noble for good.
 */
export function webCryptoMlKem(name: MlKemName, random: (n: number) => Uint8Array): MlKem {
  const set = sets[name];
  const noble = nobleMlKem(name, random);
  const alg = { name };
  let available = webCryptoHasMlKem();
  const own = (b: Uint8Array) => new Uint8Array(b) as Uint8Array<ArrayBuffer>;

  async function encapsulate(ek: Uint8Array) {
    checkMlKemEncapsulationKey(ek, set.k);
    if (!available) return await noble.encapsulate(ek);
    let key: CryptoKey;
    try {
      key = await subtle().importKey("raw-public", own(ek), alg, false, ["encapsulateBits" as KeyUsage]);
    } catch (e) {
      if (!unsupported(e)) throw new CryptoError("invalid_key_share", `invalid ${name} key: ${(e as Error).message}`);
      available = false;
      return await noble.encapsulate(ek);
    }
    const { ciphertext, sharedKey } = await subtle().encapsulateBits!(alg, key);
    return { ciphertext: new Uint8Array(ciphertext), sharedSecret: new Uint8Array(sharedKey) };
  }

  function keygen(): MlKemKeyPair {
    const seed = random(SEED_LENGTH);
    const { publicKey, secretKey } = set.noble.keygen(seed);
    return {
      encapsulationKey: publicKey,
      async decapsulate(ct) {
        checkLength(ct, set.ct, `${name} ciphertext`);
        if (available) {
          try {
            const key = await subtle().importKey("raw-seed", own(seed), alg, false, ["decapsulateBits" as KeyUsage]);
            return new Uint8Array(await subtle().decapsulateBits!(alg, key, own(ct)));
          } catch (e) {
            if (!unsupported(e)) throw e;
            available = false;
          }
        }
        return set.noble.decapsulate(ct, secretKey);
      },
    };
  }

  return {
    name,
    get path() {
      return available ? "webcrypto" : "noble";
    },
    encapsulationKeyLength: set.ek,
    ciphertextLength: set.ct,
    keygen,
    encapsulate,
  };
}

/**
 * Finite-field DHE groups ffdhe2048/3072/4096 (RFC 7919, in TLS 1.3 by RFC 8446 §4.2.7), with RFC 8446 §4.2.8.1's
 * rules: a share is Y left-padded to the size of p, a peer's Y must satisfy 1 < Y < p-1, and the shared secret is
 * left-padded to the size of p (§7.4.1).
 *
 * Two paths for the modular exponentiation, both audited code: node:crypto's DiffieHellman, and @noble/curves'
 * modular `pow` for the portable provider and for Bun, whose createDiffieHellman runs a full DH_check of the
 * prime on every call (0.8 s for ffdhe2048, measured).
 */
import * as nc from "node:crypto";
import { pow } from "@noble/curves/abstract/modular.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { fromHex } from "../bytes.ts";
import type { DhKeyPair } from "./dh_exchange.ts";
import { CryptoError } from "./errors.ts";
import { ffdhePrimeHex } from "./ffdhe_primes.ts";
import { checkFfdheShare, leftPad } from "./key_share_checks.ts";

export type FfdheGroup = keyof typeof ffdhePrimeHex;

/**
 * RFC 7919 §5.2: the private exponent needs twice the group's security strength in bits, not the size of p
 * (225, 275 and 325 bits); a short exponent makes both exponentiations several times cheaper.
 */
const exponentBits: Record<FfdheGroup, number> = { ffdhe2048: 225, ffdhe3072: 275, ffdhe4096: 325 };

export interface FfdheParams {
  readonly prime: Uint8Array;
  readonly p: bigint;
  readonly exponentBytes: number;
}

const params = Object.fromEntries(
  (Object.keys(ffdhePrimeHex) as FfdheGroup[]).map((g) => {
    const prime = fromHex(ffdhePrimeHex[g]);
    return [g, { prime, p: bytesToNumberBE(prime), exponentBytes: Math.ceil(exponentBits[g] / 8) }];
  }),
) as Record<FfdheGroup, FfdheParams>;

export const ffdheParams = (group: FfdheGroup): FfdheParams => params[group];

/** A random private exponent of the group's size, never 0 or 1 (a chance of 2^-224 or less, still checked). */
function privateExponent(size: number, random: (n: number) => Uint8Array): Uint8Array {
  for (;;) {
    const x = random(size);
    let high = 0;
    for (let i = 0; i < size - 1; i++) high |= x[i];
    if (high !== 0 || x[size - 1] > 1) return x;
  }
}

/** The shared secret is never 1 for a Y that passed the range check (p is a safe prime); checked all the same. */
function checkSecret(secret: Uint8Array): Uint8Array {
  let high = 0;
  for (let i = 0; i < secret.length - 1; i++) high |= secret[i];
  if (high === 0 && secret[secret.length - 1] <= 1) {
    throw new CryptoError("invalid_shared_secret", "FFDHE shared secret is 0 or 1");
  }
  return secret;
}

/** Key pairs on noble's modular exponentiation (square-and-multiply on bigints, like noble's curves). */
export function nobleFfdhe(group: FfdheGroup, random: (n: number) => Uint8Array): () => DhKeyPair {
  const { prime, p, exponentBytes } = params[group];
  return () => {
    const x = bytesToNumberBE(privateExponent(exponentBytes, random));
    return {
      publicKey: numberToBytesBE(pow(2n, x, p), prime.length),
      agree(peer) {
        checkFfdheShare(peer, prime);
        return checkSecret(numberToBytesBE(pow(bytesToNumberBE(peer), x, p), prime.length));
      },
    };
  };
}

/** Key pairs on node:crypto's DiffieHellman, with our short private exponent set before the public value is made. */
export function nodeFfdhe(group: FfdheGroup, random: (n: number) => Uint8Array): () => DhKeyPair {
  const { prime, exponentBytes } = params[group];
  return () => {
    const dh = nc.createDiffieHellman(prime, 2);
    dh.setPrivateKey(privateExponent(exponentBytes, random));
    const publicKey = leftPad(new Uint8Array(dh.generateKeys()), prime.length);
    return {
      publicKey,
      agree(peer) {
        checkFfdheShare(peer, prime);
        let secret: Uint8Array;
        try {
          secret = new Uint8Array(dh.computeSecret(peer));
        } catch (e) {
          throw new CryptoError("invalid_key_share", `invalid FFDHE key share: ${(e as Error).message}`);
        }
        return checkSecret(leftPad(secret, prime.length));
      },
    };
  };
}

/**
 * The (EC)DHE groups on node:crypto, which all three runtimes have (Node's is OpenSSL, Bun's BoringSSL, Deno's its
 * own Rust): X25519 through KeyObjects, the NIST curves through createECDH, whose raw uncompressed points are the
 * TLS encoding (RFC 8446 §4.2.8.2) and whose computeSecret returns the X coordinate (§7.4.2).
 */
import type { Buffer } from "node:buffer";
import * as nc from "node:crypto";
import type { DhKeyPair } from "./dh_exchange.ts";
import { CryptoError } from "./errors.ts";
import { checkEcShare, checkMontgomeryShare, checkNonZeroSecret } from "./key_share_checks.ts";

/** Buffers become plain Uint8Array views, so callers never see Buffer's different `slice`. */
const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** The DER SubjectPublicKeyInfo header of an X25519 key (RFC 8410 §4); the 32 raw bytes follow it. */
const X25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);

function x25519Agree(privateKey: nc.KeyObject, peer: Uint8Array): Uint8Array {
  checkMontgomeryShare(peer, 32, "X25519");
  const spki = new Uint8Array(X25519_SPKI_PREFIX.length + 32);
  spki.set(X25519_SPKI_PREFIX);
  spki.set(peer, X25519_SPKI_PREFIX.length);
  let secret: Uint8Array;
  try {
    const publicKey = nc.createPublicKey({ key: spki as Buffer, format: "der", type: "spki" });
    secret = nc.diffieHellman({ privateKey, publicKey });
  } catch (e) {
    // OpenSSL and Deno refuse to derive an all-zero secret (RFC 7748 §6.1); that is the low-order point case.
    throw new CryptoError("invalid_shared_secret", `invalid X25519 key share: ${(e as Error).message}`);
  }
  return checkNonZeroSecret(bytes(secret), "X25519");
}

function nodeX25519(): DhKeyPair {
  const { privateKey, publicKey } = nc.generateKeyPairSync("x25519");
  const spki = publicKey.export({ format: "der", type: "spki" });
  return {
    publicKey: new Uint8Array(spki.subarray(X25519_SPKI_PREFIX.length)),
    agree: (peer) => x25519Agree(privateKey, peer),
  };
}

/** createECDH key pairs on `curve` (OpenSSL's name). */
function nodeEcdh(curve: string, fieldLength: number): () => DhKeyPair {
  return () => {
    const ecdh = nc.createECDH(curve);
    return {
      publicKey: new Uint8Array(ecdh.generateKeys()),
      agree(peer) {
        checkEcShare(peer, fieldLength);
        try {
          // computeSecret refuses points off the curve ("Public key is not valid for specified curve").
          return bytes(ecdh.computeSecret(peer));
        } catch (e) {
          throw new CryptoError("invalid_key_share", `invalid ECDHE key share: ${(e as Error).message}`);
        }
      },
    };
  };
}

export const nodeDh = {
  x25519: nodeX25519,
  secp256r1: nodeEcdh("prime256v1", 32),
  secp384r1: nodeEcdh("secp384r1", 48),
} as const;

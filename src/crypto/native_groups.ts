/**
 * The ECDHE groups on node:crypto, which all three runtimes have (Node's is OpenSSL, Bun's BoringSSL, Deno's its
 * own Rust), where they have the curve: X25519 and X448 through KeyObjects, the NIST curves through createECDH, whose raw uncompressed points are the
 * TLS encoding (RFC 8446 §4.2.8.2) and whose computeSecret returns the X coordinate (§7.4.2).
 */
import { Buffer } from "node:buffer";
import * as nc from "node:crypto";
import type { DhKeyPair } from "./dh_exchange.ts";
import { CryptoError } from "./errors.ts";
import { checkEcShare, checkMontgomeryShare, checkNonZeroSecret } from "./key_share_checks.ts";

/** Buffers become plain Uint8Array views, so callers never see Buffer's different `slice`. */
const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const montgomery = {
  x25519: { name: "X25519", crv: "X25519", length: 32 },
  x448: { name: "X448", crv: "X448", length: 56 },
} as const;

type MontgomeryType = keyof typeof montgomery;

/**
 * The peer's raw u-coordinate as a KeyObject through JWK (RFC 8037 §2), not DER: on Node, OpenSSL 3's DER decoder
 * makes createPublicKey 100-200 µs and export to SPKI 80-130 µs, the JWK paths 6-25 µs, and a server's X25519
 * exchange goes from 300-435 to 105-145 µs (bench/handshake_crypto.ts, busy machine). Deno and Bun: within noise.
 */
function montgomeryAgree(type: MontgomeryType, privateKey: nc.KeyObject, peer: Uint8Array): Uint8Array {
  const { name, crv, length } = montgomery[type];
  checkMontgomeryShare(peer, length, name);
  const x = Buffer.from(peer.buffer, peer.byteOffset, peer.byteLength).toString("base64url");
  let secret: Uint8Array;
  try {
    const publicKey = nc.createPublicKey({ key: { kty: "OKP", crv, x }, format: "jwk" });
    secret = nc.diffieHellman({ privateKey, publicKey });
  } catch (e) {
    // OpenSSL and Deno refuse to derive an all-zero secret (RFC 7748 §6.1); that is the low-order point case.
    throw new CryptoError("invalid_shared_secret", `invalid ${name} key share: ${(e as Error).message}`);
  }
  return checkNonZeroSecret(bytes(secret), name);
}

/** X25519 / X448 key pairs through KeyObjects (node:crypto has no raw-bytes API for them), raw bytes via JWK. */
function nodeMontgomery(type: MontgomeryType): () => DhKeyPair {
  return () => {
    const { privateKey, publicKey } = nc.generateKeyPairSync(type as "x25519");
    return {
      publicKey: bytes(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url")),
      agree: (peer) => montgomeryAgree(type, privateKey, peer),
    };
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
  x25519: nodeMontgomery("x25519"),
  x448: nodeMontgomery("x448"),
  secp256r1: nodeEcdh("prime256v1", 32),
  secp384r1: nodeEcdh("secp384r1", 48),
  secp521r1: nodeEcdh("secp521r1", 66),
} as const;

/**
 * Whether this runtime's node:crypto has the group at all, tried once with a real agreement: Bun (BoringSSL) has no
 * X448, Deno's node:crypto no P-521.
 */
export function nodeHasGroup(group: keyof typeof nodeDh): boolean {
  try {
    const a = nodeDh[group](), b = nodeDh[group]();
    return a.agree(b.publicKey).length > 0;
  } catch {
    return false;
  }
}

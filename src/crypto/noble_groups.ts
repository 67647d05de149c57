/**
 * The ECDHE groups on @noble/curves: X25519 and X448 (RFC 7748) and the NIST curves P-256, P-384 and P-521
 * (RFC 8446 §4.2.8.2, §7.4.2). Portable and the same bytes on every runtime; the native provider uses them where a
 * runtime's node:crypto lacks the curve.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { x448 } from "@noble/curves/ed448.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import type { DhKeyPair } from "./dh_exchange.ts";
import { CryptoError } from "./errors.ts";
import { checkEcShare, checkMontgomeryShare, checkNonZeroSecret } from "./key_share_checks.ts";

type Montgomery = typeof x25519 | typeof x448;
type Weierstrass = typeof p256 | typeof p384 | typeof p521;

/** X25519 / X448: a peer u-coordinate of the right length; an all-zero result is invalid_shared_secret. */
function montgomeryPair(curve: Montgomery, name: string, length: number): () => DhKeyPair {
  return () => {
    const secret = curve.utils.randomSecretKey();
    return {
      publicKey: curve.getPublicKey(secret),
      agree(peer) {
        checkMontgomeryShare(peer, length, name);
        let shared: Uint8Array;
        try {
          shared = curve.getSharedSecret(secret, peer);
        } catch (e) {
          // noble refuses low-order points, whose result would be all zeros (RFC 7748 §6), before the ladder.
          throw new CryptoError("invalid_shared_secret", `invalid ${name} key share: ${(e as Error).message}`);
        }
        return checkNonZeroSecret(shared, name);
      },
    };
  };
}

/** NIST curves: the peer's point must be uncompressed, on the curve and not the identity (RFC 8446 §4.2.8.2). */
function weierstrassPair(curve: Weierstrass, fieldLength: number): () => DhKeyPair {
  return () => {
    const secret = curve.utils.randomSecretKey();
    return {
      publicKey: curve.getPublicKey(secret, false),
      agree(peer) {
        checkEcShare(peer, fieldLength);
        let point: Uint8Array;
        try {
          // Point.fromBytes inside checks the point is on the curve and not the identity.
          point = curve.getSharedSecret(secret, peer, true);
        } catch (e) {
          throw new CryptoError("invalid_key_share", `invalid ECDHE key share: ${(e as Error).message}`);
        }
        // RFC 8446 §7.4.2: the shared secret is the X coordinate only, at the field's full size.
        return point.subarray(1);
      },
    };
  };
}

export const nobleDh = {
  x25519: montgomeryPair(x25519, "X25519", 32),
  x448: montgomeryPair(x448, "X448", 56),
  secp256r1: weierstrassPair(p256, 32),
  secp384r1: weierstrassPair(p384, 48),
  secp521r1: weierstrassPair(p521, 66),
} as const;

/** Share checks that run before a server makes its key pair, so a malformed share costs no key generation. */
export const dhShareChecks = {
  x25519: (peer: Uint8Array) => checkMontgomeryShare(peer, 32, "X25519"),
  x448: (peer: Uint8Array) => checkMontgomeryShare(peer, 56, "X448"),
  secp256r1: (peer: Uint8Array) => checkEcShare(peer, 32),
  secp384r1: (peer: Uint8Array) => checkEcShare(peer, 48),
  secp521r1: (peer: Uint8Array) => checkEcShare(peer, 66),
} as const;

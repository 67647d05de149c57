/**
 * The checks the RFCs ask for on a peer's key share before or after the primitive runs, shared by both providers
 * so that they refuse exactly the same bytes. These are range and length checks only: the arithmetic itself is the
 * primitive's (DESIGN.md, "TLS engine inside").
 */
import { CryptoError } from "./errors.ts";

/** RFC 8446 §4.2.8.2: X25519 and X448 shares are the raw u-coordinate, 32 and 56 bytes. */
export function checkMontgomeryShare(peer: Uint8Array, length: number, name: string): void {
  if (peer.length !== length) throw new CryptoError("invalid_key_share", `${name} key share must be ${length} bytes`);
}

/** RFC 8446 §7.4.2: an all-zero X25519 or X448 result means the peer sent a low-order point; abort. */
export function checkNonZeroSecret(secret: Uint8Array, name: string): Uint8Array {
  if (secret.every((b) => b === 0)) {
    throw new CryptoError("invalid_shared_secret", `${name} shared secret is all zeros`);
  }
  return secret;
}

/** RFC 8446 §4.2.8.2: NIST curve shares are uncompressed points, 0x04 || X || Y, nothing else. */
export function checkEcShare(peer: Uint8Array, fieldLength: number): void {
  if (peer.length !== 1 + 2 * fieldLength || peer[0] !== 4) {
    throw new CryptoError("invalid_key_share", "ECDHE key share is not an uncompressed point");
  }
}

/**
 * RFC 8446 §4.2.8.1: an FFDHE share is Y left-padded to the size of p, and "peers MUST validate each other's public
 * key Y by ensuring that 1 < Y < p-1". Big-endian byte comparison, so no number is built.
 */
export function checkFfdheShare(peer: Uint8Array, prime: Uint8Array): void {
  if (peer.length !== prime.length) {
    throw new CryptoError("invalid_key_share", `FFDHE key share must be ${prime.length} bytes, not ${peer.length}`);
  }
  let high = 0;
  for (let i = 0; i < peer.length - 1; i++) high |= peer[i];
  if (high === 0 && peer[peer.length - 1] <= 1) throw new CryptoError("invalid_key_share", "FFDHE key share Y <= 1");
  // p is odd, so p-1 differs from p in the last byte only.
  for (let i = 0; i < peer.length; i++) {
    const limit = i === peer.length - 1 ? prime[i] - 1 : prime[i];
    if (peer[i] < limit) return;
    if (peer[i] > limit) break;
  }
  throw new CryptoError("invalid_key_share", "FFDHE key share Y >= p-1");
}

/** `value` left-padded with zeros to `length` bytes (RFC 8446 §4.2.8.1 and §7.4.1 pad FFDHE values to |p|). */
export function leftPad(value: Uint8Array, length: number): Uint8Array {
  if (value.length === length) return value;
  if (value.length > length) throw new RangeError(`${value.length} bytes do not fit in ${length}`);
  const out = new Uint8Array(length);
  out.set(value, length - value.length);
  return out;
}

/** The ML-KEM modulus q (FIPS 203 §2.4). */
const Q = 3329;

/**
 * FIPS 203 §7.2 "encapsulation key check", which draft-ietf-tls-ecdhe-mlkem §4 makes the server run (else
 * illegal_parameter): the length is 384k + 32, and every 12-bit coefficient of the encoded vector t̂ is below q
 * (ByteEncode12(ByteDecode12(ek)) = ek; §4.2.1). Runs before any path, because not every native one checks.
 */
export function checkMlKemEncapsulationKey(ek: Uint8Array, k: number): void {
  const vectorLength = 384 * k;
  if (ek.length !== vectorLength + 32) {
    throw new CryptoError("invalid_key_share", `ML-KEM encapsulation key must be ${vectorLength + 32} bytes`);
  }
  // Three bytes hold two little-endian 12-bit coefficients.
  for (let i = 0; i < vectorLength; i += 3) {
    const a = ek[i] | ((ek[i + 1] & 0x0f) << 8);
    const b = (ek[i + 1] >> 4) | (ek[i + 2] << 4);
    if (a >= Q || b >= Q) {
      throw new CryptoError("invalid_key_share", "ML-KEM encapsulation key fails the modulus check");
    }
  }
}

/** draft-ietf-tls-ecdhe-mlkem §4: the client checks that the ciphertext has the parameter set's length. */
export function checkLength(share: Uint8Array, length: number, what: string): void {
  if (share.length !== length) {
    throw new CryptoError("invalid_key_share", `${what} must be ${length} bytes, not ${share.length}`);
  }
}

/**
 * Signatures on @noble/curves (RFC 8446 §4.2.3, §4.4.3): ECDSA on P-256, P-384 and P-521, Ed25519 and Ed448
 * (RFC 8032). RSA, which noble lacks, goes through WebCrypto (rsa_webcrypto.ts), id-RSASSA-PSS keys in their
 * rsaEncryption form (key_der.ts, asRsaEncryption) with the scheme checked against the key's parameters here.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { ed448 } from "@noble/curves/ed448.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { CryptoError } from "./errors.ts";
import { asRsaEncryption, type PrivateKeyInfo, readPkcs8, readSpki } from "./key_der.ts";
import type { KeyKind, SigningKey } from "./provider.ts";
import { WebCryptoRsaSigner, webCryptoRsaVerify } from "./rsa_webcrypto.ts";
import { type SchemeHash, type SchemeInfo, signingScheme, verifyingScheme } from "./schemes.ts";
import { settle } from "./settle.ts";

const ecdsaCurves = { "ecdsa-p256": p256, "ecdsa-p384": p384, "ecdsa-p521": p521 } as const;
const eddsa = { ed25519, ed448 } as const;

type EcdsaKind = keyof typeof ecdsaCurves;
const isEcdsa = (kind: KeyKind): kind is EcdsaKind => kind in ecdsaCurves;

const widened = new Set<EcdsaKind>();

/**
 * Signing is a multiplication of the fixed generator, which noble speeds up with wNAF tables (W = 6 by default).
 * W = 8 signs P-256 10-15 % faster (Deno, median 267-300 → 244-255 µs; P-384 440 → 380 µs; taskset -c 0, busy
 * machine) for about 200 ms and 1.2 MiB of heap (P-384: 1.5 MiB) once per curve, spent here, when the server loads
 * its key, instead of in its first handshake. Wider windows gained nothing measurable.
 */
function widenBaseTable(kind: EcdsaKind): void {
  if (widened.has(kind)) return;
  ecdsaCurves[kind].Point.BASE.precompute(8, false);
  widened.add(kind);
}

/** A noble signer for the EC and EdDSA kinds: ECDSA signatures DER-encoded as TLS wants them (RFC 8446 §4.2.3). */
export function nobleSigningKey(info: PrivateKeyInfo): SigningKey {
  const { kind, key } = info;
  if (kind === "ed25519" || kind === "ed448") {
    const curve = eddsa[kind];
    return {
      kind,
      sign: (scheme, msg) =>
        settle(() => {
          signingScheme(kind, scheme);
          return curve.sign(msg, key);
        }),
    };
  }
  if (!isEcdsa(kind)) throw new TypeError("noble has no RSA");
  const curve = ecdsaCurves[kind];
  if (!curve.utils.isValidSecretKey(key)) throw new TypeError(`invalid ${kind} private key`);
  widenBaseTable(kind);
  return {
    kind,
    sign: (scheme, msg) =>
      settle(() => {
        signingScheme(kind, scheme);
        // The curve's own hash is the scheme's hash (SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521).
        return curve.sign(msg, key, { format: "der", prehash: true });
      }),
  };
}

/** An RSA signer through WebCrypto; `info.key` is the PKCS#8 in rsaEncryption form. */
export async function webCryptoRsaSigningKey(info: PrivateKeyInfo): Promise<SigningKey> {
  const { kind, pssHash } = info;
  const rsa = await WebCryptoRsaSigner.import(info.key);
  return { kind, sign: async (scheme, msg) => await rsa.sign(signingScheme(kind, scheme, pssHash).hash!, msg) };
}

export async function nobleImportSigningKey(pkcs8: Uint8Array, kind: KeyKind): Promise<SigningKey> {
  const info = readPkcs8(pkcs8, kind);
  if (kind === "rsa" || kind === "rsa-pss") return await webCryptoRsaSigningKey(info);
  return nobleSigningKey(info);
}

/** The digest an ECDSA scheme signs (RFC 8446 §4.2.3; for certificates, the hash of RFC 5758 §3.2). */
const ecdsaDigests: Record<SchemeHash, (message: Uint8Array) => Uint8Array> = {
  "SHA-256": sha256,
  "SHA-384": sha384,
  "SHA-512": sha512,
};

/** Verifies EC and EdDSA signatures with noble. An EC key that is not a valid point is invalid_public_key. */
export function nobleVerifyCurve(info: SchemeInfo, publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array) {
  const { kind } = info;
  if (kind === "ed25519" || kind === "ed448") {
    // RFC 8032 §5.1.7, §5.2.7: a key or signature that does not decode just fails verification.
    try {
      return kind === "ed25519"
        ? ed25519.verify(sig, message, publicKey, { zip215: false })
        : ed448.verify(sig, message, publicKey);
    } catch {
      return false;
    }
  }
  if (!isEcdsa(kind)) throw new TypeError("noble has no RSA");
  const curve = ecdsaCurves[kind];
  try {
    curve.Point.fromBytes(publicKey);
  } catch (e) {
    throw new CryptoError("invalid_public_key", `invalid ${kind} public key: ${(e as Error).message}`);
  }
  // The scheme's hash, not the curve's: a certificate may pair P-384 with SHA-256. noble truncates a longer
  // digest to the bit length of the order (SEC 1 v2 §4.1.4, step 5), as OpenSSL does.
  const digest = ecdsaDigests[info.hash!](message);
  try {
    // lowS: false accepts both halves of s, as OpenSSL and WebCrypto do.
    return curve.verify(sig, digest, publicKey, { format: "der", prehash: false, lowS: false });
  } catch {
    return false;
  }
}

export async function nobleVerify(spki: Uint8Array, scheme: number, message: Uint8Array, signature: Uint8Array) {
  const key = readSpki(spki);
  const info = verifyingScheme(key, scheme);
  if (info.kind === "rsa") return await webCryptoRsaVerify(spki, info, message, signature);
  if (info.kind === "rsa-pss") return await webCryptoRsaVerify(asRsaEncryption(spki), info, message, signature);
  return nobleVerifyCurve(info, key!.key, message, signature);
}

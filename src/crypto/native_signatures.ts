/**
 * Signatures on node:crypto (RFC 8446 §4.2.3, §4.4.3), with noble where the plan says so: where a runtime lacks the
 * key type (Bun has no Ed448) or where noble measured faster (ECDSA signing on Deno). id-RSASSA-PSS keys are used in
 * their rsaEncryption form (key_der.ts, asRsaEncryption), which every runtime imports, with the scheme checked against
 * the key's parameters (schemes.ts).
 */
import { Buffer } from "node:buffer";
import * as nc from "node:crypto";
import { CryptoError } from "./errors.ts";
import { asRsaEncryption, type PrivateKeyInfo, readPkcs8, readSpki } from "./key_der.ts";
import { nobleSigningKey, nobleVerifyCurve, webCryptoRsaSigningKey } from "./noble_signatures.ts";
import type { KeyKind, SigningKey } from "./provider.ts";
import { schemeHashLength, type SchemeInfo, signingScheme, verifyingScheme } from "./schemes.ts";
import { settle } from "./settle.ts";

export type SignPath = "node:crypto" | "noble";

const nodeHashName = { "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" } as const;

/** Buffers become plain Uint8Array views, so callers never see Buffer's different `slice`. */
const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** The node:crypto sign/verify algorithm and options of a scheme. */
function nodeSigParams(info: SchemeInfo, key: nc.KeyObject) {
  const alg = info.hash === null ? null : nodeHashName[info.hash];
  if (info.kind === "ed25519" || info.kind === "ed448") return { alg, opts: key };
  if (info.rsaPadding === null) return { alg, opts: { key, dsaEncoding: "der" as const } };
  if (info.rsaPadding === "pkcs1") return { alg, opts: { key, padding: nc.constants.RSA_PKCS1_PADDING } };
  // RFC 8446 §4.2.3: PSS salt length equals the digest length.
  const saltLength = schemeHashLength(info.hash!);
  return { alg, opts: { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength } };
}

function nodeSigningKey(info: PrivateKeyInfo, pkcs8: Uint8Array): SigningKey {
  const { kind, pssHash } = info;
  // An id-RSASSA-PSS key goes in as rsaEncryption (readPkcs8 rewrote it); the others as given.
  const der = kind === "rsa-pss" ? info.key : pkcs8;
  const key = nc.createPrivateKey({ key: der as Buffer, format: "der", type: "pkcs8" });
  return {
    kind,
    sign: (scheme, message) =>
      settle(() => {
        const { alg, opts } = nodeSigParams(signingScheme(kind, scheme, pssHash), key);
        return bytes(nc.sign(alg, message, opts));
      }),
  };
}

export async function nativeImportSigningKey(
  paths: Readonly<Record<KeyKind, SignPath>>,
  pkcs8: Uint8Array,
  kind: KeyKind,
): Promise<SigningKey> {
  // Parsed here too, so both providers accept and refuse the same keys.
  const info = readPkcs8(pkcs8, kind);
  if (paths[kind] === "node:crypto") return await settle(() => nodeSigningKey(info, pkcs8));
  return kind === "rsa" || kind === "rsa-pss" ? await webCryptoRsaSigningKey(info) : nobleSigningKey(info);
}

/**
 * Public keys that verify imported, keyed by their SPKI bytes, least recently used dropped first (a Map iterates
 * in insertion order). A client checks the same CA and server keys on every handshake, and Node's createPublicKey
 * costs 110-160 µs, often more than the verify itself. verify() per call on Node, without → with the cache (µs,
 * taskset -c 0, noisy VM): Ed25519 390 → 245, P-256 450 → 145, RSA-2048 340 → 60. Deno and Bun import in 1-13 µs,
 * so there it is within noise. Keys that fail to import are not kept.
 */
class PublicKeyCache {
  readonly #keys = new Map<string, nc.KeyObject>();
  constructor(private readonly limit: number) {}

  /** Throws what createPublicKey throws for bytes that are not a key it can use. */
  get(spki: Uint8Array): nc.KeyObject {
    // latin1 maps each byte to one UTF-16 unit: a unique id, made in native code (under 1 µs for 300 bytes).
    const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString("latin1");
    let key = this.#keys.get(id);
    if (key) {
      this.#keys.delete(id);
    } else {
      key = nc.createPublicKey({ key: spki as Buffer, format: "der", type: "spki" });
      if (this.#keys.size >= this.limit) this.#keys.delete(this.#keys.keys().next().value!);
    }
    this.#keys.set(id, key);
    return key;
  }
}

const publicKeys = new PublicKeyCache(64);

/** A verify() that takes node:crypto for the kinds `paths` gives it, noble (or WebCrypto RSA) for the rest. */
export function nativeVerifier(paths: Readonly<Record<KeyKind, SignPath>>) {
  return (spki: Uint8Array, scheme: number, message: Uint8Array, signature: Uint8Array): Promise<boolean> =>
    settle(() => {
      const parsed = readSpki(spki);
      const info = verifyingScheme(parsed, scheme);
      if (paths[info.kind] === "noble") return nobleVerifyCurve(info, parsed!.key, message, signature);
      let key: nc.KeyObject;
      try {
        // Refuses EC points that are not on the curve, as noble's Point.fromBytes does.
        key = publicKeys.get(info.kind === "rsa-pss" ? asRsaEncryption(spki) : spki);
      } catch (e) {
        // RFC 8032 §5.1.7: an EdDSA key that does not decode fails verification (Deno refuses it at import).
        if (info.kind === "ed25519" || info.kind === "ed448") return false;
        throw new CryptoError("invalid_public_key", `invalid ${info.kind} public key: ${(e as Error).message}`);
      }
      // The scheme's hash, which for a certificate need not be the curve's (CertificateSignatureScheme).
      const { alg, opts } = nodeSigParams(info, key);
      try {
        return nc.verify(alg, message, opts, signature);
      } catch {
        return false;
      }
    });
}

/**
 * Whether this runtime's node:crypto signs and verifies with these keys at all, tried once: Bun's BoringSSL has no
 * Ed448, and Deno's node:crypto signs and verifies P-521 with SHA-512 only, while certificates pair any SHA-2 with it.
 */
export function nodeHasSignature(kind: "ed448" | "ecdsa-p521"): boolean {
  try {
    const message = new Uint8Array(8);
    if (kind === "ed448") {
      const { privateKey, publicKey } = nc.generateKeyPairSync("ed448");
      return nc.verify(null, message, publicKey, nc.sign(null, message, privateKey));
    }
    const { privateKey, publicKey } = nc.generateKeyPairSync("ec", { namedCurve: "P-521" });
    return nc.verify("sha256", message, publicKey, nc.sign("sha256", message, privateKey));
  } catch {
    return false;
  }
}

/**
 * RSA through WebCrypto, which Deno, Bun and Node all have: @noble has no RSA. Used by the noble provider for
 * rsa_pss_rsae_* CertificateVerify signatures and for verifying PKCS#1 v1.5 certificate signatures.
 */
import { CryptoError } from "./errors.ts";
import type { SchemeHash, SchemeInfo } from "./schemes.ts";
import { schemeHashLength } from "./schemes.ts";

const subtle = () => globalThis.crypto.subtle;

/** WebCrypto wants ArrayBuffer-backed views; ours may sit on any buffer. */
const own = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/** An RSA private key imported once per hash (WebCrypto binds the hash to the CryptoKey). */
export class WebCryptoRsaSigner {
  readonly #pkcs8: Uint8Array<ArrayBuffer>;
  readonly #keys = new Map<SchemeHash, Promise<CryptoKey>>();

  private constructor(pkcs8: Uint8Array) {
    this.#pkcs8 = own(pkcs8);
  }

  /** Imports the key for SHA-256 straight away so that a bad key fails at load, not at the first handshake. */
  static async import(pkcs8: Uint8Array): Promise<WebCryptoRsaSigner> {
    const signer = new WebCryptoRsaSigner(pkcs8);
    await signer.#key("SHA-256");
    return signer;
  }

  /** RSASSA-PSS with MGF1 on the same hash and salt length = hash length (RFC 8446 §4.2.3). */
  async sign(hash: SchemeHash, message: Uint8Array): Promise<Uint8Array> {
    const key = await this.#key(hash);
    const params = { name: "RSA-PSS", saltLength: schemeHashLength(hash) };
    return new Uint8Array(await subtle().sign(params, key, own(message)));
  }

  #key(hash: SchemeHash): Promise<CryptoKey> {
    let key = this.#keys.get(hash);
    if (!key) {
      key = subtle().importKey("pkcs8", this.#pkcs8, { name: "RSA-PSS", hash }, false, ["sign"]);
      this.#keys.set(hash, key);
    }
    return key;
  }
}

/**
 * Verifies an RSA signature under `info` (PSS or PKCS#1 v1.5). False for a bad signature; CryptoError invalid_public_key
 * when the SPKI does not import as an RSA key.
 */
export async function webCryptoRsaVerify(
  spki: Uint8Array,
  info: SchemeInfo,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const hash = info.hash!;
  const pss = info.rsaPadding === "pss";
  const name = pss ? "RSA-PSS" : "RSASSA-PKCS1-v1_5";
  let key: CryptoKey;
  try {
    key = await subtle().importKey("spki", own(spki), { name, hash }, false, ["verify"]);
  } catch (e) {
    throw new CryptoError("invalid_public_key", `invalid RSA public key: ${(e as Error).message}`);
  }
  const params = pss ? { name, saltLength: schemeHashLength(hash) } : { name };
  try {
    return await subtle().verify(params, key, own(signature), own(message));
  } catch {
    return false;
  }
}

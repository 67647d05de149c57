/**
 * Key pairs for signature tests that not every runtime's node:crypto can make: id-RSASSA-PSS keys (Deno cannot export
 * one, Bun cannot make one) are rsaEncryption keys rewritten with the PSS algorithm, and Ed448 keys (Bun has none)
 * come from noble. DER in, DER out; the providers under test never see how the key was made.
 */
import { generateKeyPairSync } from "node:crypto";
import { ed448 } from "@noble/curves/ed448.js";
import { fromHex, toHex } from "../../src/bytes.ts";

export interface DerKeyPair {
  pkcs8: Uint8Array;
  spki: Uint8Array;
}

/** RSASSA-PSS-params for SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 §3.1), as OpenSSL writes them. */
export const PSS_SHA256_PARAMS =
  "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120";

/**
 * An rsaEncryption SPKI or PKCS#8 rewritten with the id-RSASSA-PSS algorithm (RFC 4055 §3.1) and `params` (hex of
 * RSASSA-PSS-params, or none); the outer SEQUENCE's two-byte length is adjusted.
 */
export function asPssKey(der: Uint8Array, params = ""): Uint8Array {
  const algBody = "06092a864886f70d01010a" + params;
  const alg = "30" + (algBody.length / 2).toString(16).padStart(2, "0") + algBody;
  const text = toHex(der);
  if (!text.startsWith("3082")) throw new Error("expected a two-byte outer length");
  const body = text.slice(8).replace("300d06092a864886f70d0101010500", alg);
  return fromHex("3082" + (body.length / 2).toString(16).padStart(4, "0") + body);
}

/** A 2048-bit id-RSASSA-PSS key pair, with `params` (hex) or without parameters. */
export function rsaPssKeyPair(params = ""): DerKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pkcs8: asPssKey(new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })), params),
    spki: asPssKey(new Uint8Array(publicKey.export({ format: "der", type: "spki" })), params),
  };
}

/** An Ed448 key pair from noble, in RFC 8410 DER. */
export function ed448KeyPair(): DerKeyPair {
  const seed = ed448.utils.randomSecretKey();
  return {
    pkcs8: fromHex("3047020100300506032b6571043b0439" + toHex(seed)),
    spki: fromHex("3043300506032b6571033a00" + toHex(ed448.getPublicKey(seed))),
  };
}

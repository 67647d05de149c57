/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): what kind of key a certificate carries, and its key material in
 * a form that can be compared with the public half of a private key.
 */
import type { KeyKind } from "../../crypto/provider.ts";
import { decodeBitString, decodeOid, decodeUnsigned, DerError, DerReader, parseDer, Tag, type Tlv } from "./der.ts";
import { Oid } from "./oids.ts";

/** The key kinds we can sign with, plus the ones we can recognise and name but not use. */
export type PublicKeyAlgorithm = KeyKind | "ecdsa-p521" | "ecdsa-other" | "rsa-pss" | "ed448" | "unknown";

/** A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), decoded as far as TLS needs. */
export interface PublicKeyInfo {
  /** The key's algorithm. */
  readonly algorithm: PublicKeyAlgorithm;
  /** The algorithm OID, and the named curve for EC keys. */
  readonly oid: string;
  /** The named curve's OID, for EC keys. */
  readonly curve?: string;
  /** The subjectPublicKey bits: an EC point, a raw Ed25519 key, or an RSAPublicKey DER. */
  readonly key: Uint8Array;
  /** For RSA keys: the modulus and exponent without sign octets, and the modulus size in bits. */
  readonly rsa?: { readonly modulus: Uint8Array; readonly exponent: Uint8Array; readonly bits: number };
  /** The whole SubjectPublicKeyInfo DER, as the crypto provider's verify() takes it. */
  readonly spki: Uint8Array;
}

/** Parses a SubjectPublicKeyInfo, given as DER or as an already-read element. Throws DerError. */
export function parseSpki(spki: Uint8Array | Tlv): PublicKeyInfo {
  const tlv = spki instanceof Uint8Array ? parseDer(spki) : spki;
  const fields = DerReader.of(tlv, Tag.SEQUENCE, "SubjectPublicKeyInfo");
  const alg = DerReader.of(fields.next(Tag.SEQUENCE, "algorithm"), Tag.SEQUENCE, "algorithm");
  const oid = decodeOid(alg.next(Tag.OID, "algorithm OID"));
  const params = alg.done ? undefined : alg.next();
  const bits = decodeBitString(fields.next(Tag.BIT_STRING, "subjectPublicKey"));
  fields.end("SubjectPublicKeyInfo");
  if (bits.unused !== 0) throw new DerError("subjectPublicKey is not whole octets");
  const key = bits.bytes;
  const base = { oid, key, spki: tlv.raw };
  switch (oid) {
    case Oid.ecPublicKey: {
      // RFC 5480 §2.1.1: namedCurve only; explicit curve parameters are not allowed in PKIX.
      if (params?.tag !== Tag.OID) return { ...base, algorithm: "ecdsa-other" };
      const curve = decodeOid(params);
      return { ...base, curve, algorithm: ecAlgorithm(curve) };
    }
    case Oid.rsaEncryption:
      return { ...base, algorithm: "rsa", rsa: parseRsaPublicKey(key) };
    case Oid.rsassaPss:
      return { ...base, algorithm: "rsa-pss", rsa: parseRsaPublicKey(key) };
    case Oid.ed25519:
      if (key.length !== 32) throw new DerError("Ed25519 public key is not 32 bytes");
      return { ...base, algorithm: "ed25519" };
    case Oid.ed448:
      return { ...base, algorithm: "ed448" };
    default:
      return { ...base, algorithm: "unknown" };
  }
}

export function ecAlgorithm(curve: string): PublicKeyAlgorithm {
  if (curve === Oid.prime256v1) return "ecdsa-p256";
  if (curve === Oid.secp384r1) return "ecdsa-p384";
  if (curve === Oid.secp521r1) return "ecdsa-p521";
  return "ecdsa-other";
}

/** RFC 8017 §A.1.1 RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
function parseRsaPublicKey(der: Uint8Array): { modulus: Uint8Array; exponent: Uint8Array; bits: number } {
  const fields = DerReader.of(parseDer(der), Tag.SEQUENCE, "RSAPublicKey");
  const modulus = decodeUnsigned(fields.next(Tag.INTEGER, "modulus"));
  const exponent = decodeUnsigned(fields.next(Tag.INTEGER, "publicExponent"));
  fields.end("RSAPublicKey");
  return { modulus, exponent, bits: bitLength(modulus) };
}

export function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0 || (magnitude.length === 1 && magnitude[0] === 0)) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]));
}

/** Human names for error messages. */
export function describeAlgorithm(algorithm: PublicKeyAlgorithm, curve?: string): string {
  switch (algorithm) {
    case "ecdsa-p256":
      return "ECDSA P-256";
    case "ecdsa-p384":
      return "ECDSA P-384";
    case "ecdsa-p521":
      return "ECDSA P-521";
    case "ecdsa-other":
      return curve ? `ECDSA on curve ${curve}` : "ECDSA with explicit curve parameters";
    case "ed25519":
      return "Ed25519";
    case "ed448":
      return "Ed448";
    case "rsa":
      return "RSA";
    case "rsa-pss":
      return "RSA-PSS (id-RSASSA-PSS key)";
    case "unknown":
      return "an unknown algorithm";
  }
}

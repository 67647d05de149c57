/**
 * Just enough DER to open the two key containers the providers take: PKCS#8 private keys (RFC 5208 §5,
 * RFC 5958 §2) and SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), and to tell which KeyKind they hold.
 * Certificates themselves are parsed elsewhere (src/tls/pki); this only reads keys.
 */
import { fromHex, toHex } from "../bytes.ts";
import { CryptoError } from "./errors.ts";
import type { KeyKind } from "./provider.ts";
import { type SchemeHash, schemeHashLength } from "./scheme_hash.ts";

/** Object identifiers, as the hex of their DER contents. */
const OID = {
  ecPublicKey: "2a8648ce3d0201", // 1.2.840.10045.2.1, RFC 5480 §2.1.1
  prime256v1: "2a8648ce3d030107", // 1.2.840.10045.3.1.7
  secp384r1: "2b81040022", // 1.3.132.0.34
  secp521r1: "2b81040023", // 1.3.132.0.35
  ed25519: "2b6570", // 1.3.101.112, RFC 8410 §3
  ed448: "2b6571", // 1.3.101.113, RFC 8410 §3
  rsaEncryption: "2a864886f70d010101", // 1.2.840.113549.1.1.1, RFC 8017 App. C
  rsassaPss: "2a864886f70d01010a", // 1.2.840.113549.1.1.10, RFC 4055 §3.1
  mgf1: "2a864886f70d010108", // 1.2.840.113549.1.1.8
  sha256: "608648016503040201", // 2.16.840.1.101.3.4.2.1
  sha384: "608648016503040202",
  sha512: "608648016503040203",
} as const;

const hashByOid: Record<string, SchemeHash> = {
  [OID.sha256]: "SHA-256",
  [OID.sha384]: "SHA-384",
  [OID.sha512]: "SHA-512",
};

const TAG = { integer: 0x02, bitString: 0x03, octetString: 0x04, oid: 0x06, sequence: 0x30 } as const;

interface Tlv {
  tag: number;
  value: Uint8Array;
}

/**
 * What an id-RSASSA-PSS key's parameters allow (RFC 4055 §3.1): absent parameters allow any PSS hash; present ones
 * fix the hash (and MGF1 with it), or allow nothing we implement ("unusable": SHA-1, another MGF, a long salt).
 */
export type PssRestriction = SchemeHash | "unusable" | undefined;

/** A public key from an SPKI: the EC point, the raw EdDSA bytes, or the RSAPublicKey DER. */
export interface PublicKeyInfo {
  kind: KeyKind;
  key: Uint8Array;
  /** rsa-pss keys only. */
  pssHash?: PssRestriction;
}

/** A private key from a PKCS#8: the EC scalar (left-padded to the curve size), the EdDSA seed, or, for RSA,
 *  the whole PKCS#8 in its rsaEncryption form (RSA goes to WebCrypto / node:crypto, see asRsaEncryption). */
export interface PrivateKeyInfo {
  kind: KeyKind;
  key: Uint8Array;
  /** rsa-pss keys only. */
  pssHash?: PssRestriction;
}

function fail(reason: string): never {
  throw new CryptoError("malformed_der", reason);
}

/** Reads one TLV at `offset`; single-byte tags only, definite lengths only (DER, X.690 §10.1). */
function readTlv(buf: Uint8Array, offset: number): Tlv & { end: number } {
  if (offset + 2 > buf.length) fail("truncated DER");
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) fail("multi-byte DER tag");
  let length = buf[offset + 1];
  let pos = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) fail("unsupported DER length");
    if (pos + n > buf.length) fail("truncated DER length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos + i];
    pos += n;
  }
  if (pos + length > buf.length) fail("DER value overruns its container");
  return { tag, value: buf.subarray(pos, pos + length), end: pos + length };
}

/** The elements of a constructed value, in order. */
function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < value.length;) {
    const t = readTlv(value, off);
    out.push(t);
    off = t.end;
  }
  return out;
}

/** Parses a whole buffer as exactly one value with tag `tag`. */
function single(buf: Uint8Array, tag: number, what: string): Uint8Array {
  const t = readTlv(buf, 0);
  if (t.tag !== tag || t.end !== buf.length) fail(`malformed ${what}`);
  return t.value;
}

function expectTag(t: Tlv | undefined, tag: number, what: string): Uint8Array {
  if (!t || t.tag !== tag) fail(`malformed ${what}`);
  return t.value;
}

const curves: Record<string, KeyKind> = {
  [OID.prime256v1]: "ecdsa-p256",
  [OID.secp384r1]: "ecdsa-p384",
  [OID.secp521r1]: "ecdsa-p521",
};

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2) to KeyKind, or null for an algorithm we do not implement. */
function algorithmOf(algorithmIdentifier: Uint8Array): { kind: KeyKind; pssHash?: PssRestriction } | null {
  const [alg, params] = children(algorithmIdentifier);
  const oid = toHex(expectTag(alg, TAG.oid, "AlgorithmIdentifier"));
  // RFC 8410 §3: the EdDSA parameters are absent.
  if (oid === OID.ed25519 || oid === OID.ed448) {
    return params === undefined ? { kind: oid === OID.ed25519 ? "ed25519" : "ed448" } : fail("EdDSA parameters");
  }
  if (oid === OID.rsaEncryption) return { kind: "rsa" };
  if (oid === OID.rsassaPss) return { kind: "rsa-pss", pssHash: params ? pssRestriction(params) : undefined };
  if (oid !== OID.ecPublicKey) return null;
  // RFC 5480 §2.1.1: only namedCurve is allowed.
  const kind = params?.tag === TAG.oid ? curves[toHex(params.value)] : undefined;
  return kind ? { kind } : null;
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params { [0] hashAlgorithm DEFAULT sha1, [1] maskGenAlgorithm DEFAULT mgf1SHA1,
 * [2] saltLength DEFAULT 20, [3] trailerField DEFAULT 1 }. TLS signs with MGF1 on the same hash and a salt as long as
 * the hash (RFC 8446 §4.2.3), which a key allows when its hash is that hash and its minimum salt is not longer.
 */
function pssRestriction(params: Tlv): PssRestriction {
  if (params.tag !== TAG.sequence) fail("RSASSA-PSS parameters are not a SEQUENCE");
  const fields = new Map(children(params.value).map((t) => [t.tag, t.value]));
  const algorithm = (v: Uint8Array | undefined) => v && toHex(expectTag(children(v)[0], TAG.oid, "hash algorithm"));
  const hashOid = algorithm(fields.has(0xa0) ? children(fields.get(0xa0)!)[0]?.value : undefined);
  const hash = hashOid ? hashByOid[hashOid] : undefined;
  if (!hash) return "unusable";
  const mgf = fields.get(0xa1) && children(children(fields.get(0xa1)!)[0]?.value ?? new Uint8Array(0));
  if (!mgf || toHex(mgf[0]?.value ?? new Uint8Array(0)) !== OID.mgf1 || algorithm(mgf[1]?.value) !== hashOid) {
    return "unusable";
  }
  const saltTlv = fields.get(0xa2) ? children(fields.get(0xa2)!)[0] : undefined;
  const salt = saltTlv ? saltTlv.value.reduce((n, b) => n * 256 + b, 0) : 20;
  const trailerTlv = fields.get(0xa3) ? children(fields.get(0xa3)!)[0] : undefined;
  if (trailerTlv && (trailerTlv.value.length !== 1 || trailerTlv.value[0] !== 1)) return "unusable";
  return salt <= schemeHashLength(hash) ? hash : "unusable";
}

/** Field size in bytes of an EC kind, for scalars and point checks. */
export function ecFieldLength(kind: KeyKind): number {
  return kind === "ecdsa-p256" ? 32 : kind === "ecdsa-p384" ? 48 : kind === "ecdsa-p521" ? 66 : 0;
}

/**
 * Reads a SubjectPublicKeyInfo. Returns null for key algorithms we do not implement, so that the caller can say
 * the key does not fit the scheme; throws CryptoError malformed_der for malformed DER.
 */
export function readSpki(spki: Uint8Array): PublicKeyInfo | null {
  const [algorithm, subjectPublicKey, extra] = children(single(spki, TAG.sequence, "SubjectPublicKeyInfo"));
  const bits = expectTag(subjectPublicKey, TAG.bitString, "SubjectPublicKeyInfo");
  if (extra !== undefined) fail("trailing data in SubjectPublicKeyInfo");
  const alg = algorithmOf(expectTag(algorithm, TAG.sequence, "SubjectPublicKeyInfo"));
  // X.690 §8.6.2: the first content byte counts unused bits; key material is whole bytes.
  if (bits.length < 1 || bits[0] !== 0) fail("SubjectPublicKeyInfo key is not a whole number of bytes");
  return alg === null ? null : { ...alg, key: bits.subarray(1) };
}

/**
 * Reads a PKCS#8 PrivateKeyInfo / OneAsymmetricKey and unwraps the key for `expected`.
 * Throws CryptoError malformed_der for malformed DER and a TypeError when the key is of another kind.
 */
export function readPkcs8(pkcs8: Uint8Array, expected: KeyKind): PrivateKeyInfo {
  const [version, algorithm, privateKey] = children(single(pkcs8, TAG.sequence, "PKCS#8"));
  const v = expectTag(version, TAG.integer, "PKCS#8 version");
  // RFC 5958 §2: v1 (0) or v2 (1, which may carry the public key).
  if (v.length !== 1 || v[0] > 1) fail("unsupported PKCS#8 version");
  const alg = algorithmOf(expectTag(algorithm, TAG.sequence, "PKCS#8 algorithm"));
  const kind = alg?.kind;
  if (kind !== expected) throw new TypeError(`PKCS#8 key is ${kind ?? "of an unsupported algorithm"}, not ${expected}`);
  const inner = expectTag(privateKey, TAG.octetString, "PKCS#8 privateKey");
  if (kind === "rsa") return { kind, key: pkcs8 };
  if (kind === "rsa-pss") return { kind, key: asRsaEncryption(pkcs8), pssHash: alg!.pssHash };
  if (kind === "ed25519" || kind === "ed448") {
    // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, the seed (32 bytes for Ed25519, 57 for Ed448).
    const size = kind === "ed25519" ? 32 : 57;
    const seed = single(inner, TAG.octetString, "EdDSA private key");
    if (seed.length !== size) fail(`${kind} private key must be ${size} bytes`);
    return { kind, key: seed.slice() };
  }
  return { kind, key: ecScalar(inner, ecFieldLength(kind)) };
}

/** RFC 5915 §3: ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] params, [1] publicKey }. */
function ecScalar(ecPrivateKey: Uint8Array, size: number): Uint8Array {
  const [version, privateKey] = children(single(ecPrivateKey, TAG.sequence, "ECPrivateKey"));
  const v = expectTag(version, TAG.integer, "ECPrivateKey version");
  if (v.length !== 1 || v[0] !== 1) fail("unsupported ECPrivateKey version");
  const scalar = expectTag(privateKey, TAG.octetString, "ECPrivateKey privateKey");
  if (scalar.length === 0 || scalar.length > size) fail("EC private key has the wrong size");
  // RFC 5915 says the octet string has the curve's size; some encoders drop leading zeros.
  const out = new Uint8Array(size);
  out.set(scalar, size - scalar.length);
  return out;
}

/** A DER TLV with a definite length (X.690 §8.1.3). */
function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  const length = n < 0x80
    ? [n]
    : n < 0x100
    ? [0x81, n]
    : n < 0x10000
    ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + length.length + n);
  out.set([tag, ...length]);
  out.set(value, 1 + length.length);
  return out;
}

/** AlgorithmIdentifier { rsaEncryption, NULL } (RFC 8017 App. C, RFC 3279 §2.3.1). */
const RSA_ENCRYPTION = tlv(TAG.sequence, Uint8Array.from([0x06, 0x09, ...fromHex(OID.rsaEncryption), 0x05, 0x00]));

/**
 * An id-RSASSA-PSS key (SubjectPublicKeyInfo or PKCS#8) rewritten with the rsaEncryption algorithm: the key material
 * (RSAPublicKey, RSAPrivateKey) is the same (RFC 4055 §1.2), and every runtime's WebCrypto and node:crypto take the
 * rsaEncryption form, while Bun and WebCrypto refuse the PSS one. The PSS restriction is enforced by schemes.ts.
 */
export function asRsaEncryption(der: Uint8Array): Uint8Array {
  const fields = children(single(der, TAG.sequence, "RSA-PSS key"));
  const spki = fields[0]?.tag === TAG.sequence;
  const rest = fields.slice(spki ? 1 : 2).map((f) => tlv(f.tag, f.value));
  const head = spki ? [] : [tlv(fields[0].tag, fields[0].value)];
  const parts = [...head, RSA_ENCRYPTION, ...rest];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) body.set(p, (o += p.length) - p.length);
  return tlv(TAG.sequence, body);
}

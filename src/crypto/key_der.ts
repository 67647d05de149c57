/**
 * Just enough DER to open the two key containers the providers take: PKCS#8 private keys (RFC 5208 §5,
 * RFC 5958 §2) and SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), and to tell which KeyKind they hold.
 * Certificates themselves are parsed elsewhere (src/tls/pki); this only reads keys.
 */
import { CryptoError } from "./errors.ts";
import type { KeyKind } from "./provider.ts";

/** Object identifiers, as the hex of their DER contents. */
const OID = {
  ecPublicKey: "2a8648ce3d0201", // 1.2.840.10045.2.1, RFC 5480 §2.1.1
  prime256v1: "2a8648ce3d030107", // 1.2.840.10045.3.1.7
  secp384r1: "2b81040022", // 1.3.132.0.34
  ed25519: "2b6570", // 1.3.101.112, RFC 8410 §3
  rsaEncryption: "2a864886f70d010101", // 1.2.840.113549.1.1.1, RFC 8017 App. C
} as const;

const TAG = { integer: 0x02, bitString: 0x03, octetString: 0x04, oid: 0x06, sequence: 0x30 } as const;

interface Tlv {
  tag: number;
  value: Uint8Array;
}

/** A public key from an SPKI: the EC point, the 32 Ed25519 bytes, or the RSAPublicKey DER. */
export interface PublicKeyInfo {
  kind: KeyKind;
  key: Uint8Array;
}

/** A private key from a PKCS#8: the EC scalar (left-padded to the curve size), the Ed25519 seed, or, for RSA,
 *  the whole PKCS#8 again (RSA goes to WebCrypto / node:crypto as is). */
export interface PrivateKeyInfo {
  kind: KeyKind;
  key: Uint8Array;
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

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2) to KeyKind, or null for an algorithm we do not implement. */
function kindOf(algorithmIdentifier: Uint8Array): KeyKind | null {
  const [alg, params] = children(algorithmIdentifier);
  const oid = hex(expectTag(alg, TAG.oid, "AlgorithmIdentifier"));
  if (oid === OID.ed25519) return params === undefined ? "ed25519" : fail("Ed25519 parameters must be absent");
  if (oid === OID.rsaEncryption) return "rsa";
  if (oid !== OID.ecPublicKey) return null;
  // RFC 5480 §2.1.1: only namedCurve is allowed.
  const curve = params?.tag === TAG.oid ? hex(params.value) : "";
  return curve === OID.prime256v1 ? "ecdsa-p256" : curve === OID.secp384r1 ? "ecdsa-p384" : null;
}

/** Field size in bytes of an EC kind, for scalars and point checks. */
export function ecFieldLength(kind: KeyKind): number {
  return kind === "ecdsa-p256" ? 32 : kind === "ecdsa-p384" ? 48 : 0;
}

/**
 * Reads a SubjectPublicKeyInfo. Returns null for key algorithms we do not implement, so that the caller can say
 * the key does not fit the scheme; throws CryptoError malformed_der for malformed DER.
 */
export function readSpki(spki: Uint8Array): PublicKeyInfo | null {
  const [algorithm, subjectPublicKey, extra] = children(single(spki, TAG.sequence, "SubjectPublicKeyInfo"));
  const bits = expectTag(subjectPublicKey, TAG.bitString, "SubjectPublicKeyInfo");
  if (extra !== undefined) fail("trailing data in SubjectPublicKeyInfo");
  const kind = kindOf(expectTag(algorithm, TAG.sequence, "SubjectPublicKeyInfo"));
  // X.690 §8.6.2: the first content byte counts unused bits; key material is whole bytes.
  if (bits.length < 1 || bits[0] !== 0) fail("SubjectPublicKeyInfo key is not a whole number of bytes");
  return kind === null ? null : { kind, key: bits.subarray(1) };
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
  const kind = kindOf(expectTag(algorithm, TAG.sequence, "PKCS#8 algorithm"));
  if (kind !== expected) throw new TypeError(`PKCS#8 key is ${kind ?? "of an unsupported algorithm"}, not ${expected}`);
  const inner = expectTag(privateKey, TAG.octetString, "PKCS#8 privateKey");
  if (kind === "rsa") return { kind, key: pkcs8 };
  if (kind === "ed25519") {
    // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, the 32-byte seed.
    const seed = single(inner, TAG.octetString, "Ed25519 private key");
    if (seed.length !== 32) fail("Ed25519 private key must be 32 bytes");
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

/**
 * Private keys as people have them on disk, normalized to what the crypto provider imports: PKCS#8 DER
 * (RFC 5208 / RFC 5958) plus its KeyKind.
 *
 * Accepted: PKCS#8 "PRIVATE KEY" (EC, Ed25519, Ed448, RSA, RSA-PSS), SEC1 "EC PRIVATE KEY" (RFC 5915) on P-256,
 * P-384 and P-521, PKCS#1 "RSA PRIVATE KEY" (RFC 8017 §A.1.2), as PEM or as DER. Encrypted keys are refused by name: a server
 * has no one to ask for the password.
 */
import type { KeyKind } from "../../crypto/provider.ts";
import {
  decodeBitString,
  decodeOid,
  decodeSmallInt,
  decodeUnsigned,
  DerError,
  DerReader,
  encodeBitString,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  encodeUnsigned,
  parseDer,
  Tag,
  type Tlv,
} from "./der.ts";
import { LoadError } from "./load_error.ts";
import { Oid } from "./oids.ts";
import { decodePem, looksLikePem, type PemBlock, PemError } from "./pem.ts";
import { bitLength, describeAlgorithm, ecAlgorithm } from "./public_key.ts";

export type PrivateKeyFormat = "pkcs8" | "sec1" | "pkcs1";

export interface PrivateKey {
  readonly kind: KeyKind;
  /** PKCS#8 PrivateKeyInfo (version 0), the one form CryptoProvider.importSigningKey takes. */
  readonly pkcs8: Uint8Array;
  /** What the input was, for messages. */
  readonly format: PrivateKeyFormat;
  /**
   * The public half when the key file carries it: the EC point, the Ed25519 key, or RSA's modulus and
   * exponent (always present for RSA). Used to check that a key belongs to a certificate without signing.
   */
  readonly publicKey?: Uint8Array;
  readonly rsa?: { readonly modulus: Uint8Array; readonly exponent: Uint8Array; readonly bits: number };
}

/** The smallest RSA modulus we load (NIST SP 800-131A: 2048 bits). */
export const MIN_RSA_BITS = 2048;

const keyLabels = new Set(["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]);

/**
 * Parses a private key from PEM text or DER bytes. `source` names the input in errors (a file path, or "key").
 * Throws LoadError: bad_pem, no_key, bad_key, encrypted_key, unsupported_key.
 */
export function parsePrivateKey(input: string | Uint8Array, source = "key"): PrivateKey {
  if (typeof input !== "string" && !looksLikePem(input)) return parseDerKey(input, source);
  let blocks: PemBlock[];
  try {
    blocks = decodePem(input);
  } catch (e) {
    if (e instanceof PemError) throw new LoadError("bad_pem", source, e.message, { cause: e });
    throw e;
  }
  const block = pickKeyBlock(blocks, source);
  const format: PrivateKeyFormat = block.label === "EC PRIVATE KEY"
    ? "sec1"
    : block.label === "RSA PRIVATE KEY"
    ? "pkcs1"
    : "pkcs8";
  return wrapDerErrors(source, format, () => parseAs(format, block.der, source));
}

function pickKeyBlock(blocks: PemBlock[], source: string): PemBlock {
  const labels = blocks.map((b) => b.label);
  if (labels.includes("ENCRYPTED PRIVATE KEY")) {
    throw new LoadError("encrypted_key", source, "the key is encrypted (ENCRYPTED PRIVATE KEY); decrypt it first");
  }
  if (labels.includes("OPENSSH PRIVATE KEY")) {
    throw new LoadError("unsupported_key", source, "OpenSSH key format; convert it with `ssh-keygen -p -m PKCS8`");
  }
  const block = blocks.find((b) => keyLabels.has(b.label));
  if (!block) {
    const found = labels.length ? `found only ${labels.map((l) => `"${l}"`).join(", ")}` : "found no PEM block";
    throw new LoadError("no_key", source, `no private key (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY): ${found}`);
  }
  // RFC 1421 §4.6.1.1: legacy OpenSSL encryption is announced in a Proc-Type header.
  if ((block.headers["Proc-Type"] ?? "").includes("ENCRYPTED")) {
    throw new LoadError("encrypted_key", source, `the key is encrypted (Proc-Type: ENCRYPTED); decrypt it first`);
  }
  return block;
}

/** DER input: the structure tells PKCS#8, SEC1 and PKCS#1 apart by their first fields. */
function parseDerKey(der: Uint8Array, source: string): PrivateKey {
  const format = wrapDerErrors(source, "pkcs8", () => sniffFormat(der, source));
  return wrapDerErrors(source, format, () => parseAs(format, der, source));
}

function sniffFormat(der: Uint8Array, source: string): PrivateKeyFormat {
  const fields = DerReader.of(parseDer(der), Tag.SEQUENCE, "private key");
  const first = fields.next();
  // RFC 5958 §3: EncryptedPrivateKeyInfo starts with an AlgorithmIdentifier, not a version.
  if (first.tag === Tag.SEQUENCE) {
    throw new LoadError("encrypted_key", source, "the key is an EncryptedPrivateKeyInfo; decrypt it first");
  }
  const version = decodeSmallInt(first);
  const second = fields.next();
  if (second.tag === Tag.SEQUENCE) return "pkcs8";
  if (version === 1 && second.tag === Tag.OCTET_STRING) return "sec1";
  if (second.tag === Tag.INTEGER) return "pkcs1";
  throw new DerError("not PKCS#8, SEC1 or PKCS#1");
}

function parseAs(format: PrivateKeyFormat, der: Uint8Array, source: string): PrivateKey {
  switch (format) {
    case "pkcs8":
      return parsePkcs8(der, source);
    case "sec1":
      return fromEcPrivateKey(parseDer(der), undefined, "sec1", source);
    case "pkcs1":
      return fromRsaPrivateKey(parseDer(der), "pkcs1", source);
  }
}

function wrapDerErrors<T>(source: string, format: PrivateKeyFormat, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof DerError) {
      throw new LoadError("bad_key", source, `the ${formatName[format]} key does not parse (${e.message})`, {
        cause: e,
      });
    }
    throw e;
  }
}

const formatName: Record<PrivateKeyFormat, string> = { pkcs8: "PKCS#8", sec1: "SEC1", pkcs1: "PKCS#1" };

/** RFC 5958 §2 OneAsymmetricKey (PKCS#8 v1 and v2). */
function parsePkcs8(der: Uint8Array, source: string): PrivateKey {
  const fields = DerReader.of(parseDer(der), Tag.SEQUENCE, "PrivateKeyInfo");
  const first = fields.next();
  if (first.tag === Tag.SEQUENCE) {
    throw new LoadError("encrypted_key", source, "the key is an EncryptedPrivateKeyInfo; decrypt it first");
  }
  const version = decodeSmallInt(first);
  if (version > 1) throw new DerError(`unknown PKCS#8 version ${version}`);
  const algTlv = fields.next(Tag.SEQUENCE, "privateKeyAlgorithm");
  const alg = DerReader.of(algTlv, Tag.SEQUENCE, "privateKeyAlgorithm");
  const oid = decodeOid(alg.next(Tag.OID, "algorithm"));
  const params = alg.done ? undefined : alg.next();
  const inner = fields.next(Tag.OCTET_STRING, "privateKey");
  fields.optional(0xa0); // attributes
  const embeddedPublic = fields.optional(0x81); // v2 publicKey, IMPLICIT BIT STRING
  switch (oid) {
    case Oid.ecPublicKey: {
      if (params?.tag !== Tag.OID) {
        throw new LoadError("unsupported_key", source, "EC key with explicit curve parameters (need a named curve)");
      }
      return fromEcPrivateKey(parseDer(inner.value), decodeOid(params), "pkcs8", source);
    }
    case Oid.rsaEncryption:
      return fromRsaPrivateKey(parseDer(inner.value), "pkcs8", source);
    case Oid.rsassaPss: {
      // RFC 4055 §1.2: the same RSAPrivateKey under id-RSASSA-PSS, whose parameters (kept) restrict the hash.
      const key = fromRsaPrivateKey(parseDer(inner.value), "pkcs8", source);
      const pkcs8 = encodeSequence(encodeUnsigned(0), algTlv.raw, encodeOctetString(inner.value));
      return { ...key, kind: "rsa-pss", pkcs8 };
    }
    case Oid.ed25519:
      return fromEdDsa("ed25519", inner.value, embeddedPublic);
    case Oid.ed448:
      return fromEdDsa("ed448", inner.value, embeddedPublic);
    default:
      throw new LoadError("unsupported_key", source, `unsupported key algorithm ${keyAlgorithmName(oid)}`);
  }
}

function keyAlgorithmName(oid: string): string {
  if (oid === Oid.pbes2) return "PBES2 (an encrypted key)";
  return `with OID ${oid}`;
}

/** RFC 8410 §7: the PKCS#8 privateKey holds CurvePrivateKey, an OCTET STRING of the seed (32 or 57 bytes). */
function fromEdDsa(kind: "ed25519" | "ed448", innerDer: Uint8Array, embeddedPublic: Tlv | undefined): PrivateKey {
  const size = kind === "ed25519" ? 32 : 57;
  const seed = parseDer(innerDer);
  if (seed.tag !== Tag.OCTET_STRING || seed.value.length !== size) {
    throw new DerError(`${kind} seed is not ${size} bytes`);
  }
  const publicKey = embeddedPublic ? embeddedPublic.value.subarray(1) : undefined;
  const pkcs8 = encodeSequence(
    encodeUnsigned(0),
    encodeSequence(encodeOid(kind === "ed25519" ? Oid.ed25519 : Oid.ed448)),
    encodeOctetString(encodeOctetString(seed.value)),
  );
  return { kind, pkcs8, format: "pkcs8", publicKey };
}

/** RFC 5915 §3 ECPrivateKey ::= SEQUENCE { 1, privateKey OCTET STRING, [0] parameters, [1] publicKey } */
function fromEcPrivateKey(
  tlv: Tlv,
  outerCurve: string | undefined,
  format: PrivateKeyFormat,
  source: string,
): PrivateKey {
  const fields = DerReader.of(tlv, Tag.SEQUENCE, "ECPrivateKey");
  if (decodeSmallInt(fields.next(Tag.INTEGER, "version")) !== 1) throw new DerError("ECPrivateKey version is not 1");
  const scalar = fields.next(Tag.OCTET_STRING, "privateKey").value;
  const paramsTlv = fields.optional(0xa0);
  const publicTlv = fields.optional(0xa1);
  const innerCurve = paramsTlv ? curveOf(paramsTlv, source) : undefined;
  if (outerCurve && innerCurve && outerCurve !== innerCurve) throw new DerError("the key names two different curves");
  const curve = outerCurve ?? innerCurve ?? curveFromScalarLength(scalar.length);
  const kind = ecAlgorithm(curve);
  if (kind !== "ecdsa-p256" && kind !== "ecdsa-p384" && kind !== "ecdsa-p521") {
    throw new LoadError("unsupported_key", source, `unsupported key: ${describeAlgorithm(kind, curve)}`);
  }
  const size = kind === "ecdsa-p256" ? 32 : kind === "ecdsa-p384" ? 48 : 66;
  if (scalar.length > size) throw new DerError("EC private scalar is longer than the curve order");
  // RFC 5915 §3: the scalar is a fixed-length octet string; some writers drop leading zeros, so pad it back.
  const d = new Uint8Array(size);
  d.set(scalar, size - scalar.length);
  const publicKey = publicTlv ? decodeBitString(parseDer(publicTlv.value)).bytes : undefined;
  const ecPrivateKey = encodeSequence(
    encodeUnsigned(1),
    encodeOctetString(d),
    ...(publicKey ? [encodeTlv(0xa1, encodeBitString(publicKey))] : []),
  );
  const pkcs8 = encodeSequence(
    encodeUnsigned(0),
    encodeSequence(encodeOid(Oid.ecPublicKey), encodeOid(curve)),
    encodeOctetString(ecPrivateKey),
  );
  return { kind, pkcs8, format, publicKey };
}

function curveOf(paramsTlv: Tlv, source: string): string {
  const inner = parseDer(paramsTlv.value);
  if (inner.tag !== Tag.OID) {
    throw new LoadError("unsupported_key", source, "EC key with explicit curve parameters (need a named curve)");
  }
  return decodeOid(inner);
}

/** A SEC1 key without parameters: the scalar length is the only hint left. */
function curveFromScalarLength(length: number): string {
  if (length <= 32) return Oid.prime256v1;
  if (length <= 48) return Oid.secp384r1;
  return Oid.secp521r1;
}

/** RFC 8017 §A.1.2 RSAPrivateKey: version, n, e, d, p, q, dP, dQ, qInv (two-prime keys only). */
function fromRsaPrivateKey(tlv: Tlv, format: PrivateKeyFormat, source: string): PrivateKey {
  const fields = DerReader.of(tlv, Tag.SEQUENCE, "RSAPrivateKey");
  const version = decodeSmallInt(fields.next(Tag.INTEGER, "version"));
  if (version !== 0) {
    throw new LoadError("unsupported_key", source, "multi-prime RSA keys are not supported");
  }
  const modulus = decodeUnsigned(fields.next(Tag.INTEGER, "modulus"));
  const exponent = decodeUnsigned(fields.next(Tag.INTEGER, "publicExponent"));
  for (const name of ["privateExponent", "prime1", "prime2", "exponent1", "exponent2", "coefficient"]) {
    fields.next(Tag.INTEGER, name);
  }
  fields.end("RSAPrivateKey");
  const bits = bitLength(modulus);
  if (bits < MIN_RSA_BITS) {
    throw new LoadError("unsupported_key", source, `RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`);
  }
  // RFC 8017 §A.1 / RFC 3279 §2.3.1: rsaEncryption carries NULL parameters.
  const pkcs8 = encodeSequence(
    encodeUnsigned(0),
    encodeSequence(encodeOid(Oid.rsaEncryption), encodeNull()),
    encodeOctetString(tlv.raw),
  );
  return { kind: "rsa", pkcs8, format, rsa: { modulus, exponent, bits } };
}

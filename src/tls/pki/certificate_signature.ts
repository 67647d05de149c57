/**
 * Checking the signature a CA put on a certificate (RFC 5280 §4.1.1.3) through the crypto provider, which
 * speaks TLS SignatureSchemes: the certificate's signatureAlgorithm OID is mapped to the scheme with the same
 * hash and padding (RFC 8446 §4.2.3 lists the schemes that may appear in certificates, including
 * rsa_pkcs1_* and rsa_pss_pss_*, which are not used for CertificateVerify). ECDSA takes the curve from the
 * issuer's key and the hash from the OID, which certificates combine freely (CertificateSignatureScheme).
 */
import { CryptoError } from "../../crypto/errors.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { ecdsaCertificateScheme, type SchemeHash } from "../../crypto/schemes.ts";
import { SignatureScheme } from "../wire/constants.ts";
import type { AlgorithmIdentifier, Certificate } from "./certificate.ts";
import { CertificateError } from "./certificate_error.ts";
import { decodeOid, decodeSmallInt, DerError, DerReader, parseDer, Tag } from "./der.ts";
import { Oid } from "./oids.ts";
import { describeAlgorithm, type PublicKeyInfo } from "./public_key.ts";

/** RFC 5758 §3.2: ecdsa-with-SHA* names the hash only; any of them may go with any curve. */
const ecdsaHashes: Record<string, SchemeHash> = {
  [Oid.ecdsaWithSha256]: "SHA-256",
  [Oid.ecdsaWithSha384]: "SHA-384",
  [Oid.ecdsaWithSha512]: "SHA-512",
};

const rsaPkcs1Schemes: Record<string, number> = {
  [Oid.sha256WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha256,
  [Oid.sha384WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha384,
  [Oid.sha512WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha512,
};

/** Hash OID → [output length, rsa_pss_rsae scheme, rsa_pss_pss scheme]. */
const pssHashes: Record<string, [number, number, number]> = {
  [Oid.sha256]: [32, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_pss_sha256],
  [Oid.sha384]: [48, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_pss_sha384],
  [Oid.sha512]: [64, SignatureScheme.rsa_pss_rsae_sha512, SignatureScheme.rsa_pss_pss_sha512],
};

/**
 * The SignatureScheme for a certificate signed with `algorithm` by a key described by `issuerKey`. Throws
 * CertificateError unsupported_algorithm for SHA-1, DSA, unusual PSS parameters, ECDSA on curves other than
 * P-256, P-384 and P-521, or a key of the wrong type.
 */
export function certificateSignatureScheme(algorithm: AlgorithmIdentifier, issuerKey: PublicKeyInfo): number {
  const unsupported = (why: string) => new CertificateError("unsupported_algorithm", why);
  const { oid } = algorithm;
  if (oid === Oid.sha1WithRSAEncryption || oid === Oid.ecdsaWithSha1) {
    throw unsupported("the certificate is signed with SHA-1, which is not accepted");
  }
  if (oid in ecdsaHashes) {
    const { algorithm: kind, curve } = issuerKey;
    if (kind === "ecdsa-p256" || kind === "ecdsa-p384" || kind === "ecdsa-p521") {
      return ecdsaCertificateScheme(kind, ecdsaHashes[oid]);
    }
    if (!kind.startsWith("ecdsa")) throw unsupported("an ECDSA signature from a non-EC issuer key");
    const key = describeAlgorithm(kind, curve);
    throw unsupported(`the issuer's key is ${key}; ECDSA signatures are checked with P-256, P-384 and P-521 keys`);
  }
  if (oid in rsaPkcs1Schemes) {
    if (issuerKey.algorithm !== "rsa") throw unsupported("an RSA signature from a non-RSA issuer key");
    return rsaPkcs1Schemes[oid];
  }
  if (oid === Oid.rsassaPss) {
    const hash = pssHash(algorithm);
    if (!hash) throw unsupported("RSASSA-PSS with parameters other than SHA-2, MGF1 with the same hash, salt = hash");
    if (issuerKey.algorithm === "rsa") return hash[1];
    if (issuerKey.algorithm === "rsa-pss") return hash[2];
    throw unsupported("an RSA-PSS signature from a non-RSA issuer key");
  }
  if (oid === Oid.ed25519) {
    if (issuerKey.algorithm !== "ed25519") throw unsupported("an Ed25519 signature from a non-Ed25519 issuer key");
    return SignatureScheme.ed25519;
  }
  if (oid === Oid.ed448) {
    if (issuerKey.algorithm !== "ed448") throw unsupported("an Ed448 signature from a non-Ed448 issuer key");
    return SignatureScheme.ed448;
  }
  throw unsupported(`signature algorithm ${oid} is not supported`);
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params: [0] hashAlgorithm, [1] maskGenAlgorithm, [2] saltLength, [3] trailerField.
 * TLS (RFC 8446 §4.2.3) fixes MGF1 with the same hash and a salt as long as the hash, so we take only that.
 */
function pssHash(algorithm: AlgorithmIdentifier): [number, number, number] | undefined {
  if (algorithm.params?.tag !== Tag.SEQUENCE) return undefined;
  try {
    const fields = DerReader.of(algorithm.params, Tag.SEQUENCE, "RSASSA-PSS-params");
    const hashTlv = fields.optional(0xa0);
    const mgfTlv = fields.optional(0xa1);
    const saltTlv = fields.optional(0xa2);
    const trailerTlv = fields.optional(0xa3);
    fields.end("RSASSA-PSS-params");
    if (!hashTlv || !mgfTlv || !saltTlv) return undefined; // the defaults are SHA-1
    const hashOid = algorithmOid(parseDer(hashTlv.value));
    const mgf = DerReader.of(parseDer(mgfTlv.value), Tag.SEQUENCE, "maskGenAlgorithm");
    if (decodeOid(mgf.next(Tag.OID, "mgf")) !== Oid.mgf1) return undefined;
    const mgfHashOid = algorithmOid(mgf.next(Tag.SEQUENCE, "mgf1 hash"));
    const salt = decodeSmallInt(parseDer(saltTlv.value));
    const trailer = trailerTlv ? decodeSmallInt(parseDer(trailerTlv.value)) : 1;
    const hash = pssHashes[hashOid];
    if (!hash || mgfHashOid !== hashOid || salt !== hash[0] || trailer !== 1) return undefined;
    return hash;
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

function algorithmOid(tlv: ReturnType<typeof parseDer>): string {
  return decodeOid(DerReader.of(tlv, Tag.SEQUENCE, "AlgorithmIdentifier").next(Tag.OID, "algorithm"));
}

/**
 * Verifies that `issuer` signed `cert`. Throws CertificateError bad_signature (or unsupported_algorithm when
 * the provider cannot use the issuer's key with that scheme).
 */
export async function verifyCertificateSignature(
  cert: Certificate,
  issuer: Certificate,
  provider: Pick<CryptoProvider, "verify">,
  depth: number,
): Promise<void> {
  let scheme: number;
  try {
    scheme = certificateSignatureScheme(cert.signatureAlgorithm, issuer.publicKey);
  } catch (e) {
    if (e instanceof CertificateError) throw new CertificateError(e.code, `"${cert.subject.text}": ${e.reason}`, depth);
    throw e;
  }
  let ok: boolean;
  try {
    ok = await provider.verify(issuer.publicKey.spki, scheme, cert.tbs, cert.signature);
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    const why =
      `the key of "${issuer.subject.text}" cannot check the signature of "${cert.subject.text}" (${e.message})`;
    throw new CertificateError("unsupported_algorithm", why, depth);
  }
  if (!ok) {
    const why = `the signature on "${cert.subject.text}" does not verify with the key of "${issuer.subject.text}"`;
    throw new CertificateError("bad_signature", why, depth);
  }
}

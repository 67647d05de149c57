/**
 * What a server needs to ask for an OCSP response (RFC 6960 §4.1): the CertID of its leaf, the request, and
 * where to send it (the leaf's Authority Information Access, RFC 5280 §4.2.2.1).
 *
 * CertID hashes are identifiers, not security: the response is trusted for its signature, never for its hashes.
 * So SHA-1, which RFC 5019 §2.1.1 makes the one hash every responder understands, is computed here with
 * @noble/hashes rather than through the crypto provider (which offers only the TLS 1.3 hashes).
 */
import { sha1 as nobleSha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, latin1 } from "../../bytes.ts";
import type { Certificate } from "./certificate.ts";
import {
  DerError,
  DerReader,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  parseDer,
  Tag,
} from "./der.ts";

/** RFC 6960 §4.1.1 CertID, with the serial as lowercase hex without leading zero octets. */
export interface CertId {
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serial: string;
}

const SHA1 = "1.3.14.3.2.26";
const SHA256 = "2.16.840.1.101.3.4.2.1";
const hashes: Record<string, (data: Uint8Array) => Uint8Array> = { [SHA1]: nobleSha1, [SHA256]: sha256 };

export const sha1 = (data: Uint8Array): Uint8Array => nobleSha1(data);

/** The hash function for a CertID hashAlgorithm OID, or undefined for one we do not compute. */
export function certIdHash(oid: string): ((data: Uint8Array) => Uint8Array) | undefined {
  return hashes[oid];
}

/** RFC 6960 §4.1.1: hashes of the issuer's Name DER and of its subjectPublicKey bits, and the serial. */
export function certIdFor(cert: Certificate, issuer: Certificate, hashAlgorithm = SHA1): CertId {
  const hash = hashes[hashAlgorithm];
  if (!hash) throw new TypeError(`CertID hash ${hashAlgorithm} is not supported`);
  return {
    hashAlgorithm,
    issuerNameHash: hash(issuer.subject.der),
    issuerKeyHash: hash(issuer.publicKey.key),
    serial: cert.serial,
  };
}

/** RFC 6960 §4.1.1 OCSPRequest for one certificate: no requestor name, no signature, no nonce (RFC 5019 §2.1). */
export function encodeOcspRequest(cert: Certificate, issuer: Certificate): Uint8Array {
  const id = certIdFor(cert, issuer);
  const serial = fromHex(id.serial);
  const serialDer = encodeTlv(Tag.INTEGER, serial[0] & 0x80 ? Uint8Array.of(0, ...serial) : serial);
  const certId = encodeSequence(
    encodeSequence(encodeOid(id.hashAlgorithm), encodeNull()),
    encodeOctetString(id.issuerNameHash),
    encodeOctetString(id.issuerKeyHash),
    serialDer,
  );
  const requestList = encodeSequence(encodeSequence(certId));
  return encodeSequence(encodeSequence(requestList));
}

const AIA = "1.3.6.1.5.5.7.1.1";
const AD_OCSP = "1.3.6.1.5.5.7.48.1";

/** The http(s) URL of the certificate's OCSP responder (RFC 5280 §4.2.2.1 id-ad-ocsp), or null. */
export function ocspResponderUrl(cert: Certificate): string | null {
  const ext = cert.extensions.find((e) => e.oid === AIA);
  if (!ext) return null;
  try {
    for (const desc of DerReader.of(parseDer(ext.value), Tag.SEQUENCE, "AuthorityInfoAccess").rest()) {
      const f = DerReader.of(desc, Tag.SEQUENCE, "AccessDescription");
      const method = f.next(Tag.OID, "accessMethod");
      const location = f.next();
      // GeneralName uniformResourceIdentifier [6] IA5String
      if (encodeOidEquals(method.raw, AD_OCSP) && location.tag === 0x86) {
        const url = latin1(location.value);
        if (/^https?:\/\//i.test(url)) return url;
      }
    }
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
  }
  return null;
}

function encodeOidEquals(raw: Uint8Array, oid: string): boolean {
  const want = encodeOid(oid);
  return raw.length === want.length && raw.every((b, i) => b === want[i]);
}

/**
 * An X.509 certificate read from DER (RFC 5280 §4.1), with the extensions that TLS path validation and host
 * name checks look at (§4.2.1) already decoded. The raw bytes of the signed part are kept: the signature is
 * checked over them exactly as received (§4.1.1.3).
 */
import { toHex } from "../../bytes.ts";
import {
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallInt,
  decodeString,
  decodeTime,
  decodeUnsigned,
  DerError,
  DerReader,
  parseDer,
  Tag,
  type Tlv,
} from "./der.ts";
import { attributeShortNames, Oid } from "./oids.ts";
import { parseSpki, type PublicKeyInfo } from "./public_key.ts";
import { formatIpAddress } from "./hostname.ts";

/** An AlgorithmIdentifier (RFC 5280 §4.1.1.2): a signature or key algorithm and its parameters. */
export interface AlgorithmIdentifier {
  /** The algorithm's OID, dotted. */
  readonly oid: string;
  /** The parameters element, when present (NULL for the RSA PKCS#1 OIDs, RSASSA-PSS-params for PSS). */
  readonly params?: Tlv;
}

/** An issuer or subject Name (RFC 5280 §4.1.2.4). */
export interface DistinguishedName {
  /** The Name as encoded. */
  readonly der: Uint8Array;
  /** Text for messages, in DER order as OpenSSL prints it ("C=US, O=Example, CN=a.example"). */
  readonly text: string;
  /** A comparison key: RFC 5280 §7.1 string matching, case- and space-insensitive for string values. */
  readonly key: string;
  /** The last commonName value, only ever used in messages: never for host name checks (RFC 9525 §6.3). */
  readonly commonName?: string;
}

/** RFC 5280 §4.2.1.3 KeyUsage bits, numbered as in the ASN.1 definition. */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** One certificate extension (RFC 5280 §4.1.2.9), undecoded. */
export interface Extension {
  /** The extension's OID, dotted. */
  readonly oid: string;
  /** A critical extension we do not process makes the certificate unusable (RFC 5280 §4.2). */
  readonly critical: boolean;
  /** The extnValue octets. */
  readonly value: Uint8Array;
}

/** The subjectAltName entries we use (RFC 5280 §4.2.1.6). */
export interface SubjectAltNames {
  /** dNSName entries, as written (not lowercased). */
  readonly dns: readonly string[];
  /** iPAddress entries: 4 or 16 bytes. */
  readonly ip: readonly Uint8Array[];
}

/** A parsed X.509 v3 certificate (RFC 5280 §4.1): the fields chain verification and the handshake use. */
export interface Certificate {
  /** The whole certificate as encoded. */
  readonly der: Uint8Array;
  /** The TBSCertificate element exactly as encoded: what the issuer signed. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3 (X.509 version, not the encoded 0-based value). */
  readonly version: number;
  /** Serial number, hex. */
  readonly serial: string;
  /** The algorithm the issuer signed with. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** The issuer's signature over `tbs`. */
  readonly signature: Uint8Array;
  /** Who issued it. */
  readonly issuer: DistinguishedName;
  /** Whom it names. */
  readonly subject: DistinguishedName;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** The subject's public key. */
  readonly publicKey: PublicKeyInfo;
  /** Every extension, in order. */
  readonly extensions: readonly Extension[];
  /** BasicConstraints (RFC 5280 §4.2.1.9), when present. */
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLength?: number };
  /** Bit numbers of KeyUsageBit that are set; undefined when the extension is absent. */
  readonly keyUsage?: ReadonlySet<number>;
  /** Key purpose OIDs; undefined when the extension is absent. */
  readonly extKeyUsage?: readonly string[];
  /** subjectAltName (RFC 5280 §4.2.1.6), when present. */
  readonly subjectAltNames?: SubjectAltNames;
  /** SubjectKeyIdentifier (RFC 5280 §4.2.1.2), when present. */
  readonly subjectKeyId?: Uint8Array;
  /** AuthorityKeyIdentifier's keyIdentifier (RFC 5280 §4.2.1.1), when present. */
  readonly authorityKeyId?: Uint8Array;
}

/** Parses a certificate. Throws DerError for anything malformed. */
export function parseCertificate(der: Uint8Array): Certificate {
  const outer = DerReader.of(parseDer(der), Tag.SEQUENCE, "Certificate");
  const tbsTlv = outer.next(Tag.SEQUENCE, "tbsCertificate");
  const signatureAlgorithm = readAlgorithm(outer.next(Tag.SEQUENCE, "signatureAlgorithm"));
  const sig = decodeBitString(outer.next(Tag.BIT_STRING, "signatureValue"));
  outer.end("Certificate");
  if (sig.unused !== 0) throw new DerError("signature is not whole octets");

  const tbs = DerReader.of(tbsTlv, Tag.SEQUENCE, "tbsCertificate");
  const versionTlv = tbs.optional(0xa0);
  const version = versionTlv ? decodeSmallInt(parseDer(versionTlv.value)) + 1 : 1;
  const serial = toHex(decodeSerial(tbs.next(Tag.INTEGER, "serialNumber")));
  const innerAlgorithm = readAlgorithm(tbs.next(Tag.SEQUENCE, "signature"));
  // RFC 5280 §4.1.1.2: the outer and inner signature algorithms must be identical.
  if (innerAlgorithm.oid !== signatureAlgorithm.oid) throw new DerError("signature algorithms disagree");
  const issuer = readName(tbs.next(Tag.SEQUENCE, "issuer"));
  const validity = DerReader.of(tbs.next(Tag.SEQUENCE, "validity"), Tag.SEQUENCE, "validity");
  const notBefore = decodeTime(validity.next());
  const notAfter = decodeTime(validity.next());
  validity.end("validity");
  const subject = readName(tbs.next(Tag.SEQUENCE, "subject"));
  const publicKey = parseSpki(tbs.next(Tag.SEQUENCE, "subjectPublicKeyInfo"));
  tbs.optional(0x81); // issuerUniqueID
  tbs.optional(0x82); // subjectUniqueID
  const extTlv = tbs.optional(0xa3);
  tbs.end("tbsCertificate");
  const extensions = extTlv ? readExtensions(extTlv) : [];
  return {
    der,
    tbs: tbsTlv.raw,
    version,
    serial,
    signatureAlgorithm,
    signature: sig.bytes,
    issuer,
    subject,
    notBefore,
    notAfter,
    publicKey,
    extensions,
    ...decodeKnownExtensions(extensions),
  };
}

/** Serial numbers are positive, but some old CAs wrote negative ones; keep the bytes as they are for display. */
function decodeSerial(tlv: Tlv): Uint8Array {
  return tlv.value[0] & 0x80 ? tlv.value : decodeUnsigned(tlv);
}

export function readAlgorithm(tlv: Tlv): AlgorithmIdentifier {
  const fields = DerReader.of(tlv, Tag.SEQUENCE, "AlgorithmIdentifier");
  const oid = decodeOid(fields.next(Tag.OID, "algorithm"));
  const params = fields.done ? undefined : fields.next();
  fields.end("AlgorithmIdentifier");
  return { oid, params };
}

/** RFC 5280 §4.1.2.4 Name: a SEQUENCE of RDNs, each a SET of type-and-value pairs. */
function readName(tlv: Tlv): DistinguishedName {
  const texts: string[] = [];
  const keys: string[] = [];
  let commonName: string | undefined;
  for (const rdnTlv of DerReader.of(tlv, Tag.SEQUENCE, "Name").rest()) {
    const parts: { text: string; key: string }[] = [];
    for (const atvTlv of DerReader.of(rdnTlv, Tag.SET, "RelativeDistinguishedName").rest()) {
      const atv = DerReader.of(atvTlv, Tag.SEQUENCE, "AttributeTypeAndValue");
      const type = decodeOid(atv.next(Tag.OID, "attribute type"));
      const valueTlv = atv.next();
      let value: string;
      let key: string;
      try {
        value = decodeString(valueTlv);
        // RFC 5280 §7.1 (after RFC 4518): compare case-insensitively with runs of spaces folded.
        key = value.trim().replace(/\s+/g, " ").toLowerCase();
      } catch {
        value = "#" + toHex(valueTlv.raw);
        key = value;
      }
      if (type === "2.5.4.3") commonName = value;
      parts.push({ text: `${attributeShortNames[type] ?? type}=${value}`, key: `${type}=${key}` });
    }
    texts.push(parts.map((p) => p.text).join("+"));
    keys.push(parts.map((p) => p.key).sort().join("+"));
  }
  return { der: tlv.raw, text: texts.join(", "), key: keys.join(","), commonName };
}

function readExtensions(tlv: Tlv): Extension[] {
  const list = DerReader.of(parseDer(tlv.value), Tag.SEQUENCE, "extensions");
  const out: Extension[] = [];
  const seen = new Set<string>();
  for (const extTlv of list.rest()) {
    const fields = DerReader.of(extTlv, Tag.SEQUENCE, "Extension");
    const oid = decodeOid(fields.next(Tag.OID, "extnID"));
    const criticalTlv = fields.optional(Tag.BOOLEAN);
    const value = fields.next(Tag.OCTET_STRING, "extnValue").value;
    fields.end("Extension");
    // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
    if (seen.has(oid)) throw new DerError(`extension ${oid} appears twice`);
    seen.add(oid);
    out.push({ oid, critical: criticalTlv ? decodeBoolean(criticalTlv) : false, value });
  }
  return out;
}

type KnownExtensions = Pick<
  Certificate,
  "basicConstraints" | "keyUsage" | "extKeyUsage" | "subjectAltNames" | "subjectKeyId" | "authorityKeyId"
>;

function decodeKnownExtensions(extensions: readonly Extension[]): KnownExtensions {
  const out: { -readonly [K in keyof KnownExtensions]: KnownExtensions[K] } = {};
  for (const ext of extensions) {
    const tlv = parseDer(ext.value);
    switch (ext.oid) {
      case Oid.basicConstraints:
        out.basicConstraints = readBasicConstraints(tlv);
        break;
      case Oid.keyUsage:
        out.keyUsage = readKeyUsage(tlv);
        break;
      case Oid.extKeyUsage:
        out.extKeyUsage = DerReader.of(tlv, Tag.SEQUENCE, "ExtKeyUsageSyntax").rest().map(decodeOid);
        break;
      case Oid.subjectAltName:
        out.subjectAltNames = readGeneralNames(tlv);
        break;
      case Oid.subjectKeyIdentifier:
        if (tlv.tag !== Tag.OCTET_STRING) throw new DerError("subjectKeyIdentifier is not an OCTET STRING");
        out.subjectKeyId = tlv.value;
        break;
      case Oid.authorityKeyIdentifier:
        // RFC 5280 §4.2.1.1: keyIdentifier is [0] IMPLICIT OCTET STRING, the first optional field.
        out.authorityKeyId = DerReader.of(tlv, Tag.SEQUENCE, "AuthorityKeyIdentifier").optional(0x80)?.value;
        break;
    }
  }
  return out;
}

/** RFC 5280 §4.2.1.9 BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
function readBasicConstraints(tlv: Tlv): { ca: boolean; pathLength?: number } {
  const fields = DerReader.of(tlv, Tag.SEQUENCE, "BasicConstraints");
  const caTlv = fields.optional(Tag.BOOLEAN);
  const lenTlv = fields.optional(Tag.INTEGER);
  fields.end("BasicConstraints");
  return { ca: caTlv ? decodeBoolean(caTlv) : false, pathLength: lenTlv ? decodeSmallInt(lenTlv) : undefined };
}

/** RFC 5280 §4.2.1.3 KeyUsage BIT STRING: bit 0 is the most significant bit of the first octet. */
function readKeyUsage(tlv: Tlv): Set<number> {
  const { bytes } = decodeBitString(tlv);
  const bits = new Set<number>();
  for (let i = 0; i < bytes.length * 8; i++) {
    if (bytes[i >> 3] & (0x80 >> (i & 7))) bits.add(i);
  }
  return bits;
}

/** RFC 5280 §4.2.1.6 GeneralNames: we keep dNSName [2] IA5String and iPAddress [7] OCTET STRING. */
function readGeneralNames(tlv: Tlv): SubjectAltNames {
  const dns: string[] = [];
  const ip: Uint8Array[] = [];
  for (const name of DerReader.of(tlv, Tag.SEQUENCE, "GeneralNames").rest()) {
    if (name.tag === 0x82) {
      dns.push(String.fromCharCode(...name.value));
    } else if (name.tag === 0x87) {
      // 4 or 16 bytes; 8 or 32 only occur in name constraints, which we do not process.
      if (name.value.length !== 4 && name.value.length !== 16) throw new DerError("iPAddress of a bad length");
      ip.push(name.value);
    }
  }
  return { dns, ip };
}

/** A one-line description for messages: subject, SANs and validity. */
export function describeCertificate(cert: Certificate): string {
  const sans = [...(cert.subjectAltNames?.dns ?? []), ...(cert.subjectAltNames?.ip ?? []).map(formatIpAddress)];
  const names = sans.length ? ` (${sans.join(", ")})` : "";
  return `"${cert.subject.text}"${names}`;
}

/** True when issuer and subject names are the same (RFC 5280 §6.1: "self-issued"). */
export function isSelfIssued(cert: Certificate): boolean {
  return cert.issuer.key === cert.subject.key;
}

export function hasKeyUsage(cert: Certificate, bit: number): boolean {
  return cert.keyUsage === undefined || cert.keyUsage.has(bit);
}

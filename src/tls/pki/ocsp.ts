/**
 * OCSP responses (RFC 6960 §4.2): parsing a DER OCSPResponse and deciding whether it may be believed for one
 * certificate, as a stapling server (before it staples) and a client (when it receives a staple) both must.
 *
 * A response is believed when (RFC 6960 §3.2): it is a successful id-pkix-ocsp-basic response; one of its
 * SingleResponses names our certificate (issuer name hash, issuer key hash, serial); it is signed by the issuer
 * itself or by a responder certificate the issuer signed for id-kp-OCSPSigning (§4.2.2.2); and `now` lies
 * between thisUpdate and nextUpdate. Every refusal is an OcspError with a code; its alert is
 * bad_certificate_status_response (RFC 6066 §8), except that a revoked certificate is certificate_revoked.
 */
import { bytesEqual, toHex } from "../../bytes.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { type AlertName, TlsAlert } from "../alert.ts";
import {
  type AlgorithmIdentifier,
  type Certificate,
  type Extension,
  parseCertificate,
  readAlgorithm,
} from "./certificate.ts";
import { CertificateError } from "./certificate_error.ts";
import { verifyCertificateSignature } from "./certificate_signature.ts";
import {
  decodeBitString,
  decodeOid,
  decodeSmallInt,
  decodeTime,
  DerError,
  DerReader,
  parseDer,
  Tag,
  type Tlv,
} from "./der.ts";
import { type CertId, certIdFor, certIdHash, sha1 } from "./ocsp_request.ts";

export const OcspOid = {
  /** RFC 6960 §4.2.1 */
  basicResponse: "1.3.6.1.5.5.7.48.1.1",
  /** RFC 5280 §4.2.1.12: the key purpose of a delegated responder. */
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

/** Each way an OCSP response can be refused, with the alert a TLS client sends for it (RFC 8446 §6.2). */
export const ocspErrorAlerts = {
  /** Not DER, or not the structure of RFC 6960 §4.2.1. */
  malformed: "bad_certificate_status_response",
  /** responseStatus is not successful (malformedRequest, internalError, tryLater, sigRequired, unauthorized). */
  unsuccessful: "bad_certificate_status_response",
  /** No SingleResponse is about this certificate (another serial or another issuer). */
  wrong_certificate: "bad_certificate_status_response",
  /** The signer is neither the issuer nor a responder the issuer authorized (RFC 6960 §4.2.2.2). */
  wrong_signer: "bad_certificate_status_response",
  /** The signature does not verify, or uses an algorithm we do not check. */
  bad_signature: "bad_certificate_status_response",
  /** nextUpdate is in the past (or, without one, thisUpdate is older than MAX_AGE_WITHOUT_NEXT_UPDATE). */
  expired: "bad_certificate_status_response",
  /** thisUpdate is in the future. */
  not_yet_valid: "bad_certificate_status_response",
  /** The responder does not know the certificate (certStatus unknown, RFC 6960 §2.2). */
  unknown: "bad_certificate_status_response",
  /** The certificate is revoked. */
  revoked: "certificate_revoked",
  /** RFC 7633: the certificate demands a staple (must-staple) and none came. */
  staple_required: "bad_certificate_status_response",
} as const satisfies Record<string, AlertName>;

/** The name of an OCSP refusal in `ocspErrorAlerts`. */
export type OcspErrorCode = keyof typeof ocspErrorAlerts;

/** A refused OCSP response: a TlsAlert, so a client that checks a staple fails its handshake with it. */
export class OcspError extends TlsAlert {
  /** Which rule refused it. */
  readonly code: OcspErrorCode;
  /** What was wrong, for logs. */
  readonly reason: string;
  /** The alert is the one `ocspErrorAlerts` gives `code`. */
  constructor(code: OcspErrorCode, reason: string) {
    super(ocspErrorAlerts[code], reason);
    this.name = "OcspError";
    this.code = code;
    this.reason = reason;
  }
}

/** Without nextUpdate, "newer revocation information is available all the time" (§4.2.2.1): trust it this long. */
export const MAX_AGE_WITHOUT_NEXT_UPDATE = 3600_000;
/** Clock skew tolerated on thisUpdate and nextUpdate. */
export const CLOCK_SKEW = 300_000;

export interface SingleResponse {
  readonly certId: CertId;
  readonly status: "good" | "revoked" | "unknown";
  readonly revokedAt?: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

export interface BasicOcspResponse {
  readonly der: Uint8Array;
  /** The ResponseData exactly as encoded: what the responder signed. */
  readonly tbs: Uint8Array;
  /** byName: the responder's Name DER; byKey: SHA-1 of its subjectPublicKey (RFC 6960 §4.2.1). */
  readonly responderId: { readonly byName: Uint8Array } | { readonly byKey: Uint8Array };
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly certs: readonly Certificate[];
}

/** A response we believe, for one certificate. */
export interface OcspStatus {
  /** The responder's answer (RFC 6960 §2.2). */
  readonly status: "good" | "revoked" | "unknown";
  /** When the responder knew the status to be correct. */
  readonly thisUpdate: Date;
  /** When newer information will be available; absent means any time. */
  readonly nextUpdate?: Date;
  /** When the certificate was revoked, for "revoked". */
  readonly revokedAt?: Date;
  /** Whether the issuer signed it or a delegated responder. */
  readonly signer: "issuer" | "delegated";
}

const responseStatusNames = ["successful", "malformedRequest", "internalError", "tryLater", "(4)", "sigRequired"];

/** Parses an OCSPResponse (RFC 6960 §4.2.1). Throws OcspError malformed or unsuccessful. */
export function parseOcspResponse(der: Uint8Array): BasicOcspResponse {
  try {
    const outer = DerReader.of(parseDer(der), Tag.SEQUENCE, "OCSPResponse");
    const statusTlv = outer.next(0x0a, "responseStatus");
    const status = statusTlv.value.length === 1 ? statusTlv.value[0] : -1;
    if (status !== 0) {
      const name = responseStatusNames[status] ?? (status === 6 ? "unauthorized" : String(status));
      throw new OcspError("unsuccessful", `the OCSP responder answered ${name}`);
    }
    const bytesTlv = outer.next(0xa0, "responseBytes");
    outer.end("OCSPResponse");
    const rb = DerReader.of(parseDer(bytesTlv.value), Tag.SEQUENCE, "ResponseBytes");
    const type = decodeOid(rb.next(Tag.OID, "responseType"));
    if (type !== OcspOid.basicResponse) throw new OcspError("malformed", `response type ${type} is not basic`);
    const basic = rb.next(Tag.OCTET_STRING, "response").value;
    rb.end("ResponseBytes");
    return parseBasic(der, basic);
  } catch (e) {
    if (e instanceof DerError) throw new OcspError("malformed", `the OCSP response does not parse: ${e.message}`);
    throw e;
  }
}

function parseBasic(der: Uint8Array, basic: Uint8Array): BasicOcspResponse {
  const fields = DerReader.of(parseDer(basic), Tag.SEQUENCE, "BasicOCSPResponse");
  const tbsTlv = fields.next(Tag.SEQUENCE, "tbsResponseData");
  const signatureAlgorithm = readAlgorithm(fields.next(Tag.SEQUENCE, "signatureAlgorithm"));
  const sig = decodeBitString(fields.next(Tag.BIT_STRING, "signature"));
  const certsTlv = fields.optional(0xa0);
  fields.end("BasicOCSPResponse");
  const certs = certsTlv
    ? DerReader.of(parseDer(certsTlv.value), Tag.SEQUENCE, "certs").rest().map((c) => parseCertificate(c.raw))
    : [];
  const tbs = DerReader.of(tbsTlv, Tag.SEQUENCE, "ResponseData");
  const version = tbs.optional(0xa0);
  if (version && decodeSmallInt(parseDer(version.value)) !== 0) throw new DerError("ResponseData version is not v1");
  const rid = tbs.next(undefined, "responderID");
  let responderId: BasicOcspResponse["responderId"];
  if (rid.tag === 0xa1) responderId = { byName: parseDer(rid.value).raw };
  else if (rid.tag === 0xa2) responderId = { byKey: expectOctets(parseDer(rid.value)) };
  else throw new DerError("responderID is neither byName nor byKey");
  const producedAt = decodeTime(tbs.next(Tag.GeneralizedTime, "producedAt"));
  const responses = DerReader.of(tbs.next(Tag.SEQUENCE, "responses"), Tag.SEQUENCE, "responses").rest()
    .map(parseSingle);
  tbs.optional(0xa1); // responseExtensions (a nonce, which stapling does not use)
  tbs.end("ResponseData");
  return {
    der,
    tbs: tbsTlv.raw,
    responderId,
    producedAt,
    responses,
    signatureAlgorithm,
    signature: sig.bytes,
    certs,
  };
}

function parseSingle(tlv: Tlv): SingleResponse {
  const f = DerReader.of(tlv, Tag.SEQUENCE, "SingleResponse");
  const id = DerReader.of(f.next(Tag.SEQUENCE, "certID"), Tag.SEQUENCE, "CertID");
  const hashAlgorithm = readAlgorithm(id.next(Tag.SEQUENCE, "hashAlgorithm")).oid;
  const issuerNameHash = id.next(Tag.OCTET_STRING, "issuerNameHash").value;
  const issuerKeyHash = id.next(Tag.OCTET_STRING, "issuerKeyHash").value;
  const serialTlv = id.next(Tag.INTEGER, "serialNumber");
  id.end("CertID");
  const certId = { hashAlgorithm, issuerNameHash, issuerKeyHash, serial: serialHex(serialTlv.value) };
  const statusTlv = f.next(undefined, "certStatus");
  let status: SingleResponse["status"];
  let revokedAt: Date | undefined;
  // RFC 6960 §4.2.1: good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL.
  if (statusTlv.tag === 0x80) status = "good";
  else if (statusTlv.tag === 0x82) status = "unknown";
  else if (statusTlv.tag === 0xa1) {
    status = "revoked";
    revokedAt = decodeTime(new DerReader(statusTlv.value).next(Tag.GeneralizedTime, "revocationTime"));
  } else throw new DerError("certStatus is not good, revoked or unknown");
  const thisUpdate = decodeTime(f.next(Tag.GeneralizedTime, "thisUpdate"));
  const next = f.optional(0xa0);
  const nextUpdate = next ? decodeTime(parseDer(next.value)) : undefined;
  f.optional(0xa1); // singleExtensions
  f.end("SingleResponse");
  return { certId, status, revokedAt, thisUpdate, nextUpdate };
}

export interface VerifyOcspOptions {
  readonly now: Date;
  readonly provider: Pick<CryptoProvider, "verify">;
}

/**
 * Checks that `der` is a current, properly signed answer about `cert` issued by `issuer`, and returns what it
 * says. A believed "revoked" or "unknown" is returned, not thrown: `requireGood` turns it into an error.
 */
export async function verifyOcspResponse(
  der: Uint8Array,
  cert: Certificate,
  issuer: Certificate,
  options: VerifyOcspOptions,
): Promise<OcspStatus> {
  const response = parseOcspResponse(der);
  const single = response.responses.find((r) => certIdMatches(r.certId, cert, issuer));
  if (!single) {
    throw new OcspError("wrong_certificate", `the OCSP response is not about serial ${cert.serial} of this issuer`);
  }
  const signer = await checkSigner(response, issuer, options);
  checkCurrent(single, options.now.getTime());
  return {
    status: single.status,
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate,
    revokedAt: single.revokedAt,
    signer,
  };
}

/** A believed status that is not "good" becomes the error a client aborts with. */
export function requireGood(status: OcspStatus, cert: Certificate): OcspStatus {
  if (status.status === "revoked") {
    const when = status.revokedAt ? ` on ${status.revokedAt.toISOString()}` : "";
    throw new OcspError("revoked", `certificate ${cert.serial} ("${cert.subject.text}") was revoked${when}`);
  }
  if (status.status === "unknown") {
    throw new OcspError("unknown", `the OCSP responder does not know certificate ${cert.serial}`);
  }
  return status;
}

/** The instant after which the response must not be stapled or believed. */
export function ocspExpiry(status: Pick<OcspStatus, "thisUpdate" | "nextUpdate">): number {
  return status.nextUpdate?.getTime() ?? status.thisUpdate.getTime() + MAX_AGE_WITHOUT_NEXT_UPDATE;
}

function certIdMatches(id: CertId, cert: Certificate, issuer: Certificate): boolean {
  const ours = certIdHash(id.hashAlgorithm) ? certIdFor(cert, issuer, id.hashAlgorithm) : null;
  return ours !== null && id.serial === ours.serial && bytesEqual(id.issuerNameHash, ours.issuerNameHash) &&
    bytesEqual(id.issuerKeyHash, ours.issuerKeyHash);
}

/** RFC 6960 §4.2.2.2: the issuer itself, or a certificate it issued for id-kp-OCSPSigning, signs. */
async function checkSigner(
  r: BasicOcspResponse,
  issuer: Certificate,
  options: VerifyOcspOptions,
): Promise<"issuer" | "delegated"> {
  const named = (c: Certificate) =>
    "byName" in r.responderId
      ? bytesEqual(c.subject.der, r.responderId.byName)
      : bytesEqual(sha1(c.publicKey.key), r.responderId.byKey);
  if (named(issuer)) {
    await checkSignature(r, issuer, options);
    return "issuer";
  }
  const delegate = r.certs.find(named);
  if (!delegate) {
    throw new OcspError("wrong_signer", "the OCSP response is signed by neither the issuer nor a delegate");
  }
  try {
    await verifyCertificateSignature(delegate, issuer, options.provider, 0);
  } catch (e) {
    if (!(e instanceof CertificateError)) throw e;
    throw new OcspError("wrong_signer", `the OCSP responder "${delegate.subject.text}" was not issued by the issuer`);
  }
  if (!delegate.extKeyUsage?.includes(OcspOid.ocspSigning)) {
    throw new OcspError("wrong_signer", `the OCSP responder "${delegate.subject.text}" is not for OCSP signing`);
  }
  const now = options.now.getTime();
  if (now < delegate.notBefore.getTime() || now > delegate.notAfter.getTime()) {
    throw new OcspError("wrong_signer", `the OCSP responder certificate "${delegate.subject.text}" is not valid now`);
  }
  await checkSignature(r, delegate, options);
  return "delegated";
}

async function checkSignature(r: BasicOcspResponse, signer: Certificate, options: VerifyOcspOptions): Promise<void> {
  // The same rules as a certificate's own signature (RFC 6960 §4.2.1 uses X.509's AlgorithmIdentifier).
  const asCertificate = { ...signer, tbs: r.tbs, signature: r.signature, signatureAlgorithm: r.signatureAlgorithm };
  try {
    await verifyCertificateSignature(asCertificate, signer, options.provider, 0);
  } catch (e) {
    if (!(e instanceof CertificateError)) throw e;
    throw new OcspError("bad_signature", `the OCSP response signature does not verify: ${e.reason}`);
  }
}

/** RFC 6960 §4.2.2.1 (with RFC 5019 §4's reading): current from thisUpdate until nextUpdate. */
function checkCurrent(single: SingleResponse, now: number): void {
  if (single.thisUpdate.getTime() > now + CLOCK_SKEW) {
    throw new OcspError("not_yet_valid", `the OCSP response starts at ${single.thisUpdate.toISOString()}`);
  }
  const expiry = ocspExpiry(single);
  if (expiry + CLOCK_SKEW < now) {
    throw new OcspError("expired", `the OCSP response expired at ${new Date(expiry).toISOString()}`);
  }
}

function expectOctets(tlv: Tlv): Uint8Array {
  if (tlv.tag !== Tag.OCTET_STRING) throw new DerError("byKey is not an OCTET STRING");
  return tlv.value;
}

function serialHex(value: Uint8Array): string {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return toHex(value.subarray(i));
}

/** RFC 7633 §4.2.3.1: the TLS Feature extension lists status_request(5): the certificate is "must-staple". */
export function requiresStaple(cert: Certificate): boolean {
  const ext = cert.extensions.find((e: Extension) => e.oid === "1.3.6.1.5.5.7.1.24");
  if (!ext) return false;
  try {
    return DerReader.of(parseDer(ext.value), Tag.SEQUENCE, "Features").rest().some((f) => decodeSmallInt(f) === 5);
  } catch (e) {
    if (e instanceof DerError) return true; // unreadable: fail closed, as if it demanded the staple
    throw e;
  }
}

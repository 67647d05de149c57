/**
 * Client authentication, the client's side (RFC 8446 §4.3.2, §4.4.2, §4.4.3, §4.6.2): reading a
 * CertificateRequest and answering it with our chain and a CertificateVerify, or with an empty Certificate
 * when we have no certificate or no scheme the server accepts. The same answer serves the handshake and
 * post-handshake authentication; only the context, the transcript and (for the Finished after it) the key
 * differ, and those are the caller's.
 */
import { failure } from "../failures.ts";
import type { TranscriptHash } from "../../crypto/provider.ts";
import type { CertifiedKey } from "../pki/certified_key.ts";
import { encodeCertificate } from "../wire/certificate.ts";
import { type CertificateRequest, decodeCertificateRequest } from "../wire/certificate_request.ts";
import { certificateVerifyContent, CLIENT_CONTEXT, encodeCertificateVerify } from "../wire/certificate_verify.ts";
import { ExtensionType as X, HandshakeType } from "../wire/constants.ts";
import { decodeBody } from "../wire/extensions/extension_list.ts";
import { decodeSignatureSchemes } from "../wire/extensions/signature_algorithms.ts";
import { encodeHandshake } from "../wire/handshake.ts";
import { findExtension } from "./extension_rules.ts";

/** What we answered a CertificateRequest with. */
export interface CertificateAnswer {
  /** The handshake messages, in order: Certificate, then CertificateVerify unless the Certificate is empty. */
  messages: Uint8Array[];
  /** The scheme our CertificateVerify used, or null for an empty Certificate. */
  scheme: number | null;
}

/**
 * RFC 8446 §4.6.2: a post-handshake CertificateRequest. The context is the server's to choose (unique per
 * request, §4.3.2); signature_algorithms "MUST be specified" (missing_extension otherwise).
 */
export function readPostHandshakeRequest(body: Uint8Array): CertificateRequest {
  const request = decodeCertificateRequest(body);
  if (!findExtension(request.extensions, X.signature_algorithms)) {
    throw failure("extension_missing", "CertificateRequest without signature_algorithms");
  }
  return request;
}

/**
 * RFC 8446 §4.4.3: our CertificateVerify must use a scheme from the request's signature_algorithms that our key
 * can sign with; our key's own preference order decides among them (as rustls does). Null when there is none.
 */
export function chooseClientScheme(key: CertifiedKey | null, request: CertificateRequest): number | null {
  if (!key) return null;
  const ext = findExtension(request.extensions, X.signature_algorithms)!;
  const offered = decodeBody(ext, decodeSignatureSchemes);
  return key.schemes.find((s) => offered.includes(s)) ?? null;
}

/**
 * Builds our answer and feeds it to `transcript`: Certificate (with the request's context) and, when we have a
 * certificate and a usable scheme, CertificateVerify over the transcript through that Certificate. RFC 8446
 * §4.4.2.4: a client without a suitable certificate "MUST send a Certificate message containing no
 * certificates".
 */
export async function answerCertificateRequest(
  key: CertifiedKey | null,
  request: CertificateRequest,
  transcript: TranscriptHash,
): Promise<CertificateAnswer> {
  const scheme = chooseClientScheme(key, request);
  const chain = scheme === null ? [] : key!.chain;
  const certificate = encodeHandshake(HandshakeType.certificate, encodeCertificate(request.requestContext, chain));
  transcript.update(certificate);
  if (scheme === null) return { messages: [certificate], scheme };
  const content = certificateVerifyContent(CLIENT_CONTEXT, transcript.digest());
  const signature = await key!.signingKey.sign(scheme, content);
  const verify = encodeHandshake(HandshakeType.certificate_verify, encodeCertificateVerify({ scheme, signature }));
  transcript.update(verify);
  return { messages: [certificate, verify], scheme };
}

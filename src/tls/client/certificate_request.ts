/**
 * A CertificateRequest during the handshake (RFC 8446 §4.3.2), read by the client; client_auth.ts answers it
 * (and the post-handshake ones).
 */
import { failure } from "../failures.ts";
import { type CertificateRequest, decodeCertificateRequest } from "../wire/certificate_request.ts";
import { ExtensionType as X } from "../wire/constants.ts";
import { findExtension } from "./extension_rules.ts";

export function readCertificateRequest(body: Uint8Array): CertificateRequest {
  const request = decodeCertificateRequest(body);
  // RFC 8446 §4.3.2: the context "SHALL be zero length unless used for the post-handshake authentication".
  if (request.requestContext.length !== 0) {
    throw failure("certificate_request_context");
  }
  // RFC 8446 §4.3.2: "The "signature_algorithms" extension MUST be specified".
  if (!findExtension(request.extensions, X.signature_algorithms)) {
    throw failure("extension_missing", "CertificateRequest without signature_algorithms");
  }
  return request;
}

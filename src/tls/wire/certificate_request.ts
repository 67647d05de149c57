/**
 * CertificateRequest (RFC 8446 §4.3.2): a context (empty during the handshake, unique in post-handshake
 * authentication) and extensions, of which signature_algorithms is required.
 */
import { type Extension, readExtensions, writeExtensions } from "./extensions/extension_list.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export interface CertificateRequest {
  requestContext: Uint8Array;
  extensions: Extension[];
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body);
  const requestContext = r.vec8();
  const extensions = readExtensions(r);
  r.expectEnd("CertificateRequest");
  return { requestContext, extensions };
}

export function encodeCertificateRequest(cr: CertificateRequest): Uint8Array {
  const w = new Writer().opaque8(cr.requestContext);
  writeExtensions(w, cr.extensions);
  return w.finish();
}

/**
 * Certificate (RFC 8446 §4.4.2): a request context (empty except in post-handshake authentication) and a
 * list of X.509 entries, each with its own extensions.
 */
import { failure } from "../failures.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions/extension_list.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export interface CertificateEntry {
  certData: Uint8Array;
  extensions: Extension[];
}

export interface CertificateMessage {
  requestContext: Uint8Array;
  entries: CertificateEntry[];
}

export function decodeCertificate(body: Uint8Array): CertificateMessage {
  const r = new Reader(body);
  const requestContext = r.vec8();
  const list = r.sub24();
  const entries: CertificateEntry[] = [];
  while (list.remaining > 0) {
    const certData = list.vec24(1);
    entries.push({ certData, extensions: readExtensions(list) });
  }
  r.expectEnd("Certificate");
  if (requestContext.length > 255) throw failure("field_out_of_range", "certificate_request_context too long");
  return { requestContext, entries };
}

/** `leafExtensions` go with the first entry: RFC 8446 §4.4.2.1, an OCSP staple answers for the end-entity. */
export function encodeCertificate(
  requestContext: Uint8Array,
  chain: readonly Uint8Array[],
  leafExtensions: readonly Extension[] = [],
): Uint8Array {
  const w = new Writer(1024).opaque8(requestContext).vec24((l) => {
    chain.forEach((der, i) => {
      l.opaque24(der);
      writeExtensions(l, i === 0 ? leafExtensions : []);
    });
  });
  return w.finish();
}

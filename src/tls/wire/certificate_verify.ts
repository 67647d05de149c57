/**
 * CertificateVerify (RFC 8446 §4.4.3): a signature over 64 spaces, a context string, a zero byte and the
 * transcript hash, so that a TLS 1.3 signature can never be replayed in another context.
 */
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export interface CertificateVerify {
  scheme: number;
  signature: Uint8Array;
}

export const SERVER_CONTEXT = "TLS 1.3, server CertificateVerify";
export const CLIENT_CONTEXT = "TLS 1.3, client CertificateVerify";

export function certificateVerifyContent(context: string, transcriptHash: Uint8Array): Uint8Array {
  const label = new TextEncoder().encode(context);
  const out = new Uint8Array(64 + label.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(label, 64);
  out[64 + label.length] = 0;
  out.set(transcriptHash, 64 + label.length + 1);
  return out;
}

export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vec16(1);
  r.expectEnd("CertificateVerify");
  return { scheme, signature };
}

export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return new Writer(4 + cv.signature.length).u16(cv.scheme).opaque16(cv.signature).finish();
}

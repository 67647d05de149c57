/**
 * status_request (RFC 6066 §8) and the CertificateStatus it is answered with. In TLS 1.3 the answer rides in
 * the extensions of the leaf's CertificateEntry (RFC 8446 §4.4.2.1), not in a CertificateStatus message.
 */
import { failure } from "../../failures.ts";
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

/** RFC 6066 §8 CertificateStatusType: ocsp(1) is the only one defined. */
export const CertificateStatusType = { ocsp: 1 } as const;

/**
 * The client's CertificateStatusRequest. Returns true when it asks for OCSP; another status_type is ignored
 * (RFC 6066 §8: the server "MUST ignore" types it does not support). responder_id_list and
 * request_extensions are read for framing and not acted on: we staple the one response we hold.
 */
export function decodeStatusRequest(r: Reader): boolean {
  const type = r.u8();
  if (type !== CertificateStatusType.ocsp) {
    r.bytesN(r.remaining);
    return false;
  }
  const responders = r.sub16();
  while (responders.remaining > 0) responders.vec16(1);
  r.vec16();
  return true;
}

/** OCSP with no responder IDs and no extensions: "the responders are implicitly known to the server". */
export function encodeStatusRequest(): Uint8Array {
  return new Writer(5).u8(CertificateStatusType.ocsp).u16(0).u16(0).finish();
}

/** RFC 6066 §8 CertificateStatus: `struct { CertificateStatusType status_type; OCSPResponse response; }`. */
export function encodeCertificateStatus(ocspResponse: Uint8Array): Uint8Array {
  return new Writer(ocspResponse.length + 4).u8(CertificateStatusType.ocsp).opaque24(ocspResponse).finish();
}

/** The DER OCSPResponse inside a CertificateStatus; another type or an empty response is decode_error. */
export function decodeCertificateStatus(r: Reader): Uint8Array {
  const type = r.u8();
  if (type !== CertificateStatusType.ocsp) {
    throw failure("field_out_of_range", `CertificateStatus of unknown type ${type}`);
  }
  return r.vec24(1);
}

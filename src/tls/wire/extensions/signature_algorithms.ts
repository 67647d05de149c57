/** signature_algorithms and signature_algorithms_cert (RFC 8446 §4.2.3): same wire shape. */
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodeSignatureSchemes(r: Reader): number[] {
  return r.u16List(2);
}

export function encodeSignatureSchemes(schemes: readonly number[]): Uint8Array {
  return new Writer().u16List(schemes).finish();
}

/** early_data (RFC 8446 §4.2.10): empty in ClientHello and EncryptedExtensions, max size in NewSessionTicket. */
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodeMaxEarlyDataSize(r: Reader): number {
  return r.u32();
}

export function encodeMaxEarlyDataSize(size: number): Uint8Array {
  return new Writer(4).u32(size).finish();
}

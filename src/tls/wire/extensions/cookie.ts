/** cookie (RFC 8446 §4.2.2): opaque cookie<1..2^16-1>. */
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodeCookie(r: Reader): Uint8Array {
  return r.vec16(1);
}

export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return new Writer().opaque16(cookie).finish();
}

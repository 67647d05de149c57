/** supported_groups (RFC 8446 §4.2.7) */
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodeSupportedGroups(r: Reader): number[] {
  return r.u16List(2);
}

export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  return new Writer().u16List(groups).finish();
}

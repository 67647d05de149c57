/** psk_key_exchange_modes (RFC 8446 §4.2.9) */
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodePskModes(r: Reader): number[] {
  return Array.from(r.vec8(1));
}

export function encodePskModes(modes: readonly number[]): Uint8Array {
  return new Writer().opaque8(Uint8Array.from(modes)).finish();
}

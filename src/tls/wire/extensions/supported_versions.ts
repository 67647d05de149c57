/** supported_versions (RFC 8446 §4.2.1): a list in the ClientHello, one selected version in ServerHello/HRR. */
import { failure } from "../../failures.ts";
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodeSupportedVersionsList(r: Reader): number[] {
  const body = r.vec8(2);
  if (body.length % 2 !== 0) throw failure("decode_odd_list", "odd length in supported_versions");
  const out: number[] = [];
  for (let i = 0; i + 1 < body.length; i += 2) out.push((body[i] << 8) | body[i + 1]);
  return out;
}

export function encodeSupportedVersionsList(versions: readonly number[]): Uint8Array {
  return new Writer().vec8((w) => {
    for (const v of versions) w.u16(v);
  }).finish();
}

export function decodeSelectedVersion(r: Reader): number {
  return r.u16();
}

export function encodeSelectedVersion(version: number): Uint8Array {
  return new Writer(2).u16(version).finish();
}

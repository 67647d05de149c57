/**
 * The generic extension block (RFC 8446 §4.2): `Extension extensions<0..2^16-1>`.
 */
import { failure } from "../../failures.ts";
import { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";
import { extensionName } from "../constants.ts";

/** One extension as on the wire (RFC 8446 §4.2): its type and its undecoded data. */
export interface Extension {
  /** The ExtensionType code point; unknown and GREASE values are kept as they are. */
  type: number;
  /** extension_data, decoded by the codec of its type when it is used. */
  data: Uint8Array;
}

/**
 * Reads an extension block. RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a
 * given extension block" — a duplicate is illegal_parameter.
 */
export function readExtensions(r: Reader): Extension[] {
  const block = r.sub16();
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16();
    const data = block.vec16();
    if (seen.has(type)) throw failure("extension_duplicate", `two ${extensionName(type)} extensions`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

export function writeExtensions(w: Writer, extensions: readonly Extension[]): void {
  w.vec16((b) => {
    for (const e of extensions) b.u16(e.type).opaque16(e.data);
  });
}

/**
 * Decodes one extension body with `decode`, requiring that it consumes the body exactly; a malformed body is
 * decode_error (RFC 8446 §6.2).
 */
export function decodeBody<T>(ext: Extension, decode: (r: Reader) => T): T {
  const r = new Reader(ext.data);
  const value = decode(r);
  r.expectEnd(`${extensionName(ext.type)} extension`);
  return value;
}

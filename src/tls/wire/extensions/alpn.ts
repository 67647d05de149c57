/** application_layer_protocol_negotiation (RFC 7301 §3.1): non-empty list of non-empty protocol names. */
import { failure } from "../../failures.ts";
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodeProtocolNames(r: Reader): string[] {
  const list = r.sub16(2);
  const out: string[] = [];
  const dec = new TextDecoder("utf-8", { fatal: false });
  while (list.remaining > 0) out.push(dec.decode(list.vec8(1)));
  if (out.length === 0) throw failure("extension_malformed", "empty ALPN list");
  return out;
}

export function encodeProtocolNames(names: readonly string[]): Uint8Array {
  const enc = new TextEncoder();
  return new Writer().vec16((w) => {
    for (const n of names) w.opaque8(enc.encode(n));
  }).finish();
}

/**
 * key_share (RFC 8446 §4.2.8): a list of entries in the ClientHello, one entry in the ServerHello, and only
 * the selected group in a HelloRetryRequest.
 */
import { failure } from "../../failures.ts";
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

function readEntry(r: Reader): KeyShareEntry {
  const group = r.u16();
  return { group, keyExchange: r.vec16(1) };
}

/** RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group" — illegal_parameter. */
export function decodeClientKeyShares(r: Reader): KeyShareEntry[] {
  const list = r.sub16();
  const out: KeyShareEntry[] = [];
  while (list.remaining > 0) {
    const e = readEntry(list);
    if (out.some((x) => x.group === e.group)) throw failure("key_share_duplicate");
    out.push(e);
  }
  return out;
}

export function encodeClientKeyShares(entries: readonly KeyShareEntry[]): Uint8Array {
  return new Writer().vec16((w) => {
    for (const e of entries) w.u16(e.group).opaque16(e.keyExchange);
  }).finish();
}

export function decodeServerKeyShare(r: Reader): KeyShareEntry {
  return readEntry(r);
}

export function encodeServerKeyShare(e: KeyShareEntry): Uint8Array {
  return new Writer().u16(e.group).opaque16(e.keyExchange).finish();
}

export function decodeHelloRetryKeyShare(r: Reader): number {
  return r.u16();
}

export function encodeHelloRetryKeyShare(group: number): Uint8Array {
  return new Writer(2).u16(group).finish();
}

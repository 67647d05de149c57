/**
 * pre_shared_key (RFC 8446 §4.2.11): identities and binders in the ClientHello, the selected index in the
 * ServerHello. The binders are computed over the ClientHello truncated before the binders list, so the
 * encoder reports how long that list is.
 */
import { failure } from "../../failures.ts";
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}

export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Uint8Array[];
}

export function decodeOfferedPsks(r: Reader): OfferedPsks {
  const ids = r.sub16(7);
  const identities: PskIdentity[] = [];
  while (ids.remaining > 0) identities.push({ identity: ids.vec16(1), obfuscatedTicketAge: ids.u32() });
  const bs = r.sub16(33);
  const binders: Uint8Array[] = [];
  while (bs.remaining > 0) binders.push(bs.vec8(32));
  // RFC 8446 §4.2.11: one binder per identity.
  if (binders.length !== identities.length) {
    throw failure("psk_binder_count");
  }
  return { identities, binders };
}

export function encodeOfferedPsks(psks: OfferedPsks): Uint8Array {
  return new Writer()
    .vec16((w) => {
      for (const id of psks.identities) w.opaque16(id.identity).u32(id.obfuscatedTicketAge);
    })
    .vec16((w) => {
      for (const b of psks.binders) w.opaque8(b);
    })
    .finish();
}

/** Length of the encoded binders list (its 2-byte prefix included): what truncation removes. */
export function bindersLength(binderLengths: readonly number[]): number {
  return 2 + binderLengths.reduce((n, l) => n + 1 + l, 0);
}

export function decodeSelectedIdentity(r: Reader): number {
  return r.u16();
}

export function encodeSelectedIdentity(index: number): Uint8Array {
  return new Writer(2).u16(index).finish();
}

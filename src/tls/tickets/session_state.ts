/**
 * What a ticket carries (sealed, so only the server reads it): everything needed to resume without server
 * state, RFC 8446 §4.6.1. Versioned so that a format change makes old tickets fall back to full handshakes.
 */
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";

export interface SessionState {
  cipherSuite: number;
  /** The resumption PSK (RFC 8446 §4.6.1: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce)). */
  psk: Uint8Array;
  /** Milliseconds since the epoch when the ticket was issued. */
  issuedAt: number;
  /** Seconds. */
  lifetime: number;
  ageAdd: number;
  /** 0 when the ticket does not allow early data. */
  maxEarlyData: number;
  alpn: string | null;
  serverName: string | null;
  /** Random per ticket: the key of single-use tickets in the replay store (RFC 8446 §8.1). */
  id: Uint8Array;
  /** The client certificate chain verified in the original session, if any (DER). */
  clientCertificates: Uint8Array[];
}

const VERSION = 1;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeSessionState(s: SessionState): Uint8Array {
  return new Writer(128 + s.psk.length)
    .u8(VERSION)
    .u16(s.cipherSuite)
    .opaque8(s.psk)
    .u32(Math.floor(s.issuedAt / 2 ** 32))
    .u32(s.issuedAt >>> 0)
    .u32(s.lifetime)
    .u32(s.ageAdd)
    .u32(s.maxEarlyData)
    .opaque8(enc.encode(s.alpn ?? ""))
    .opaque8(enc.encode(s.serverName ?? ""))
    .opaque8(s.id)
    .vec24((w) => {
      for (const c of s.clientCertificates) w.opaque24(c);
    })
    .finish();
}

/** Null for a state of another version or a malformed one (it was sealed by us, so that means a format change). */
export function decodeSessionState(bytes: Uint8Array): SessionState | null {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== VERSION) return null;
    const cipherSuite = r.u16();
    const psk = r.vec8();
    const issuedAt = r.u32() * 2 ** 32 + r.u32();
    const lifetime = r.u32();
    const ageAdd = r.u32();
    const maxEarlyData = r.u32();
    const alpn = dec.decode(r.vec8()) || null;
    const serverName = dec.decode(r.vec8()) || null;
    const id = r.vec8();
    const certs = r.sub24();
    const clientCertificates: Uint8Array[] = [];
    while (certs.remaining > 0) clientCertificates.push(certs.vec24());
    r.expectEnd("session state");
    return { cipherSuite, psk, issuedAt, lifetime, ageAdd, maxEarlyData, alpn, serverName, id, clientCertificates };
  } catch {
    return null;
  }
}

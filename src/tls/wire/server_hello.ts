/**
 * ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4): one structure; a HelloRetryRequest is a
 * ServerHello whose random is the fixed SHA-256("HelloRetryRequest") value.
 */
import { bytesEqual, fromHex } from "../../bytes.ts";
import { failure } from "../failures.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions/extension_list.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

/** RFC 8446 §4.1.3: the special random of a HelloRetryRequest. */
export const HELLO_RETRY_REQUEST_RANDOM = fromHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

/** RFC 8446 §4.1.3: the last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2 or below. */
export const DOWNGRADE_TLS12 = Uint8Array.from([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]);
export const DOWNGRADE_TLS11 = Uint8Array.from([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]);

export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  legacyCompressionMethod: number;
  extensions: Extension[];
}

export function isHelloRetryRequest(sh: ServerHello): boolean {
  return bytesEqual(sh.random, HELLO_RETRY_REQUEST_RANDOM);
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytesN(32);
  const legacySessionIdEcho = r.vec8();
  if (legacySessionIdEcho.length > 32) {
    throw failure("field_out_of_range", "legacy_session_id_echo longer than 32 bytes");
  }
  const cipherSuite = r.u16();
  const legacyCompressionMethod = r.u8();
  const extensions = r.remaining > 0 ? readExtensions(r) : [];
  r.expectEnd("ServerHello");
  return { legacyVersion, random, legacySessionIdEcho, cipherSuite, legacyCompressionMethod, extensions };
}

export function encodeServerHello(sh: ServerHello): Uint8Array {
  const w = new Writer(128)
    .u16(sh.legacyVersion)
    .bytes(sh.random)
    .opaque8(sh.legacySessionIdEcho)
    .u16(sh.cipherSuite)
    .u8(sh.legacyCompressionMethod);
  writeExtensions(w, sh.extensions);
  return w.finish();
}

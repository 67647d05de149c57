/**
 * The Close frame's body (RFC 6455 §5.5.1): an optional 2-byte status code, then an optional UTF-8 reason,
 * 125 bytes at most in all. Which codes may appear on the wire is §7.4's rule, kept here in one place.
 */
import { CloseCode, WebSocketError } from "./errors.ts";

/** A Close frame's content; `code` is 1005 (`no_status`) when the body was empty (§7.1.5). */
export interface CloseInfo {
  code: number;
  reason: string;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * §7.4.1-§7.4.2: codes an endpoint may send and accept: the assigned 1000-1003 and 1007-1014, and 3000-4999
 * (libraries and applications). 1004-1006 and 1015 are reserved, the rest of 0-2999 unassigned.
 */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

/** Reads a received Close body; throws a WebSocketError (1002 or 1007) when it breaks §5.5.1 or §7.4. */
export function parseClosePayload(payload: Uint8Array): CloseInfo {
  if (payload.length === 0) return { code: CloseCode.no_status, reason: "" };
  if (payload.length === 1) throw new WebSocketError("bad_close_payload", "a 1-byte Close body");
  const code = (payload[0] << 8) | payload[1];
  if (!isSendableCloseCode(code)) throw new WebSocketError("bad_close_code", String(code));
  let reason: string;
  try {
    reason = strictUtf8.decode(payload.subarray(2));
  } catch {
    throw new WebSocketError("invalid_utf8", "in a Close reason");
  }
  return { code, reason };
}

/**
 * A Close body for `code` and `reason`; an empty body for 1005 (no code to send). Throws a RangeError for a
 * code that may not be sent or a reason over 123 bytes of UTF-8 (§5.5: the whole body fits in 125).
 */
export function encodeClosePayload(code: number, reason = ""): Uint8Array {
  if (code === CloseCode.no_status) return new Uint8Array(0);
  if (!isSendableCloseCode(code)) throw new RangeError(`close code ${code} may not be sent (RFC 6455 §7.4)`);
  const text = encoder.encode(reason);
  if (text.length > 123) throw new RangeError(`close reason is ${text.length} bytes of UTF-8; at most 123 fit`);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

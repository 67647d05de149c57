/** KeyUpdate (RFC 8446 §4.6.3): one byte, update_not_requested(0) or update_requested(1). */
import { failure } from "../failures.ts";
import { Reader } from "./reader.ts";

export function decodeKeyUpdate(body: Uint8Array): boolean {
  const r = new Reader(body);
  const request = r.u8();
  r.expectEnd("KeyUpdate");
  // RFC 8446 §4.6.3: any other value is illegal_parameter.
  if (request > 1) throw failure("key_update_invalid", `request_update ${request}`);
  return request === 1;
}

export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return Uint8Array.of(requestUpdate ? 1 : 0);
}

/** server_name (RFC 6066 §3): one host_name; IP literals are not allowed in SNI. */
import { failure } from "../../failures.ts";
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

const HOST_NAME = 0;

export function decodeServerName(r: Reader): string {
  const list = r.sub16(1);
  let name: string | undefined;
  while (list.remaining > 0) {
    const type = list.u8();
    const value = list.vec16(1);
    if (type !== HOST_NAME) continue;
    // RFC 6066 §3: the list MUST NOT contain more than one name of the same name_type.
    if (name !== undefined) throw failure("server_name_repeated");
    for (const c of value) {
      if (c < 0x21 || c > 0x7e) throw failure("extension_malformed", "server_name is not an ASCII host name");
    }
    name = new TextDecoder().decode(value).toLowerCase().replace(/\.$/, "");
  }
  if (name === undefined) throw failure("extension_malformed", "server_name without a host_name");
  return name;
}

export function encodeServerName(name: string): Uint8Array {
  const host = new TextEncoder().encode(name);
  return new Writer().vec16((w) => w.u8(HOST_NAME).opaque16(host)).finish();
}

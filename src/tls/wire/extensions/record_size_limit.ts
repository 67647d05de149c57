/**
 * record_size_limit (RFC 8449 §4): the largest record the sender is willing to receive. For TLS 1.3 the value
 * counts the inner content type and padding; values below 64 are illegal_parameter.
 */
import { failure } from "../../failures.ts";
import type { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";

export function decodeRecordSizeLimit(r: Reader): number {
  const limit = r.u16();
  if (limit < 64) throw failure("record_size_limit_too_small", `record_size_limit ${limit}`);
  return limit;
}

export function encodeRecordSizeLimit(limit: number): Uint8Array {
  return new Writer(2).u16(limit).finish();
}

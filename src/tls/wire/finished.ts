/** Finished (RFC 8446 §4.4.4): verify_data, exactly Hash.length bytes. */
import { failure } from "../failures.ts";

export function decodeFinished(body: Uint8Array, hashLength: number): Uint8Array {
  if (body.length !== hashLength) {
    throw failure("finished_length", `Finished of ${body.length} bytes, expected ${hashLength}`);
  }
  return body;
}

/** Whether a connection stays open after a message (RFC 9112 §9.3, persistence). */
import { type Fields, fieldValues } from "./field_lines.ts";
import { splitList } from "./syntax.ts";

export type HttpVersion = "1.0" | "1.1";

/** Lower-cased connection options of the `Connection` field (RFC 9110 §7.6.1). */
export function connectionOptions(fields: Fields): string[] {
  return splitList(fieldValues(fields, "connection")).map((option) => option.toLowerCase());
}

/**
 * RFC 9112 §9.3: "close" ends the connection after this message; otherwise HTTP/1.1 persists, and
 * HTTP/1.0 persists only with "keep-alive".
 */
export function isPersistent(version: HttpVersion, fields: Fields): boolean {
  const options = connectionOptions(fields);
  if (options.includes("close")) return false;
  if (version === "1.1") return true;
  return options.includes("keep-alive");
}

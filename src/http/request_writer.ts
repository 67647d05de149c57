/** Serializing request heads (RFC 9112 §3), for the client, sans-IO. */
import type { Fields } from "./field_lines.ts";
import type { BodyFraming } from "./framing.ts";
import { hopByHopFields } from "./hop_by_hop.ts";
import { fieldValuePattern, latin1Bytes, splitList, tokenPattern } from "./syntax.ts";

/** Methods whose requests carry content by definition: they get `Content-Length: 0` when empty (RFC 9110 §8.6). */
const contentMethods = new Set(["POST", "PUT", "PATCH"]);

/** Whether the request's own `Connection` field asks to close after this exchange. */
export function requestAsksClose(headers: Headers): boolean {
  return splitList([headers.get("connection") ?? ""]).some((option) => option.toLowerCase() === "close");
}

/**
 * The framing of a request body: none without a body (but `Content-Length: 0` for POST, PUT and
 * PATCH), Content-Length when known, chunked otherwise (servers of HTTP/1.1 must accept it).
 */
export function chooseRequestFraming(method: string, hasBody: boolean, knownLength: number | null): BodyFraming {
  if (!hasBody) return contentMethods.has(method) ? { kind: "length", length: 0 } : { kind: "none" };
  if (knownLength !== null) return { kind: "length", length: knownLength };
  return { kind: "chunked" };
}

/**
 * RFC 9112 §3: method SP origin-form SP "HTTP/1.1", then Host first (RFC 9110 §7.2: "SHOULD be the first
 * field"), the caller's end-to-end fields, and our framing and connection fields.
 */
export function serializeRequestHead(request: Request, framing: BodyFraming, close: boolean): Uint8Array {
  const url = new URL(request.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`cannot send ${url.protocol} over HTTP/1.1`);
  }
  if (!tokenPattern.test(request.method)) throw new TypeError(`bad method ${JSON.stringify(request.method)}`);
  const fields: Fields = [["host", url.host]];
  for (const [name, value] of request.headers) {
    // Host, framing and connection fields are ours to write (hop_by_hop.ts).
    if (name !== "host" && !hopByHopFields.has(name)) fields.push([name, value]);
  }
  if (framing.kind === "length") fields.push(["content-length", String(framing.length)]);
  if (framing.kind === "chunked") fields.push(["transfer-encoding", "chunked"]);
  if (close) fields.push(["connection", "close"]);
  let text = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (const [name, value] of fields) {
    if (!tokenPattern.test(name) || !fieldValuePattern.test(value)) {
      throw new TypeError(`request field ${JSON.stringify(name)} cannot be sent`);
    }
    text += `${name}: ${value}\r\n`;
  }
  return latin1Bytes(text + "\r\n");
}

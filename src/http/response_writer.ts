/**
 * Serializing response heads (RFC 9112 §4-§6), sans-IO: which framing a response gets, which fields go
 * out, and the bytes of the head. The I/O that follows (streaming the body) is in send_response.ts.
 */
import { reasonPhrases } from "./errors.ts";
import type { Fields } from "./field_lines.ts";
import type { BodyFraming } from "./framing.ts";
import { hopByHopFields } from "./hop_by_hop.ts";
import type { HttpVersion } from "./keep_alive.ts";
import { fieldValuePattern, latin1Bytes, latin1Into, tokenPattern } from "./syntax.ts";

/**
 * RFC 9110 §6.6.1: an origin server with a clock MUST send Date. Formatting it is not free, and it only
 * changes once a second, so the string is cached per second.
 */
let dateSecond = -1;
let dateText = "";
export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** RFC 9110 §6.4.1 and §15: statuses whose responses never carry content. */
export function statusForbidsBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

export interface FramingInput {
  requestMethod: string;
  requestVersion: HttpVersion;
  status: number;
  /** Whether the Response has a body stream at all. */
  hasBody: boolean;
  /** Body length when all of it is known (read ahead); null while it is still streaming. */
  knownLength: number | null;
  /** A valid Content-Length the handler set, or null. */
  declaredLength: number | null;
}

/**
 * The framing we send (RFC 9112 §6): none for HEAD, 1xx, 204 and 304; Content-Length when the length is
 * known (read ahead, or declared by the handler); chunked to HTTP/1.1 clients otherwise; and for an
 * HTTP/1.0 client, which has no chunked, a body delimited by closing the connection.
 */
export function chooseResponseFraming(input: FramingInput): BodyFraming {
  if (input.requestMethod === "HEAD" || statusForbidsBody(input.status)) return { kind: "none" };
  // RFC 9110 §15.3.6: a 205 has no content; say so with Content-Length: 0.
  if (input.status === 205 || !input.hasBody) return { kind: "length", length: 0 };
  if (input.knownLength !== null) return { kind: "length", length: input.knownLength };
  if (input.declaredLength !== null) return { kind: "length", length: input.declaredLength };
  return input.requestVersion === "1.1" ? { kind: "chunked" } : { kind: "close" };
}

/** A Content-Length the handler set, if it is a valid one (RFC 9110 §8.6); otherwise null. */
export function declaredContentLength(headers: Headers): number | null {
  const value = headers.get("content-length");
  if (value === null || !/^[0-9]+$/.test(value)) return null;
  const length = Number(value);
  return Number.isSafeInteger(length) ? length : null;
}

export interface HeadInput extends FramingInput {
  headers: Headers;
  framing: BodyFraming;
  keepAlive: boolean;
}

/** The fields we send: the handler's end-to-end fields, then Date, framing and Connection. */
export function responseFields(input: HeadInput): Fields {
  const fields: Fields = [];
  let cookies = false;
  let date = false;
  // forEach, not for-of: no iterator objects (a third of this function's time on Deno).
  input.headers.forEach((value, name) => {
    if (name === "set-cookie") cookies = true;
    else if (!hopByHopFields.has(name)) {
      if (name === "date") date = true;
      fields.push([name, value]);
    }
  });
  // Some runtimes' Headers iteration joins repeated fields with ", ", which breaks Set-Cookie (RFC 6265 §3).
  if (cookies) { for (const cookie of input.headers.getSetCookie()) fields.push(["set-cookie", cookie]); }
  if (!date) fields.push(["date", httpDate()]);
  const { framing } = input;
  if (framing.kind === "length") fields.push(["content-length", String(framing.length)]);
  if (framing.kind === "chunked") fields.push(["transfer-encoding", "chunked"]);
  // RFC 9110 §8.6: HEAD and 304 may announce the length of the content they leave out; 1xx and 204 MUST NOT.
  const mayAnnounce = input.requestMethod === "HEAD" || input.status === 304;
  if (
    framing.kind === "none" && mayAnnounce && input.declaredLength !== null && input.status >= 200 &&
    input.status !== 204
  ) {
    fields.push(["content-length", String(input.declaredLength)]);
  }
  // RFC 9112 §9.6: a server that is going to close says so; an HTTP/1.0 client is told it may keep going.
  if (!input.keepAlive) fields.push(["connection", "close"]);
  else if (input.requestVersion === "1.0") fields.push(["connection", "keep-alive"]);
  return fields;
}

/**
 * RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ], then the field lines and
 * the empty line. We always speak HTTP/1.1 (RFC 9110 §2.5: send the highest version we conform to).
 * Throws a TypeError on a field the wire cannot carry (a name that is not a token, a value with a
 * control or non-latin1 character), which the server loop answers with 500.
 */
export function responseHeadText(status: number, reason: string, fields: Fields): string {
  const phrase = reason || reasonPhrases[status] || "";
  if (!fieldValuePattern.test(phrase)) throw new TypeError(`reason phrase cannot be sent`);
  let text = `HTTP/1.1 ${status} ${phrase}\r\n`;
  for (const [name, value] of fields) {
    if (!tokenPattern.test(name) || !fieldValuePattern.test(value)) {
      throw new TypeError(`response field ${JSON.stringify(name)} cannot be sent`);
    }
    text += `${name}: ${value}\r\n`;
  }
  return text + "\r\n";
}

/**
 * The head as bytes, followed by `body` in the same buffer when one is given (one write for both). A
 * body given as ASCII text is encoded with the head in one call.
 */
export function serializeResponseHead(
  status: number,
  reason: string,
  fields: Fields,
  body: Uint8Array | string | null = null,
): Uint8Array {
  const text = responseHeadText(status, reason, fields);
  if (typeof body === "string") return latin1Bytes(text + body);
  const out = new Uint8Array(text.length + (body?.length ?? 0));
  latin1Into(text, out, 0);
  if (body !== null) out.set(body, text.length);
  return out;
}

/** RFC 9110 §10.1.1 and §15.2.1: the interim response that lets a client send its body. */
export const continueResponse: Uint8Array = latin1Bytes("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * A complete error response: a tiny text body and `Connection: close`, because after a protocol error
 * the rest of the byte stream cannot be framed (RFC 9112 §6.3 items 4-5 require closing).
 */
export function errorResponse(status: number): Uint8Array {
  const body = `${status} ${reasonPhrases[status] ?? "Error"}\n`;
  const fields: Fields = [
    ["content-type", "text/plain; charset=utf-8"],
    ["content-length", String(body.length)],
    ["date", httpDate()],
    ["connection", "close"],
  ];
  return serializeResponseHead(status, "", fields, latin1Bytes(body));
}

/**
 * Message body length (RFC 9112 §6.3): which of Content-Length, Transfer-Encoding or the connection
 * closing delimits a body. This is where request smuggling is decided, so every ambiguous case is an
 * error here rather than a guess.
 */
import { HttpError } from "./errors.ts";
import { type Fields, fieldValues } from "./field_lines.ts";
import type { HttpVersion } from "./keep_alive.ts";
import { tokenPattern, trimOws } from "./syntax.ts";

export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  /** Responses only: the body runs until the connection closes (RFC 9112 §6.3 item 8). */
  | { kind: "close" };

export const noBody: BodyFraming = { kind: "none" };

/**
 * RFC 9110 §8.6: Content-Length = 1*DIGIT. Repeated identical values, in one list or several lines
 * ("42, 42"), are accepted as that value, which §8.6 permits; any difference, empty element or non-digit
 * is a 400. Values past 2^53 - 1 cannot be counted exactly, so they are malformed too.
 */
export function parseContentLength(values: readonly string[]): number {
  let first: string | null = null;
  for (const value of values) {
    for (const part of value.split(",")) {
      const digits = trimOws(part);
      if (!/^[0-9]+$/.test(digits)) throw new HttpError("bad_content_length", JSON.stringify(value));
      if (first === null) first = digits;
      else if (digits !== first) throw new HttpError("conflicting_content_length", `${first} and ${digits}`);
    }
  }
  const length = Number(first);
  if (first === null || !Number.isSafeInteger(length)) {
    throw new HttpError("bad_content_length", String(first));
  }
  return length;
}

/**
 * RFC 9112 §6.1 and §7: Transfer-Encoding = #transfer-coding; transfer-coding = token *( OWS ";" OWS
 * transfer-parameter ). Names are case-insensitive; returned lower-cased. "chunked" defines no
 * parameters, so parameters on it are malformed.
 */
export function parseTransferCodings(values: readonly string[]): string[] {
  const codings: string[] = [];
  for (const value of values) {
    for (const part of value.split(",")) {
      const element = trimOws(part);
      // RFC 9110 §5.6.1: empty list elements are ignored.
      if (element === "") continue;
      const semicolon = element.indexOf(";");
      const name = trimOws(semicolon < 0 ? element : element.slice(0, semicolon)).toLowerCase();
      if (!tokenPattern.test(name) || (name === "chunked" && semicolon >= 0)) {
        throw new HttpError("bad_transfer_encoding", `malformed transfer coding ${JSON.stringify(element)}`);
      }
      codings.push(name);
    }
  }
  return codings;
}

/** Checks a request's (or response's) transfer codings: chunked last, once, and nothing else. */
function requireChunkedOnly(codings: readonly string[]): void {
  // RFC 9112 §6.3 item 4: chunked not final in a request: 400 and close.
  if (codings.length === 0 || codings[codings.length - 1] !== "chunked") {
    throw new HttpError("chunked_not_final", codings.join(", "));
  }
  // RFC 9112 §6.1: a coding we do not understand: 501. We implement only chunked.
  const unknown = codings.find((coding) => coding !== "chunked");
  if (unknown !== undefined) throw new HttpError("unknown_transfer_coding", unknown);
  // RFC 9112 §7: a sender MUST NOT apply chunked more than once.
  if (codings.length > 1) throw new HttpError("chunked_twice");
}

/**
 * A message with Transfer-Encoding, request or response alike: chunked as the final and only coding, and
 * nothing that lets two parsers disagree about where the body ends.
 */
function chunkedFraming(version: HttpVersion, te: readonly string[], cl: readonly string[]): BodyFraming {
  // RFC 9112 §6.1: HTTP/1.0 has no Transfer-Encoding; its framing is to be treated as faulty.
  if (version === "1.0") throw new HttpError("transfer_encoding_in_http10");
  // RFC 9112 §6.1 and §6.3 item 3: both present is how smuggling works; refuse and close.
  if (cl.length > 0) throw new HttpError("content_length_with_transfer_encoding");
  requireChunkedOnly(parseTransferCodings(te));
  return { kind: "chunked" };
}

/** How the body of a request is delimited (RFC 9112 §6.3 items 3-7). `maxBodySize` turns into 413. */
export function requestFraming(version: HttpVersion, fields: Fields, maxBodySize: number): BodyFraming {
  const te = fieldValues(fields, "transfer-encoding");
  const cl = fieldValues(fields, "content-length");
  if (te.length > 0) return chunkedFraming(version, te, cl);
  if (cl.length > 0) {
    const length = parseContentLength(cl);
    if (length > maxBodySize) throw new HttpError("content_too_large", `Content-Length ${length}`);
    return length === 0 ? noBody : { kind: "length", length };
  }
  // RFC 9112 §6.3 item 7: a request with neither has no body.
  return noBody;
}

/**
 * How the body of a response is delimited (RFC 9112 §6.3), for a client. As strict as the server side:
 * Content-Length with Transfer-Encoding is refused rather than resolved in favour of chunked.
 */
export function responseFraming(
  requestMethod: string,
  status: number,
  version: HttpVersion,
  fields: Fields,
): BodyFraming {
  // RFC 9112 §6.3 item 1: HEAD, 1xx, 204 and 304 responses end with their head.
  if (requestMethod === "HEAD" || status < 200 || status === 204 || status === 304) return noBody;
  const te = fieldValues(fields, "transfer-encoding");
  const cl = fieldValues(fields, "content-length");
  if (te.length > 0) return chunkedFraming(version, te, cl);
  // RFC 9112 §6.3 item 5: an invalid Content-Length in a response is an unrecoverable error.
  if (cl.length > 0) return { kind: "length", length: parseContentLength(cl) };
  return { kind: "close" };
}

/**
 * The server's sans-IO request parser (RFC 9112): bytes in, events out.
 *
 * Contract (after h11's `Connection.next_event`):
 * - `feed(bytes)` hands bytes over (the parser owns them from then on); `feedEof()` says the peer closed.
 * - `next()` returns the next event, or null when it needs more bytes. Events per message, in order:
 *   one "head", zero or more "data", one "end" (with trailers, empty unless chunked). Between messages
 *   it may return "eof" once the peer has closed cleanly.
 * - "eof" is sticky: once the peer has closed between messages, every later call returns it again.
 * - Pipelined messages simply stay buffered: after "end", `next()` starts on the following head.
 * - Any protocol violation throws an `HttpError` carrying the status to answer with; the parser is then
 *   spent and rethrows the same error, since nothing after a framing error can be trusted.
 */
import { ByteQueue } from "./byte_queue.ts";
import { HttpError } from "./errors.ts";
import { type Fields, fieldValues, parseFieldLines, sectionLines, SectionScanner } from "./field_lines.ts";
import { type BodyFraming, requestFraming } from "./framing.ts";
import { type HttpVersion, isPersistent } from "./keep_alive.ts";
import { defaultLimits, type HttpLimits, resolveLimits } from "./limits.ts";
import { BodyDecoder, type BodyEvent } from "./message_body.ts";
import { absoluteFormPattern, CR, hostPattern, latin1, LF, targetPattern, tokenPattern } from "./syntax.ts";

/** RFC 9112 §3.2: the four forms of request-target. */
export type TargetForm = "origin" | "absolute" | "authority" | "asterisk";

export interface RequestHead {
  /** Case-sensitive, as sent (RFC 9110 §9.1). */
  method: string;
  target: string;
  targetForm: TargetForm;
  version: HttpVersion;
  /** Every field line in arrival order, names as sent. */
  headers: Fields;
  /** The single Host value, or null (HTTP/1.0 without Host). */
  host: string | null;
  framing: BodyFraming;
  /** RFC 9112 §9.3, from the version and Connection; the server may still decide to close. */
  keepAlive: boolean;
}

export type RequestEvent = { type: "head"; head: RequestHead } | BodyEvent | { type: "eof" };

export class RequestParser {
  readonly #limits: HttpLimits;
  readonly #queue = new ByteQueue();
  readonly #scanner = new SectionScanner();
  #body: BodyDecoder | null = null;
  #eof = false;
  #error: HttpError | null = null;

  constructor(limits: Partial<HttpLimits> = {}) {
    this.#limits = resolveLimits(limits, defaultLimits);
  }

  feed(data: Uint8Array): void {
    if (!this.#eof) this.#queue.push(data);
  }

  feedEof(): void {
    this.#eof = true;
  }

  /** Bytes received and not yet turned into events. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** Between messages with nothing buffered: nothing of a next request has arrived. */
  get idle(): boolean {
    return this.#body === null && this.#queue.length === 0;
  }

  /** The current message's body decoder (null between messages). */
  get body(): BodyDecoder | null {
    return this.#body;
  }

  /**
   * Hands out every byte received past the current message and stops parsing: after a 101 they belong to
   * the protocol switched to (RFC 9110 §7.8).
   */
  takeRemaining(): Uint8Array {
    this.#eof = true;
    return this.#queue.take(this.#queue.length);
  }

  next(): RequestEvent | null {
    if (this.#error) throw this.#error;
    try {
      if (this.#body === null) return this.#nextHead();
      const event = this.#body.next(this.#queue, this.#eof);
      if (event?.type === "end") this.#body = null;
      return event;
    } catch (error) {
      if (error instanceof HttpError) this.#error = error;
      throw error;
    }
  }

  #nextHead(): RequestEvent | null {
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received before the request-line.
    while (this.#queue.at(0) === CR && this.#queue.at(1) === LF) {
      this.#queue.skip(2);
      this.#scanner.reset();
    }
    if (this.#queue.at(0) === LF) throw new HttpError("bare_line_feed", "before the request line");
    if (this.#queue.length === 0) return this.#eof ? { type: "eof" } : null;
    const end = this.#scanner.scan(this.#queue);
    if (end < 0) {
      this.#checkPartialHead();
      if (this.#eof) throw new HttpError("truncated_message", "connection closed inside a request head");
      return null;
    }
    if (end > this.#limits.maxHeadSize) {
      throw new HttpError("header_too_large", `head over ${this.#limits.maxHeadSize} bytes`);
    }
    const lines = sectionLines(latin1(this.#queue.take(end)));
    this.#scanner.reset();
    const head = parseHead(lines, this.#limits);
    this.#body = new BodyDecoder(head.framing, this.#limits);
    return { type: "head", head };
  }

  /** Limits on a head still arriving: 414 for a request line that outgrows any target, 431 for the rest. */
  #checkPartialHead(): void {
    const { maxTargetLength, maxHeadSize } = this.#limits;
    if (this.#scanner.inFirstLine && this.#queue.length > maxTargetLength + requestLineSlack) {
      const start = latin1(this.#queue.peek(64));
      const space = start.indexOf(" ");
      if (space > 0 && tokenPattern.test(start.slice(0, space))) {
        throw new HttpError("uri_too_long", `request line over ${maxTargetLength + requestLineSlack} bytes`);
      }
      throw new HttpError("bad_request_line", "no request line");
    }
    if (this.#queue.length > maxHeadSize) {
      throw new HttpError("header_too_large", `head over ${maxHeadSize} bytes`);
    }
  }
}

/** Room for the method, the version and the spaces around a maximal target. */
const requestLineSlack = 64;

function parseHead(lines: string[], limits: HttpLimits): RequestHead {
  const { method, target, version } = parseRequestLine(lines[0], limits.maxTargetLength);
  const targetForm = classifyTarget(method, target);
  const headers = parseFieldLines(lines.slice(1), limits.maxFieldCount);
  const host = checkHost(version, headers);
  const framing = requestFraming(version, headers, limits.maxBodySize);
  return { method, target, targetForm, version, headers, host, framing, keepAlive: isPersistent(version, headers) };
}

/** RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single spaces, nothing more. */
function parseRequestLine(line: string, maxTargetLength: number) {
  const sp1 = line.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : line.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(" ", sp2 + 1) >= 0) {
    throw new HttpError("bad_request_line", JSON.stringify(line.slice(0, 64)));
  }
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  // RFC 9110 §9.1: method = token.
  if (!tokenPattern.test(method)) throw new HttpError("bad_request_line", `method ${JSON.stringify(method)}`);
  const version = parseVersion(line.slice(sp2 + 1));
  if (target.length > maxTargetLength) throw new HttpError("uri_too_long", `${target.length} bytes`);
  if (!targetPattern.test(target)) throw new HttpError("bad_request_target", JSON.stringify(target.slice(0, 64)));
  return { method, target, version };
}

/**
 * RFC 9112 §2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive. RFC 9110 §2.5: a higher
 * minor version of a major we implement is processed as the highest minor we know (1.1); another major
 * gets 505 (RFC 9110 §15.6.6). Anything else is not a version: 400.
 */
function parseVersion(text: string): HttpVersion {
  const match = /^HTTP\/([0-9])\.([0-9])$/.exec(text);
  if (match === null) throw new HttpError("bad_version", JSON.stringify(text.slice(0, 16)));
  if (match[1] !== "1") throw new HttpError("version_not_supported", text);
  return match[2] === "0" ? "1.0" : "1.1";
}

/** RFC 9112 §3.2.1-§3.2.4: which form the target takes, and whether it fits the method. */
function classifyTarget(method: string, target: string): TargetForm {
  // RFC 9112 §3.2.3: authority-form is only used with CONNECT, and CONNECT only with it.
  if (method === "CONNECT") {
    if (!hostPattern.test(target) || !/:[0-9]+$/.test(target)) throw new HttpError("bad_request_target", target);
    return "authority";
  }
  if (target.startsWith("/")) return "origin";
  // RFC 9112 §3.2.4: asterisk-form is only used with OPTIONS.
  if (target === "*") {
    if (method !== "OPTIONS") throw new HttpError("bad_request_target", `* with ${method}`);
    return "asterisk";
  }
  // RFC 9112 §3.2.2: absolute-form, which servers MUST accept.
  if (absoluteFormPattern.test(target)) return "absolute";
  throw new HttpError("bad_request_target", JSON.stringify(target.slice(0, 64)));
}

/**
 * RFC 9112 §3.2: a server MUST respond with 400 to any HTTP/1.1 request that lacks Host, and to any
 * request with more than one Host field line or an invalid Host value. Absolute-form still needs Host
 * (its value is then ignored in favour of the target, RFC 9112 §3.2.2).
 */
function checkHost(version: HttpVersion, headers: Fields): string | null {
  const hosts = fieldValues(headers, "host");
  if (hosts.length > 1) throw new HttpError("duplicate_host", `${hosts.length} Host field lines`);
  if (hosts.length === 0) {
    if (version === "1.1") throw new HttpError("missing_host");
    return null;
  }
  if (!hostPattern.test(hosts[0])) throw new HttpError("bad_host", JSON.stringify(hosts[0].slice(0, 64)));
  return hosts[0];
}

/**
 * The client's sans-IO response parser (RFC 9112 §4), the mirror of request_parser.ts with the same
 * contract: `feed`/`feedEof` bytes in, `next()` events out, null for "need more", `HttpError` on a
 * violation after which the parser is spent.
 *
 * A response's framing depends on the request it answers (HEAD has no body), so `expect(method)` is
 * called before each response. Interim 1xx responses come out as their own head + end, and the parser
 * keeps expecting the final response to the same request.
 */
import { ByteQueue } from "./byte_queue.ts";
import { HttpError } from "./errors.ts";
import { type Fields, parseFieldLines, sectionLines, SectionScanner } from "./field_lines.ts";
import { type BodyFraming, responseFraming } from "./framing.ts";
import { type HttpVersion, isPersistent } from "./keep_alive.ts";
import { defaultClientLimits, type HttpLimits, resolveLimits } from "./limits.ts";
import { BodyDecoder, type BodyEvent } from "./message_body.ts";
import { latin1 } from "./syntax.ts";

export interface ResponseHead {
  version: HttpVersion;
  status: number;
  reason: string;
  headers: Fields;
  framing: BodyFraming;
  /** RFC 9112 §9.3; false also when the body is delimited by the connection closing. */
  keepAlive: boolean;
}

export type ResponseEvent = { type: "head"; head: ResponseHead } | BodyEvent;

export class ResponseParser {
  readonly #limits: HttpLimits;
  readonly #queue = new ByteQueue();
  readonly #scanner = new SectionScanner();
  #method: string | null = null;
  #body: BodyDecoder | null = null;
  #final = false;
  #eof = false;
  #error: HttpError | null = null;

  constructor(limits: Partial<HttpLimits> = {}) {
    this.#limits = resolveLimits(limits, defaultClientLimits);
  }

  feed(data: Uint8Array): void {
    if (!this.#eof) this.#queue.push(data);
  }

  feedEof(): void {
    this.#eof = true;
  }

  get buffered(): number {
    return this.#queue.length;
  }

  /** Announces the request whose response comes next. */
  expect(method: string): void {
    if (this.#method !== null) throw new Error("ResponseParser: previous response not finished");
    this.#method = method;
    this.#final = false;
  }

  next(): ResponseEvent | null {
    if (this.#error) throw this.#error;
    try {
      if (this.#body === null) return this.#nextHead();
      const event = this.#body.next(this.#queue, this.#eof);
      if (event?.type === "end") {
        this.#body = null;
        if (this.#final) this.#method = null;
      }
      return event;
    } catch (error) {
      if (error instanceof HttpError) this.#error = error;
      throw error;
    }
  }

  #nextHead(): ResponseEvent | null {
    if (this.#method === null) {
      if (this.#queue.length > 0) throw new HttpError("bad_request_line", "bytes before any request was sent");
      return null;
    }
    const end = this.#scanner.scan(this.#queue);
    const max = this.#limits.maxHeadSize;
    if (end < 0 ? this.#queue.length > max : end > max) {
      throw new HttpError("header_too_large", `response head over ${max} bytes`);
    }
    if (end < 0) {
      if (this.#eof) throw new HttpError("truncated_message", "connection closed before a complete response head");
      return null;
    }
    const lines = sectionLines(latin1(this.#queue.take(end)));
    this.#scanner.reset();
    const head = parseResponseHead(lines, this.#method, this.#limits.maxFieldCount);
    // RFC 9110 §15.2: a 1xx is interim; the final response to the same request follows.
    this.#final = head.status >= 200;
    this.#body = new BodyDecoder(head.framing, this.#limits);
    return { type: "head", head };
  }
}

function parseResponseHead(lines: string[], method: string, maxFieldCount: number): ResponseHead {
  const { version, status, reason } = parseStatusLine(lines[0]);
  const headers = parseFieldLines(lines.slice(1), maxFieldCount);
  const framing = responseFraming(method, status, version, headers);
  const keepAlive = framing.kind !== "close" && isPersistent(version, headers);
  return { version, status, reason, headers, framing, keepAlive };
}

/**
 * RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. We also accept a missing
 * last SP when the reason is empty ("HTTP/1.1 200"), which servers send and which cannot mislead framing.
 */
function parseStatusLine(line: string): { version: HttpVersion; status: number; reason: string } {
  const match = /^HTTP\/([0-9])\.([0-9]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(line);
  if (match === null) throw new HttpError("bad_request_line", `status line ${JSON.stringify(line.slice(0, 64))}`);
  if (match[1] !== "1") throw new HttpError("version_not_supported", `HTTP/${match[1]}.${match[2]}`);
  // RFC 9110 §15: status codes are 100 to 599; anything else is not a response we can represent.
  const status = Number(match[3]);
  if (status < 100 || status > 599) throw new HttpError("bad_request_line", `status ${match[3]}`);
  return { version: match[2] === "0" ? "1.0" : "1.1", status, reason: match[4] ?? "" };
}

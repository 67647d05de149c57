/**
 * The chunked transfer coding (RFC 9112 §7.1): an incremental, strict decoder and the encoder.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *
 * Strict means: a chunk-size is hex digits and nothing before them; after them only well-formed chunk
 * extensions; every line ends in CRLF; chunk data is followed by exactly CRLF. Each deviation is a 400
 * and the connection closes, because a parser that guesses here is a parser that can be smuggled past.
 */
import type { ByteQueue } from "./byte_queue.ts";
import { HttpError } from "./errors.ts";
import { type Fields, parseFieldLines, sectionLines, SectionScanner } from "./field_lines.ts";
import type { HttpLimits } from "./limits.ts";
import { CR, latin1, latin1Bytes, LF } from "./syntax.ts";

export type ChunkedEvent = { type: "data"; data: Uint8Array } | { type: "end"; trailers: Fields };

export type ChunkedLimits = Pick<HttpLimits, "maxBodySize" | "maxChunkLineLength" | "maxTrailerSize" | "maxFieldCount">;

/**
 * RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), where
 * chunk-ext-val = token / quoted-string (RFC 9110 §5.6.4). Extensions are checked, then ignored.
 */
const chunkExtPattern = new RegExp(
  String.raw`^(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_` + "`" + String.raw`|~0-9A-Za-z]+` +
    String.raw`(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_` + "`" + String.raw`|~0-9A-Za-z]+|` +
    String.raw`"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*$`,
);

/** RFC 9112 §7.1: chunk-size = 1*HEXDIG, then the extensions. */
function parseChunkSizeLine(line: string): number {
  const match = /^([0-9A-Fa-f]+)(.*)$/s.exec(line);
  if (match === null) throw new HttpError("bad_chunk_size", JSON.stringify(line.slice(0, 32)));
  if (!chunkExtPattern.test(match[2])) {
    throw new HttpError("bad_chunk_size", `junk after size: ${JSON.stringify(match[2].slice(0, 32))}`);
  }
  // RFC 9112 §7.1: "recipients MUST anticipate potentially large hexadecimal numerals and prevent
  // parsing errors due to integer conversion overflows". 14 hex digits are 56 bits; beyond 2^53 - 1
  // a number no longer counts bytes exactly.
  const digits = match[1].replace(/^0+/, "");
  const size = digits.length > 14 ? Infinity : parseInt(digits || "0", 16);
  if (!Number.isSafeInteger(size)) throw new HttpError("bad_chunk_size", `overflow: ${match[1].slice(0, 32)}`);
  return size;
}

type Phase = "size" | "data" | "data-crlf" | "trailers" | "done";

/**
 * Decodes a chunked body from the front of a queue. Contract: `next` consumes what it decodes and leaves
 * the rest (a pipelined next message) in the queue; null means "feed more bytes"; after "end" the
 * decoder is spent. Data events are views into the queue's memory, never copied and never overwritten.
 */
export class ChunkedDecoder {
  #phase: Phase = "size";
  #remaining = 0;
  #total = 0;
  #trailers = new SectionScanner();
  readonly #limits: ChunkedLimits;

  constructor(limits: ChunkedLimits) {
    this.#limits = limits;
  }

  /** Decoded body bytes so far. */
  get total(): number {
    return this.#total;
  }

  next(queue: ByteQueue): ChunkedEvent | null {
    for (;;) {
      switch (this.#phase) {
        case "size": {
          const size = this.#readSizeLine(queue);
          if (size === null) return null;
          this.#startChunk(size);
          continue;
        }
        case "data": {
          if (queue.length === 0) return null;
          const data = queue.take(Math.min(this.#remaining, queue.length));
          this.#remaining -= data.length;
          if (this.#remaining === 0) this.#phase = "data-crlf";
          return { type: "data", data };
        }
        case "data-crlf":
          if (!this.#readDataCrlf(queue)) return null;
          this.#phase = "size";
          continue;
        case "trailers":
          return this.#readTrailers(queue);
        case "done":
          return null;
      }
    }
  }

  #startChunk(size: number): void {
    if (size === 0) {
      this.#phase = "trailers";
      return;
    }
    this.#total += size;
    // The body limit is checked against the announced size, before its bytes are read.
    if (this.#total > this.#limits.maxBodySize) {
      throw new HttpError("content_too_large", `chunked body over ${this.#limits.maxBodySize} bytes`);
    }
    this.#remaining = size;
    this.#phase = "data";
  }

  #readSizeLine(queue: ByteQueue): number | null {
    const max = this.#limits.maxChunkLineLength;
    // Refuse junk at once rather than after a whole line of it: the line must start with a hex digit.
    const first = queue.at(0);
    if (first !== undefined && !isHexDigit(first)) {
      throw new HttpError("bad_chunk_size", `starts with byte 0x${first.toString(16)}`);
    }
    const lf = queue.indexOf(LF);
    if (lf < 0) {
      if (queue.length > max + 1) throw new HttpError("chunk_line_too_long", `over ${max} bytes`);
      return null;
    }
    if (lf > max + 1) throw new HttpError("chunk_line_too_long", `over ${max} bytes`);
    // RFC 9112 §2.2: strict CRLF (see field_lines.ts for why bare LF is refused).
    if (queue.at(lf - 1) !== CR) throw new HttpError("bare_line_feed", "in a chunk-size line");
    const line = latin1(queue.take(lf + 1));
    return parseChunkSizeLine(line.slice(0, line.length - 2));
  }

  /** RFC 9112 §7.1: chunk-data is followed by CRLF, and by nothing else. */
  #readDataCrlf(queue: ByteQueue): boolean {
    const first = queue.at(0);
    if (first === undefined) return false;
    if (first !== CR) throw new HttpError("missing_chunk_crlf", `byte 0x${first.toString(16)} after chunk data`);
    const second = queue.at(1);
    if (second === undefined) return false;
    if (second !== LF) throw new HttpError("missing_chunk_crlf", `byte 0x${second.toString(16)} after CR`);
    queue.skip(2);
    return true;
  }

  /** RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), then the final CRLF. */
  #readTrailers(queue: ByteQueue): ChunkedEvent | null {
    const max = this.#limits.maxTrailerSize;
    const end = this.#trailers.scan(queue);
    if (end < 0 ? queue.length > max : end > max) {
      throw new HttpError("header_too_large", `trailer section over ${max} bytes`);
    }
    if (end < 0) return null;
    const lines = sectionLines(latin1(queue.take(end)));
    const trailers = parseFieldLines(lines, this.#limits.maxFieldCount);
    this.#phase = "done";
    return { type: "end", trailers };
  }
}

function isHexDigit(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

const CRLF = new Uint8Array([CR, LF]);

/**
 * One chunk: size in hex, CRLF, the data, CRLF, in one buffer (one write, one TLS record when small).
 * Empty data encodes to nothing: a zero-size chunk would be the last-chunk and end the body.
 */
export function encodeChunk(data: Uint8Array): Uint8Array {
  if (data.length === 0) return new Uint8Array(0);
  const size = latin1Bytes(data.length.toString(16));
  const out = new Uint8Array(size.length + 2 + data.length + 2);
  out.set(size, 0);
  out.set(CRLF, size.length);
  out.set(data, size.length + 2);
  out.set(CRLF, size.length + 2 + data.length);
  return out;
}

/** The last-chunk, the trailer fields (already valid field lines) and the final CRLF. */
export function encodeLastChunk(trailers: Fields = []): Uint8Array {
  let text = "0\r\n";
  for (const [name, value] of trailers) text += `${name}: ${value}\r\n`;
  return latin1Bytes(text + "\r\n");
}

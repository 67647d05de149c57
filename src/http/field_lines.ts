/**
 * Field sections (RFC 9112 §5): finding where a head or a trailer section ends, and parsing its lines
 * into [name, value] pairs in the order they arrived.
 *
 * Line endings are strict: RFC 9112 §2.2 lets a recipient accept a bare LF as a line terminator, and we
 * do not. A bare LF is answered with 400 in the head, in chunk-size lines and in trailers alike, so that
 * no two parsers in a chain (a proxy in front of us, us) can disagree about where a line ends, which is
 * how request smuggling starts.
 */
import type { ByteQueue } from "./byte_queue.ts";
import { HttpError } from "./errors.ts";
import { CR, fieldValuePattern, isOws, LF, tokenPattern, trimOws } from "./syntax.ts";

/** Fields in arrival order, names as received (compare them case-insensitively). */
export type Fields = [name: string, value: string][];

/**
 * Finds the end of a field section: the first empty line. Incremental: it remembers how far it looked,
 * so feeding a head one byte at a time costs linear time in total.
 */
export class SectionScanner {
  #pos = 0;
  #lineStart = 0;

  /** True while the first line of the section has not ended (the request line, for a head). */
  get inFirstLine(): boolean {
    return this.#lineStart === 0;
  }

  reset(): void {
    this.#pos = 0;
    this.#lineStart = 0;
  }

  /**
   * Length of the section at the front of `queue`, its final empty line included, or -1 when it has
   * not ended yet. The section may be just the empty line (no trailers).
   */
  scan(queue: ByteQueue): number {
    for (;;) {
      const lf = queue.indexOf(LF, this.#pos);
      if (lf < 0) {
        this.#pos = queue.length;
        return -1;
      }
      // RFC 9112 §2.2: the line terminator is CRLF; a bare LF is refused (see above).
      if (lf === this.#lineStart || queue.at(lf - 1) !== CR) {
        throw new HttpError("bare_line_feed", "line ended by LF without CR");
      }
      if (lf === this.#lineStart + 1) return lf + 1;
      this.#lineStart = this.#pos = lf + 1;
    }
  }
}

/** The lines of a section (as found by `SectionScanner`), without terminators and without the empty line. */
export function sectionLines(section: string): string[] {
  const body = section.slice(0, section.length - 2);
  if (body === "") return [];
  return body.slice(0, body.length - 2).split("\r\n");
}

/** Parses field lines (RFC 9112 §5), refusing obsolete line folding and malformed names or values. */
export function parseFieldLines(lines: readonly string[], maxFieldCount: number): Fields {
  if (lines.length > maxFieldCount) {
    throw new HttpError("header_too_large", `more than ${maxFieldCount} field lines`);
  }
  const fields: Fields = [];
  for (const line of lines) fields.push(parseFieldLine(line));
  return fields;
}

/** RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. */
export function parseFieldLine(line: string): [string, string] {
  // RFC 9112 §5.2: a server MUST reject obs-fold (a line starting with SP or HTAB) with 400 or unfold it.
  if (line.length > 0 && isOws(line.charCodeAt(0))) {
    throw new HttpError("obs_fold", "field line starts with whitespace");
  }
  const colon = line.indexOf(":");
  const name = colon < 0 ? line : line.slice(0, colon);
  // RFC 9112 §5.1: no whitespace is allowed between the field name and colon; a server MUST reject
  // such a message with 400. The token rule refuses that whitespace along with every other non-tchar.
  if (colon <= 0 || !tokenPattern.test(name)) {
    throw new HttpError("bad_field_name", JSON.stringify(name.slice(0, 64)));
  }
  const value = trimOws(line.slice(colon + 1));
  // RFC 9110 §5.5: CR, LF and NUL are invalid in field values, as is any other control but HTAB.
  if (!fieldValuePattern.test(value)) {
    throw new HttpError("bad_field_value", `in ${name}`);
  }
  return [name, value];
}

/** Values of every field line named `name` (given lower-case; matched case-insensitively), in order. */
export function fieldValues(fields: Fields, name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of fields) if (n.length === name.length && n.toLowerCase() === name) out.push(v);
  return out;
}

/**
 * The character-level grammar shared by request and response parsing (RFC 9110 §5.6, RFC 9112 §2-§7),
 * each rule quoted above the pattern that enforces it. Heads are decoded byte-for-char ("latin1"), so
 * these patterns see exactly the bytes that arrived.
 */

/** RFC 9110 §5.6.2: token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
export const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * RFC 9110 §5.5: field-value = *field-content, whose characters are VCHAR, obs-text, SP and HTAB. So CR,
 * LF, NUL, DEL and every other control character are rejected (RFC 9110 §5.5: "MUST either reject").
 */
export const fieldValuePattern = /^[\t\x20-\x7e\x80-\xff]*$/;

/** RFC 9112 §3.2: request-target characters are visible US-ASCII; "#" never belongs to a sent target. */
export const targetPattern = /^[\x21-\x22\x24-\x7e]+$/;

/** RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":" for absolute-form. */
export const absoluteFormPattern = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/;

/**
 * RFC 9110 §7.2: Host = uri-host [ ":" port ]; uri-host is an IP-literal in brackets, an IPv4 address or
 * a reg-name of unreserved, pct-encoded and sub-delims characters (RFC 3986 §3.2.2). Empty is allowed
 * (RFC 9112 §3.2, a target URI without authority).
 */
export const hostPattern = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]{0,5})?$/;

/** RFC 9110 §5.6.3: OWS = *( SP / HTAB ). */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

export function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * RFC 9110 §5.6.1: a comma-separated list, where empty elements are ignored ("a recipient MUST accept
 * and ignore ... empty list elements"). Values from several field lines concatenate into one list.
 */
export function splitList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(",")) {
      const element = trimOws(part);
      if (element !== "") out.push(element);
    }
  }
  return out;
}

/** Field values are read one char per byte: obs-text is not UTF-8 by contract (src/bytes.ts has the code). */
export { latin1 } from "../bytes.ts";

const nonAscii = /[\u0080-\uffff]/;

/** True when every char of `text` is ASCII (so its UTF-8 and latin1 encodings are the chars themselves). */
export function isAscii(text: string): boolean {
  return !nonAscii.test(text);
}
const utf8 = new TextEncoder();

/** Encodes a head string (ASCII and obs-text only, already validated) one byte per char. */
export function latin1Bytes(text: string): Uint8Array {
  return latin1Into(text, new Uint8Array(text.length), 0);
}

/**
 * Writes `text` one byte per char into `out` at `offset` (room for `text.length` bytes is the caller's
 * to make) and returns `out`. ASCII, the usual case, goes through the runtime's native encoder.
 */
export function latin1Into(text: string, out: Uint8Array, offset: number): Uint8Array {
  if (isAscii(text)) {
    utf8.encodeInto(text, out.subarray(offset, offset + text.length));
    return out;
  }
  for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  return out;
}

export const CR = 0x0d;
export const LF = 0x0a;

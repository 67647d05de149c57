/**
 * PEM, the textual encoding of DER (RFC 7468).
 *
 * Decoding follows RFC 7468 §3's lax parser: text outside the BEGIN/END lines is ignored (bundles such as
 * ca-certificates.crt put comments there), whitespace inside the base64 is skipped, and the labels of BEGIN
 * and END must agree. RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") are kept, so that the key loader can say
 * a key is encrypted instead of failing on its base64.
 */
import { latin1 } from "../../bytes.ts";

export interface PemBlock {
  /** The label between "BEGIN " and the dashes, such as "CERTIFICATE" or "PRIVATE KEY". */
  readonly label: string;
  readonly der: Uint8Array;
  /** RFC 1421 headers (name to value), present only on legacy OpenSSL encrypted keys. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A PEM text that cannot be decoded: unterminated block, mismatched labels, bad base64. */
export class PemError extends Error {
  constructor(reason: string) {
    super(`bad PEM: ${reason}`);
    this.name = "PemError";
  }
}

const beginLine = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----\s*$/;
const endLine = /^-----END ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----\s*$/;
const headerLine = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/;

/** Every PEM block in `text`, in order. Text with no block at all gives an empty list. */
export function decodePem(text: string | Uint8Array): PemBlock[] {
  const source = typeof text === "string" ? text : new TextDecoder().decode(text);
  const lines = source.split(/\r\n|\r|\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = lines[i].trim().match(beginLine);
    if (!begin) continue;
    const label = begin[1] ?? "";
    const { block, next } = readBlock(lines, i + 1, label);
    blocks.push(block);
    i = next;
  }
  return blocks;
}

function readBlock(lines: string[], start: number, label: string): { block: PemBlock; next: number } {
  const headers: Record<string, string> = {};
  let base64 = "";
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].trim();
    const end = line.match(endLine);
    if (end) {
      if ((end[1] ?? "") !== label) {
        throw new PemError(`"BEGIN ${label}" is closed by "END ${end[1] ?? ""}"`);
      }
      return { block: { label, der: decodeBase64(base64, label), headers }, next: i };
    }
    if (line.startsWith("-----")) throw new PemError(`"BEGIN ${label}" has no END line`);
    const header = base64 === "" ? line.match(headerLine) : null;
    if (header) headers[header[1]] = header[2];
    else base64 += line.replace(/\s+/g, "");
  }
  throw new PemError(`"BEGIN ${label}" has no END line`);
}

function decodeBase64(text: string, label: string): Uint8Array {
  // RFC 7468 §3: the standard base64 alphabet with padding; nothing else belongs in the body.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new PemError(`the base64 body of "${label}" is not valid base64`);
  }
  if (text.length === 0) throw new PemError(`"${label}" block is empty`);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** One PEM block, with the 64-character lines RFC 7468 §2 asks generators to write. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = btoa(latin1(der));
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** True when `data` looks like PEM text rather than DER (DER starts with a tag byte, never with a dash). */
export function looksLikePem(data: string | Uint8Array): boolean {
  const head = typeof data === "string" ? data.slice(0, 4096) : new TextDecoder().decode(data.subarray(0, 4096));
  return head.includes("-----BEGIN ");
}

/**
 * A small DER reader and writer (ITU-T X.690 §8, §10): just enough ASN.1 for certificates and private keys.
 *
 * We read DER rather than BER: definite lengths only, minimal length encodings, single-byte tags. Every read
 * returns the raw bytes of the element as well, because signatures are over the exact bytes that were sent
 * (RFC 5280 §4.1.1.3), never over a re-encoding.
 */
import { concat, latin1 } from "../../bytes.ts";

/** Universal tags and the constructed forms we meet in X.509 (X.690 §8.1.2). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag number `n`, constructed (EXPLICIT or a constructed IMPLICIT) or primitive. */
export const contextTag = (n: number, constructed: boolean): number => 0x80 | (constructed ? 0x20 : 0) | n;

/** Malformed DER. Callers turn it into the error their layer speaks (bad_certificate, a load error…). */
export class DerError extends Error {
  constructor(reason: string) {
    super(`malformed DER: ${reason}`);
    this.name = "DerError";
  }
}

/** One element: its tag, its content octets, and the whole encoding (tag, length and content). */
export interface Tlv {
  /** The identifier octet. */
  readonly tag: number;
  /** The content octets. */
  readonly value: Uint8Array;
  /** The whole element, tag and length included. */
  readonly raw: Uint8Array;
}

/** Reads the element at `offset` and returns it with the offset just past it. */
export function readTlv(bytes: Uint8Array, offset = 0): Tlv & { end: number } {
  if (offset + 2 > bytes.length) throw new DerError("truncated header");
  const tag = bytes[offset];
  // X.690 §8.1.2.4: tag numbers of 31 and up use a multi-byte form that X.509 never needs.
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
  let length = bytes[offset + 1];
  let header = 2;
  if (length === 0x80) throw new DerError("indefinite length is not DER");
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4) throw new DerError("length too large");
    if (offset + 2 + count > bytes.length) throw new DerError("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i];
    // X.690 §10.1: the length uses the fewest octets possible.
    if (length < 0x80 || bytes[offset + 2] === 0) throw new DerError("non-minimal length");
    header += count;
  }
  const start = offset + header;
  const end = start + length;
  if (end > bytes.length) throw new DerError("content runs past the end");
  return { tag, value: bytes.subarray(start, end), raw: bytes.subarray(offset, end), end };
}

/** Parses `bytes` as exactly one element, with nothing after it. */
export function parseDer(bytes: Uint8Array): Tlv {
  const tlv = readTlv(bytes, 0);
  if (tlv.end !== bytes.length) throw new DerError("trailing bytes after the element");
  return tlv;
}

/** Walks the children of a constructed element in order. */
export class DerReader {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(content: Uint8Array) {
    this.#bytes = content;
  }

  /** Children of `tlv`, which must have tag `tag`. */
  static of(tlv: Tlv, tag: number, what: string): DerReader {
    expectTag(tlv, tag, what);
    return new DerReader(tlv.value);
  }

  get done(): boolean {
    return this.#offset >= this.#bytes.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.#bytes[this.#offset];
  }

  /** The next element; with `tag`, it must carry that tag. */
  next(tag?: number, what = "element"): Tlv {
    if (this.done) throw new DerError(`missing ${what}`);
    const tlv = readTlv(this.#bytes, this.#offset);
    if (tag !== undefined) expectTag(tlv, tag, what);
    this.#offset = tlv.end;
    return tlv;
  }

  /** The next element if it carries `tag`, else undefined (for OPTIONAL and DEFAULT fields). */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next() : undefined;
  }

  /** Every remaining element. */
  rest(): Tlv[] {
    const out: Tlv[] = [];
    while (!this.done) out.push(this.next());
    return out;
  }

  /** Asserts there is nothing left (SEQUENCE fields beyond the ones we know are an error here). */
  end(what: string): void {
    if (!this.done) throw new DerError(`unexpected data at the end of ${what}`);
  }
}

export function expectTag(tlv: Tlv, tag: number, what: string): void {
  if (tlv.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${hex2(tag)}, got 0x${hex2(tlv.tag)}`);
  }
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** X.690 §8.19: dotted-decimal form of an OBJECT IDENTIFIER. */
export function decodeOid(tlv: Tlv): string {
  expectTag(tlv, Tag.OID, "object identifier");
  const bytes = tlv.value;
  if (bytes.length === 0) throw new DerError("empty object identifier");
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (value === 0 && bytes[i] === 0x80) throw new DerError("non-minimal object identifier arc");
    value = value * 128 + (bytes[i] & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError("object identifier arc too large");
    if ((bytes[i] & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new DerError("truncated object identifier");
    }
  }
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join(".");
}

/** The unsigned magnitude of a non-negative INTEGER, without the sign octet (for RSA moduli, serials). */
export function decodeUnsigned(tlv: Tlv): Uint8Array {
  expectTag(tlv, Tag.INTEGER, "integer");
  const v = tlv.value;
  if (v.length === 0) throw new DerError("empty integer");
  if (v[0] & 0x80) throw new DerError("negative integer where a positive one is required");
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  return v.subarray(i);
}

/** A small non-negative INTEGER (versions, path lengths, salt lengths). */
export function decodeSmallInt(tlv: Tlv): number {
  const bytes = decodeUnsigned(tlv);
  if (bytes.length > 4) throw new DerError("integer too large");
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

export function decodeBoolean(tlv: Tlv): boolean {
  expectTag(tlv, Tag.BOOLEAN, "boolean");
  if (tlv.value.length !== 1) throw new DerError("boolean of the wrong length");
  // X.690 §11.1: DER encodes TRUE as 0xFF.
  if (tlv.value[0] !== 0 && tlv.value[0] !== 0xff) throw new DerError("boolean is not 0x00 or 0xFF");
  return tlv.value[0] === 0xff;
}

/** A BIT STRING's bits; X.509 keys and signatures are whole octets, so `unused` is usually 0. */
export function decodeBitString(tlv: Tlv): { unused: number; bytes: Uint8Array } {
  expectTag(tlv, Tag.BIT_STRING, "bit string");
  if (tlv.value.length === 0) throw new DerError("empty bit string");
  const unused = tlv.value[0];
  if (unused > 7 || (unused > 0 && tlv.value.length === 1)) throw new DerError("bad unused-bit count");
  return { unused, bytes: tlv.value.subarray(1) };
}

/** RFC 5280 §4.1.2.5: UTCTime (years 1950-2049) or GeneralizedTime, both in UTC with seconds and a "Z". */
export function decodeTime(tlv: Tlv): Date {
  const text = latin1(tlv.value);
  let match: RegExpMatchArray | null;
  let year: number;
  if (tlv.tag === Tag.UTCTime) {
    match = text.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
    if (!match) throw new DerError(`bad UTCTime "${text}"`);
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === Tag.GeneralizedTime) {
    match = text.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
    if (!match) throw new DerError(`bad GeneralizedTime "${text}"`);
    year = Number(match[1]);
  } else {
    throw new DerError("expected UTCTime or GeneralizedTime");
  }
  const [month, day, hour, minute, second] = match.slice(2).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DerError(`impossible date "${text}"`);
  }
  return date;
}

/** Decodes the character string types found in names (RFC 5280 §4.1.2.4, Appendix A). */
export function decodeString(tlv: Tlv): string {
  switch (tlv.tag) {
    case Tag.UTF8String:
      return new TextDecoder("utf-8", { fatal: true }).decode(tlv.value);
    case Tag.PrintableString:
    case Tag.IA5String:
    case Tag.T61String:
      return latin1(tlv.value);
    case Tag.BMPString:
      return new TextDecoder("utf-16be").decode(tlv.value);
    case Tag.UniversalString: {
      let s = "";
      for (let i = 0; i + 3 < tlv.value.length; i += 4) {
        const view = new DataView(tlv.value.buffer, tlv.value.byteOffset + i, 4);
        s += String.fromCodePoint(view.getUint32(0));
      }
      return s;
    }
    default:
      throw new DerError(`tag 0x${hex2(tlv.tag)} is not a string type`);
  }
}

// ---- Writing -------------------------------------------------------------------------------------------

/** One element with a minimal definite length (X.690 §10.1). */
export function encodeTlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  const n = body.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else if (n < 0x100) header = [tag, 0x81, n];
  else if (n < 0x10000) header = [tag, 0x82, n >> 8, n & 0xff];
  else header = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat([new Uint8Array(header), body]);
}

export const encodeSequence = (...items: Uint8Array[]): Uint8Array => encodeTlv(Tag.SEQUENCE, ...items);
export const encodeOctetString = (bytes: Uint8Array): Uint8Array => encodeTlv(Tag.OCTET_STRING, bytes);
export const encodeNull = (): Uint8Array => new Uint8Array([Tag.NULL, 0]);
export const encodeBitString = (bytes: Uint8Array): Uint8Array => encodeTlv(Tag.BIT_STRING, new Uint8Array([0]), bytes);

/** A non-negative INTEGER from its unsigned magnitude (a zero octet is added when the top bit is set). */
export function encodeUnsigned(magnitude: Uint8Array | number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof magnitude === "number") {
    const out: number[] = [];
    let n = magnitude;
    do {
      out.unshift(n & 0xff);
      n = Math.floor(n / 256);
    } while (n > 0);
    bytes = new Uint8Array(out);
  } else {
    let i = 0;
    while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
    bytes = magnitude.subarray(i);
  }
  return encodeTlv(Tag.INTEGER, bytes[0] & 0x80 ? concat([new Uint8Array([0]), bytes]) : bytes);
}

export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const body: number[] = [];
  const push = (arc: number) => {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    body.push(...chunk);
  };
  push(arcs[0] * 40 + arcs[1]);
  arcs.slice(2).forEach(push);
  return encodeTlv(Tag.OID, new Uint8Array(body));
}

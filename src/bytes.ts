/**
 * Byte-array helpers every layer uses, in one leaf module that imports nothing, so the engine, the crypto layer and
 * the HTTP codec can share them without importing one another (DESIGN.md, "Data flows one way").
 */

/**
 * The parts one after another in one array. A single part comes back as it is, without a copy: callers hand over
 * parts they no longer write to. `size`, when the caller already counted it, is the parts' total length.
 */
export function concat(parts: readonly Uint8Array[], size?: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  if (size === undefined) {
    size = 0;
    for (const part of parts) size += part.length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Plain equality, for public values (names, certificates, key identifiers): it stops at the first difference. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Constant-time equality for secrets the peer can probe: AEAD tags, Finished verify_data (RFC 8446 §4.4.4), PSK
 * binders (§4.2.11.2), cookies. The time taken depends on the lengths only, which are public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Two lowercase hex digits per byte value: a table lookup is the fastest way on all three runtimes. */
const hexDigits = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex, two digits a byte (key logs, certificate serials, replay-store keys, fingerprints). */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += hexDigits[bytes[i]];
  return s;
}

/** The bytes of a hex string, two digits a byte (either case); a trailing odd digit is ignored. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Bytes per `String.fromCharCode` call in `latin1`: far below any engine's limit on arguments. */
const latin1Slice = 4096;

/**
 * One char per byte (ISO-8859-1): HTTP field values may carry obs-text, which is not UTF-8 by contract, DER
 * strings are read this way, and `btoa` takes its input so. `apply` takes the typed array as an array-like, so no
 * iterator runs per byte (the HTTP parser's hot path).
 */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= latin1Slice) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let out = "";
  for (let i = 0; i < bytes.length; i += latin1Slice) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + latin1Slice) as unknown as number[]);
  }
  return out;
}

/** base64url without padding (RFC 4648 §5), as ACME and JOSE identifiers use it. */
export function toBase64Url(bytes: Uint8Array): string {
  return btoa(latin1(bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

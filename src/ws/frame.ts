/**
 * The WebSocket frame on the wire (RFC 6455 §5.2): opcodes, the header's parse and serialization, and
 * masking. Both roles use it: a server expects masked frames and sends unmasked ones, a client the reverse.
 *
 *   FIN RSV1-3 opcode(4) | MASK len(7) | [len 16 or 64 bits] | [masking key 32 bits] | payload
 */
import { WebSocketError } from "./errors.ts";

/** §5.2 and §11.8: the opcodes defined; the rest are reserved and fail the connection. */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** A data opcode (text or binary): what starts a message. */
export type DataOpcode = typeof Opcode.text | typeof Opcode.binary;

/** §5.5: control frames have the top bit of the opcode set. */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** §5.5: a control frame's payload is at most 125 bytes. */
export const maxControlPayload = 125;

/** A parsed frame header; the payload follows it. */
export interface FrameHeader {
  fin: boolean;
  opcode: number;
  /** The 4-byte masking key (§5.3), or null for an unmasked frame. */
  mask: Uint8Array | null;
  /** Payload length in bytes. */
  length: number;
  /** Header length in bytes (2 to 14). */
  headerLength: number;
}

/** The longest header: 2 bytes, 8 of extended length, 4 of masking key. */
export const maxHeaderLength = 14;

/**
 * Parses the header at the start of `bytes`, or returns null when more bytes are needed. Throws a
 * WebSocketError for any header this endpoint must not accept: `expectMasked` is true for a server
 * (§5.1: clients MUST mask) and false for a client (servers MUST NOT).
 */
export function parseFrameHeader(bytes: Uint8Array, expectMasked: boolean): FrameHeader | null {
  if (bytes.length < 2) return null;
  const b0 = bytes[0], b1 = bytes[1];
  const fin = (b0 & 0x80) !== 0;
  const opcode = b0 & 0x0f;
  // §5.2: RSV1-3 MUST be 0 unless an extension negotiated them; we negotiate none (§9).
  if ((b0 & 0x70) !== 0) throw new WebSocketError("reserved_bits", `first byte 0x${b0.toString(16)}`);
  if (!knownOpcodes.has(opcode)) throw new WebSocketError("unknown_opcode", `0x${opcode.toString(16)}`);
  const masked = (b1 & 0x80) !== 0;
  if (masked !== expectMasked) throw new WebSocketError(masked ? "masked_frame" : "unmasked_frame");
  const short = b1 & 0x7f;
  if (isControl(opcode)) {
    // §5.5: control frames MUST have a payload of 125 bytes or less and MUST NOT be fragmented.
    if (!fin) throw new WebSocketError("fragmented_control_frame", `opcode 0x${opcode.toString(16)}`);
    if (short > maxControlPayload) throw new WebSocketError("control_frame_too_long", `length code ${short}`);
  }
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  const headerLength = 2 + extended + (masked ? 4 : 0);
  if (bytes.length < headerLength) return null;
  const length = extended === 0 ? short : readExtendedLength(bytes, extended);
  const mask = masked ? bytes.slice(2 + extended, headerLength) : null;
  return { fin, opcode, mask, length, headerLength };
}

const knownOpcodes: ReadonlySet<number> = new Set(Object.values(Opcode));

/** §5.2: 16 or 64 bits, network order, minimal, and the 64-bit form's most significant bit 0. */
function readExtendedLength(bytes: Uint8Array, size: 2 | 8): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + 2, size);
  if (size === 2) {
    const length = view.getUint16(0);
    if (length < 126) throw new WebSocketError("bad_length", `${length} in the 16-bit form`);
    return length;
  }
  const high = view.getUint32(0), low = view.getUint32(4);
  if (high & 0x80000000) throw new WebSocketError("bad_length", "64-bit length with the top bit set");
  // Beyond 2^53 the length cannot be counted exactly; any message limit refuses it anyway.
  const length = high > 0x1fffff ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + low;
  if (length <= 0xffff) throw new WebSocketError("bad_length", `${length} in the 64-bit form`);
  return length;
}

/** What `encodeFrame` needs besides the payload. */
export interface EncodeOptions {
  /** Default true: the last (or only) frame of its message. */
  fin?: boolean;
  /** A client's 4-byte masking key (§5.3); a server sends no mask. */
  mask?: Uint8Array;
  /** Raw first-byte bits to set besides FIN and the opcode (RSV1-3): only tests send them. */
  rsv?: number;
}

/** Serializes one frame: header and payload (masked into a copy when `mask` is given). */
export function encodeFrame(opcode: number, payload: Uint8Array, options: EncodeOptions = {}): Uint8Array {
  const { fin = true, mask, rsv = 0 } = options;
  const length = payload.length;
  const extended = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const headerLength = 2 + extended + (mask ? 4 : 0);
  const out = new Uint8Array(headerLength + length);
  out[0] = (fin ? 0x80 : 0) | (rsv & 0x70) | (opcode & 0x0f);
  out[1] = (mask ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  const view = new DataView(out.buffer);
  if (extended === 2) view.setUint16(2, length);
  if (extended === 8) {
    view.setUint32(2, Math.floor(length / 2 ** 32));
    view.setUint32(6, length >>> 0);
  }
  out.set(payload, headerLength);
  if (mask) {
    out.set(mask, headerLength - 4);
    applyMask(out.subarray(headerLength), mask, 0);
  }
  return out;
}

/**
 * §5.3: XORs `data` in place with the masking key, starting at byte `offset` of the payload (so that a
 * payload arriving in pieces is unmasked piece by piece). Masking and unmasking are the same operation.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array, offset: number): void {
  for (let i = 0; i < data.length; i++) data[i] ^= mask[(offset + i) & 3];
}

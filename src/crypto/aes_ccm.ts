/**
 * AES-CCM (RFC 3610) as TLS 1.3 profiles it: a 12-byte nonce, so L = 3 (RFC 8446 §5.3 nonces, RFC 6655 §3),
 * and a 16-byte tag (TLS_AES_128_CCM_SHA256) or an 8-byte one (TLS_AES_128_CCM_8_SHA256).
 *
 * @noble/ciphers has no CCM, so it is built here from noble's raw AES round function (`unsafe.encrypt`,
 * pinned at @noble/ciphers 2.4.0 and checked by the Wycheproof vectors). The key schedule is expanded
 * once per key, not once per record as noble's own modes do.
 */
import { unsafe } from "@noble/ciphers/aes.js";
import { constantTimeEqual } from "../bytes.ts";

const NONCE_LENGTH = 12;
/** RFC 3610 §2: the length field and the counter take L = 15 - nonce length bytes. */
const L = 15 - NONCE_LENGTH;
/** RFC 3610 §2: l(m) must fit in L bytes. */
const MAX_MESSAGE_LENGTH = 2 ** (8 * L) - 1;
/** RFC 3610 §2.2: below this, l(a) is encoded in two bytes; above, as 0xff 0xfe and four bytes. */
const SHORT_AAD_LIMIT = 0xff00;

export class AesCcm {
  readonly tagLength: number;
  readonly #xk: Uint32Array;
  readonly #block: Uint8Array = new Uint8Array(16);
  readonly #blockView: DataView = new DataView(this.#block.buffer);

  constructor(key: Uint8Array, tagLength: 8 | 16) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new RangeError(`AES-CCM key must be 16, 24 or 32 bytes, not ${key.length}`);
    }
    if (tagLength !== 8 && tagLength !== 16) throw new RangeError(`unsupported AES-CCM tag length ${tagLength}`);
    this.tagLength = tagLength;
    this.#xk = unsafe.expandKeyLE(key);
  }

  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkNonce(nonce);
    if (plaintext.length > MAX_MESSAGE_LENGTH) throw new RangeError("AES-CCM plaintext too long");
    const out = new Uint8Array(plaintext.length + this.tagLength);
    const mac = this.#cbcMac(nonce, aad, plaintext);
    this.#ctr(nonce, plaintext, out);
    this.#maskTag(nonce, mac, out.subarray(plaintext.length));
    return out;
  }

  /** ciphertext‖tag of content‖trailer at `out[offset]` (see AeadKey.sealTo). */
  sealTo(nonce: Uint8Array, aad: Uint8Array, content: Uint8Array, trailer: number, out: Uint8Array, offset: number) {
    const inner = new Uint8Array(content.length + 1);
    inner.set(content);
    inner[content.length] = trailer;
    out.set(this.seal(nonce, aad, inner), offset);
  }

  /** Returns the plaintext, or null when the tag does not authenticate (RFC 3610 §2.5). */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    checkNonce(nonce);
    const n = ciphertextAndTag.length - this.tagLength;
    if (n < 0 || n > MAX_MESSAGE_LENGTH) return null;
    const plaintext = new Uint8Array(n);
    this.#ctr(nonce, ciphertextAndTag.subarray(0, n), plaintext);
    const expected = new Uint8Array(this.tagLength);
    this.#maskTag(nonce, this.#cbcMac(nonce, aad, plaintext), expected);
    if (!constantTimeEqual(expected, ciphertextAndTag.subarray(n))) {
      plaintext.fill(0);
      return null;
    }
    return plaintext;
  }

  /** RFC 3610 §2.2: CBC-MAC over B_0 || encoded l(a) || a || m, each part zero-padded to a block. */
  #cbcMac(nonce: Uint8Array, aad: Uint8Array, message: Uint8Array): Uint8Array {
    const input = formatMacInput(nonce, aad, message, this.tagLength);
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    let s = { s0: 0, s1: 0, s2: 0, s3: 0 };
    for (let off = 0; off < input.length; off += 16) {
      s = unsafe.encrypt(
        this.#xk,
        s.s0 ^ view.getUint32(off, true),
        s.s1 ^ view.getUint32(off + 4, true),
        s.s2 ^ view.getUint32(off + 8, true),
        s.s3 ^ view.getUint32(off + 12, true),
      );
    }
    const mac = new Uint8Array(16);
    writeWords(new DataView(mac.buffer), s);
    return mac;
  }

  /** RFC 3610 §2.3: XORs `input` with the key stream S_1, S_2, ... into `out`. */
  #ctr(nonce: Uint8Array, input: Uint8Array, out: Uint8Array): void {
    const counter = counterBlock(nonce);
    for (let off = 0, i = 1; off < input.length; off += 16, i++) {
      setCounter(counter, i);
      this.#encryptInto(counter);
      const end = Math.min(16, input.length - off);
      for (let j = 0; j < end; j++) out[off + j] = input[off + j] ^ this.#block[j];
    }
  }

  /** RFC 3610 §2.3: U = first M bytes of (T XOR S_0). */
  #maskTag(nonce: Uint8Array, mac: Uint8Array, out: Uint8Array): void {
    const a0 = counterBlock(nonce);
    this.#encryptInto(a0);
    for (let j = 0; j < this.tagLength; j++) out[j] = mac[j] ^ this.#block[j];
  }

  /** Encrypts one 16-byte block into the scratch block. noble's round function reads the bytes as LE words. */
  #encryptInto(block: Uint8Array): void {
    const v = new DataView(block.buffer, block.byteOffset, 16);
    const s = unsafe.encrypt(
      this.#xk,
      v.getUint32(0, true),
      v.getUint32(4, true),
      v.getUint32(8, true),
      v.getUint32(12, true),
    );
    writeWords(this.#blockView, s);
  }
}

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== NONCE_LENGTH) throw new RangeError(`AES-CCM nonce must be ${NONCE_LENGTH} bytes`);
}

function writeWords(view: DataView, s: { s0: number; s1: number; s2: number; s3: number }): void {
  view.setUint32(0, s.s0, true);
  view.setUint32(4, s.s1, true);
  view.setUint32(8, s.s2, true);
  view.setUint32(12, s.s3, true);
}

const pad16 = (n: number) => (n + 15) & ~15;

/** RFC 3610 §2.2: B_0 = Flags || Nonce || l(m), then the encoded AAD and the message, block aligned. */
function formatMacInput(nonce: Uint8Array, aad: Uint8Array, message: Uint8Array, tagLength: number): Uint8Array {
  const aadHeader = aad.length === 0 ? 0 : aad.length < SHORT_AAD_LIMIT ? 2 : 6;
  const aadPart = pad16(aadHeader + aad.length);
  const buf = new Uint8Array(16 + aadPart + pad16(message.length));
  const view = new DataView(buf.buffer);
  // Flags = 64*Adata + 8*M' + L', with M' = (M-2)/2 and L' = L-1.
  buf[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (L - 1);
  buf.set(nonce, 1);
  writeBigEndian(buf, 16 - L, L, message.length);
  if (aadHeader === 2) {
    view.setUint16(16, aad.length);
  } else if (aadHeader === 6) {
    view.setUint16(16, 0xfffe);
    view.setUint32(18, aad.length);
  }
  buf.set(aad, 16 + aadHeader);
  buf.set(message, 16 + aadPart);
  return buf;
}

/** RFC 3610 §2.3: A_i = Flags (L-1) || Nonce || counter i in L bytes. */
function counterBlock(nonce: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = L - 1;
  a.set(nonce, 1);
  return a;
}

function setCounter(block: Uint8Array, i: number): void {
  writeBigEndian(block, 16 - L, L, i);
}

function writeBigEndian(buf: Uint8Array, offset: number, length: number, value: number): void {
  for (let j = length - 1; j >= 0; j--, value = Math.floor(value / 256)) buf[offset + j] = value & 0xff;
}

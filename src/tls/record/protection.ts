/**
 * Record payload protection (RFC 8446 §5.2-§5.4): AEAD with a per-record nonce made from the static IV and
 * the 64-bit sequence number, and the inner content type at the end of the plaintext. We send no padding
 * (RFC 8446 §5.4 leaves it to policy); we accept and strip the peer's.
 */
import type { Aead, AeadKey } from "../../crypto/provider.ts";
import { failure } from "../failures.ts";
import { ContentType } from "../wire/constants.ts";
import { MAX_PLAINTEXT, RECORD_HEADER_LENGTH } from "./framing.ts";

/** RFC 8446 §5.5: keys must be updated long before 2^64 records; we stop at 2^53 (exact in a JS number). */
const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

abstract class DirectionalKey {
  protected seq = 0;
  protected readonly key: AeadKey;
  private readonly nonce = new Uint8Array(12);

  constructor(readonly aead: Aead, key: Uint8Array, private readonly iv: Uint8Array) {
    this.key = aead.importKey(key);
  }

  get sequenceNumber(): number {
    return this.seq;
  }

  /** RFC 8446 §5.3: the 64-bit sequence number, left-padded to the IV length, XORed with the IV. */
  protected nextNonce(): Uint8Array {
    if (this.seq >= MAX_SEQUENCE) throw failure("sequence_number_exhausted");
    const n = this.nonce, iv = this.iv;
    n.set(iv);
    let s = this.seq++;
    for (let i = 11; i >= 4 && s > 0; i--) {
      n[i] ^= s & 0xff;
      s = Math.floor(s / 256);
    }
    return n;
  }
}

export class RecordEncrypter extends DirectionalKey {
  /** Bytes on the wire of one record carrying `contentLength` bytes, unpadded (RFC 8446 §5.2). */
  recordLength(contentLength: number): number {
    return RECORD_HEADER_LENGTH + contentLength + 1 + this.aead.tagLength;
  }

  /**
   * Seals one record of `type` carrying `content` (≤ 2^14 bytes) into `out` at `offset`, header included, and
   * returns the offset after it: the header is written in place and the AEAD writes ciphertext and tag after it.
   */
  sealInto(type: number, content: Uint8Array, out: Uint8Array, offset: number): number {
    const length = content.length + 1 + this.aead.tagLength;
    out[offset] = ContentType.application_data;
    out[offset + 1] = 0x03;
    out[offset + 2] = 0x03;
    out[offset + 3] = length >> 8;
    out[offset + 4] = length & 0xff;
    const header = out.subarray(offset, offset + RECORD_HEADER_LENGTH);
    this.key.sealTo(this.nextNonce(), header, content, type, out, offset + RECORD_HEADER_LENGTH);
    return offset + RECORD_HEADER_LENGTH + length;
  }

  /** One whole TLSCiphertext of `type` carrying `content`. */
  seal(type: number, content: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.recordLength(content.length));
    this.sealInto(type, content, out, 0);
    return out;
  }
}

export interface InnerPlaintext {
  type: number;
  content: Uint8Array;
}

export class RecordDecrypter extends DirectionalKey {
  /**
   * Opens one TLSCiphertext. Returns null when authentication fails, so that the caller can decide between
   * bad_record_mac and skipping rejected early data (RFC 8446 §4.2.10).
   */
  open(header: Uint8Array, fragment: Uint8Array): InnerPlaintext | null {
    if (fragment.length < this.aead.tagLength + 1) {
      throw failure("record_too_short", `protected record of ${fragment.length} bytes`);
    }
    const plain = this.key.open(this.nextNonce(), header, fragment);
    if (plain === null) {
      this.seq--; // the record was not ours to count (rejected early data is skipped without using a number)
      return null;
    }
    // RFC 8446 §5.4: the content type is the last non-zero byte; all zeros is unexpected_message.
    let i = plain.length - 1;
    while (i >= 0 && plain[i] === 0) i--;
    if (i < 0) throw failure("inner_type_missing");
    // RFC 8446 §5.4: the inner plaintext (content and type, without padding) must fit 2^14 + 1.
    if (plain.length > MAX_PLAINTEXT + 1) {
      throw failure("inner_plaintext_overflow", `decrypted record of ${plain.length} bytes`);
    }
    return { type: plain[i], content: plain.subarray(0, i) };
  }
}

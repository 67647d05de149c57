/**
 * An incremental UTF-8 check (RFC 3629 §4), for text messages that arrive in pieces: it keeps only where it
 * is inside a character, allocates nothing, and says no at the first byte that no valid UTF-8 can contain
 * (RFC 6455 §8.1 lets, and Autobahn-style peers expect, a connection fail as soon as that byte arrives).
 *
 *   UTF8-2 = %xC2-DF tail
 *   UTF8-3 = %xE0 %xA0-BF tail / %xE1-EC 2tail / %xED %x80-9F tail / %xEE-EF 2tail
 *   UTF8-4 = %xF0 %x90-BF 2tail / %xF1-F3 3tail / %xF4 %x80-8F 2tail
 */
export class Utf8Validator {
  /** Continuation bytes still due for the current character. */
  #need = 0;
  /** The range the next continuation byte must fall in (narrower right after E0, ED, F0 and F4). */
  #low = 0x80;
  #high = 0xbf;

  /** Checks the next bytes; false once they cannot be UTF-8 (the validator is then spent). */
  push(bytes: Uint8Array): boolean {
    let need = this.#need, low = this.#low, high = this.#high;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (need > 0) {
        if (b < low || b > high) return false;
        need--;
        low = 0x80;
        high = 0xbf;
      } else if (b >= 0x80) {
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          // No overlong three-byte forms (E0 80-9F), no surrogates (ED A0-BF).
          if (b === 0xe0) low = 0xa0;
          if (b === 0xed) high = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          // No overlong four-byte forms (F0 80-8F), nothing past U+10FFFF (F4 90-BF; F5-FF never start one).
          if (b === 0xf0) low = 0x90;
          if (b === 0xf4) high = 0x8f;
        } else return false;
      }
    }
    this.#need = need;
    this.#low = low;
    this.#high = high;
    return true;
  }

  /** True when the bytes so far end on a character boundary. */
  get complete(): boolean {
    return this.#need === 0;
  }
}

/**
 * Malformed key shares per group, made from a good one: each is a case RFC 8446 §4.2.8 (and RFC 7919,
 * draft-ietf-tls-ecdhe-mlkem) says must be refused with illegal_parameter. Used by the provider-level and the
 * engine-level key exchange tests, so both try the same bytes.
 */
import { concat, fromHex, toHex } from "../../src/bytes.ts";
import { ffdheParams } from "../../src/crypto/ffdhe.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { GroupName } from "../../src/crypto/provider.ts";

/** u-coordinates whose X25519 result is all zeros (order 1, 2, 4, 8), some non-canonical (RFC 7748 §6.1). */
export const lowOrderX25519 = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000080",
].map((h) => fromHex(h));

/** X448 u-coordinates whose result is all zeros: 0, 1, p-1, and p, p+1 written non-canonically (RFC 7748 §6.2). */
export const lowOrderX448 = (() => {
  const p = (1n << 448n) - (1n << 224n) - 1n;
  const le = (n: bigint) => Uint8Array.from({ length: 56 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  return [0n, 1n, p - 1n, p, p + 1n].map(le);
})();

/** FFDHE shares RFC 8446 §4.2.8.1 refuses (1 < Y < p-1, exactly |p| bytes), for the prime `prime`. */
export function badFfdheShares(prime: Uint8Array): Record<string, Uint8Array> {
  const n = prime.length;
  const p = BigInt("0x" + toHex(prime));
  const be = (v: bigint) => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * (n - 1 - i))) & 0xffn));
  return {
    "Y = 0": be(0n),
    "Y = 1": be(1n),
    "Y = p-1": be(p - 1n),
    "Y = p": be(p),
    "Y = p+1": be(p + 1n),
    "all ones (> p)": new Uint8Array(n).fill(0xff),
    "not padded (one byte short)": be(2n).subarray(1),
    "one byte long": concat([Uint8Array.of(0), be(2n)]),
  };
}

/** Malformed uncompressed points from a good one: infinity, compressed, off the curve, x = 0, x ≥ p, misframed. */
export function badPoints(good: Uint8Array): Record<string, Uint8Array> {
  const size = (good.length - 1) / 2;
  const offCurve = good.slice();
  offCurve[offCurve.length - 1] ^= 1;
  const xTooBig = good.slice();
  xTooBig.fill(0xff, 1, 1 + size);
  const xZero = good.slice();
  xZero.fill(0, 1, 1 + size);
  return {
    "point at infinity": new Uint8Array([0]),
    "all-zero point": new Uint8Array(good.length).fill(0, 1).fill(4, 0, 1),
    "compressed point": new Uint8Array([2 + (good[good.length - 1] & 1), ...good.subarray(1, 1 + size)]),
    "off the curve": offCurve,
    "x = 0": xZero,
    "x >= p": xTooBig,
    "wrong prefix": new Uint8Array([6, ...good.subarray(1)]),
    "one byte short": good.subarray(0, good.length - 1),
    "one byte long": concat([good, Uint8Array.of(0)]),
    empty: new Uint8Array(0),
  };
}

/** An ML-KEM encapsulation key with coefficient `index` of t̂ set to the 12-bit `value` (FIPS 203 ByteEncode12). */
export function withCoefficient(ek: Uint8Array, index: number, value: number): Uint8Array {
  const out = ek.slice();
  const at = (index >> 1) * 3;
  if (index % 2 === 0) {
    out[at] = value & 0xff;
    out[at + 1] = (out[at + 1] & 0xf0) | (value >> 8);
  } else {
    out[at + 1] = (out[at + 1] & 0x0f) | ((value & 0x0f) << 4);
    out[at + 2] = value >> 4;
  }
  return out;
}

/** Where the ECDH part and the ML-KEM part sit in a hybrid client share. */
const hybridParts: Record<string, { ecdh: GroupName; kemFirst: boolean; ek: number }> = {
  X25519MLKEM768: { ecdh: "x25519", kemFirst: true, ek: 1184 },
  SecP256r1MLKEM768: { ecdh: "secp256r1", kemFirst: false, ek: 1184 },
  SecP384r1MLKEM1024: { ecdh: "secp384r1", kemFirst: false, ek: 1568 },
};

/** Bad client shares for `group`, by what is wrong with them. */
export function badClientShares(group: GroupName): Record<string, Uint8Array> {
  const good = nobleProvider.keyExchange(group).generate().publicKey;
  if (group === "x25519") {
    const cases: Record<string, Uint8Array> = {
      "31 bytes": good.subarray(1),
      "33 bytes": concat([good, Uint8Array.of(0)]),
      empty: new Uint8Array(0),
    };
    lowOrderX25519.forEach((u, i) => (cases[`low-order point ${i}`] = u));
    return cases;
  }
  if (group === "x448") {
    const cases: Record<string, Uint8Array> = {
      "55 bytes": good.subarray(1),
      "57 bytes": concat([good, Uint8Array.of(0)]),
    };
    lowOrderX448.forEach((u, i) => (cases[`low-order point ${i}`] = u));
    return cases;
  }
  if (group === "secp256r1" || group === "secp384r1" || group === "secp521r1") return badPoints(good);
  if (group.startsWith("ffdhe")) return badFfdheShares(ffdheParams(group as "ffdhe2048").prime);
  const parts = hybridParts[group];
  if (!parts) throw new Error(`no bad shares for ${group}`);
  const ecdhLength = good.length - parts.ek;
  const ek = parts.kemFirst ? good.subarray(0, parts.ek) : good.subarray(ecdhLength);
  const ecdh = parts.kemFirst ? good.subarray(parts.ek) : good.subarray(0, ecdhLength);
  const hybrid = (k: Uint8Array, e: Uint8Array) => (parts.kemFirst ? concat([k, e]) : concat([e, k]));
  const cases: Record<string, Uint8Array> = {
    "encapsulation key coefficient = q": hybrid(withCoefficient(ek, 0, 3329), ecdh),
    "encapsulation key coefficient = 4095": hybrid(withCoefficient(ek, 7, 4095), ecdh),
    "one byte short": good.subarray(1),
    "one byte long": concat([good, Uint8Array.of(0)]),
    "ECDH part only": ecdh,
  };
  const badEcdh = badClientShares(parts.ecdh);
  for (const [what, share] of Object.entries(badEcdh)) {
    if (share.length === ecdh.length) cases[`ECDH part: ${what}`] = hybrid(ek, share);
  }
  return cases;
}

/**
 * Ticket sealing with rotating keys (RFC 8446 §4.6.1 leaves the format to the server; RFC 5077 §4 shows the
 * classic shape). Keys are derived from one secret per rotation epoch, HKDF-Expand(secret, epoch), so every
 * node of a fleet that shares the secret derives the same keys at the same time with no coordination: a
 * ticket issued by any node opens on any other.
 *
 * Ticket = epoch(4) || nonce(12) || AES-256-GCM(key_epoch, nonce, aad = epoch, state)
 * A ticket opens while its epoch is the current one or the one before: one ticket lifetime after a rotation
 * (the rotation period is never shorter than the ticket lifetime), and never two rotations later.
 */
import type { CryptoProvider } from "../../crypto/provider.ts";
import { hkdfExpand, hkdfExtract } from "../key_schedule.ts";
import { Writer } from "../wire/writer.ts";

/** Seals ticket state into the opaque ticket a client keeps (RFC 8446 §4.6.1), and opens it on resumption. */
export interface TicketSealer {
  /** `nonce`: 12 random bytes the caller drew already (one draw per ticket); drawn here when absent. */
  seal(state: Uint8Array, nowMs: number, nonce?: Uint8Array): Uint8Array;
  /** The state, or null when the ticket is not ours, was tampered with, or its key has rotated away. */
  open(ticket: Uint8Array, nowMs: number): Uint8Array | null;
}

const HEADER = 4 + 12;

export class RotatingTicketKeys implements TicketSealer {
  private readonly prk: Uint8Array;
  private cache = new Map<number, ReturnType<ReturnType<CryptoProvider["aead"]>["importKey"]>>();

  /**
   * @param secret shared by the fleet (at least 32 bytes of entropy)
   * @param rotationSeconds how long one key seals new tickets
   */
  constructor(private readonly provider: CryptoProvider, secret: Uint8Array, private readonly rotationSeconds: number) {
    if (secret.length < 32) throw new RangeError("a ticket secret needs at least 32 bytes");
    if (!(rotationSeconds > 0)) throw new RangeError("ticket key rotation period must be positive");
    const sha256 = provider.hash("SHA-256");
    this.prk = hkdfExtract(sha256, new TextEncoder().encode("tls13-hono ticket keys"), secret);
  }

  seal(state: Uint8Array, nowMs: number, nonce: Uint8Array = this.provider.randomBytes(12)): Uint8Array {
    const epoch = this.epoch(nowMs);
    const header = Uint8Array.of(epoch >>> 24, (epoch >>> 16) & 0xff, (epoch >>> 8) & 0xff, epoch & 0xff, ...nonce);
    const sealed = this.key(epoch).seal(nonce, header.subarray(0, 4), state);
    const out = new Uint8Array(HEADER + sealed.length);
    out.set(header);
    out.set(sealed, HEADER);
    return out;
  }

  open(ticket: Uint8Array, nowMs: number): Uint8Array | null {
    if (ticket.length < HEADER + 16) return null;
    const epoch = ((ticket[0] << 24) >>> 0) + ((ticket[1] << 16) | (ticket[2] << 8) | ticket[3]);
    const now = this.epoch(nowMs);
    if (epoch !== now && epoch !== now - 1) return null;
    return this.key(epoch).open(ticket.subarray(4, HEADER), ticket.subarray(0, 4), ticket.subarray(HEADER));
  }

  private epoch(nowMs: number): number {
    return Math.floor(nowMs / 1000 / this.rotationSeconds) >>> 0;
  }

  private key(epoch: number) {
    let k = this.cache.get(epoch);
    if (!k) {
      const info = new Writer(8).bytes(new TextEncoder().encode("key")).u32(epoch).finish();
      k = this.provider.aead("AES-256-GCM").importKey(hkdfExpand(this.provider.hash("SHA-256"), this.prk, info, 32));
      if (this.cache.size > 8) this.cache.clear();
      this.cache.set(epoch, k);
    }
    return k;
  }
}

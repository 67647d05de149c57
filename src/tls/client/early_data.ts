/**
 * The client's 0-RTT data (RFC 8446 §2.3, §4.2.10): what goes out in the first flight, what the server's
 * answer makes of it, and what is left to send once the handshake is complete.
 *
 * The caller hands over bytes to send "as early as possible". Up to the ticket's max_early_data_size goes out
 * as early data right after the ClientHello; if the server accepts it, the rest follows after the handshake;
 * if it rejects it (no early_data in EncryptedExtensions, a declined ticket, a HelloRetryRequest), all of it is
 * sent again under the application keys, so the application sees its bytes delivered exactly once either way.
 * Early data can be replayed by an attacker (§8): only requests that are safe to repeat belong in it.
 */
import { failure } from "../failures.ts";
import type { SuiteParams } from "../cipher_suite.ts";
import type { PskOffer } from "./psk_offer.ts";

/** Where the client's 0-RTT data stands (RFC 8446 §4.2.10): the server's answer comes in EncryptedExtensions. */
export type EarlyDataStatus = "not_offered" | "offered" | "accepted" | "rejected";

export class EarlyData {
  private state: EarlyDataStatus;
  private why: string | null = null;

  /** `limit`: how much of `data` may go out as 0-RTT (0: none, the data waits for the handshake). */
  constructor(readonly data: Uint8Array, private readonly limit: number) {
    this.state = limit > 0 && data.length > 0 ? "offered" : "not_offered";
  }

  get status(): EarlyDataStatus {
    return this.state;
  }

  /** Why offered early data was rejected; null otherwise. */
  get reason(): string | null {
    return this.why;
  }

  /** The bytes sent as 0-RTT. */
  get zeroRtt(): Uint8Array {
    return this.data.subarray(0, this.limit);
  }

  reject(reason: string): void {
    if (this.state !== "offered") return;
    this.state = "rejected";
    this.why = reason;
  }

  accept(): void {
    this.state = "accepted";
  }

  /** What goes out after our Finished: everything unless 0-RTT was accepted, then only what exceeded the limit. */
  get afterHandshake(): Uint8Array {
    return this.state === "accepted" ? this.data.subarray(this.limit) : this.data;
  }
}

/**
 * How many bytes of 0-RTT the offer allows: the ticket's max_early_data_size (RFC 8446 §4.2.10: the client
 * MUST NOT send more), when the ticket allows early data at all and the ALPN offer can give back the
 * ticket's protocol (the server only accepts 0-RTT "with the same ALPN", so offering it otherwise is waste).
 */
export function earlyDataLimit(offer: PskOffer | null, alpnOffered: readonly string[]): number {
  if (!offer || offer.session.maxEarlyData === 0) return 0;
  const alpn = offer.session.alpn;
  if (alpn === null ? alpnOffered.length > 0 : !alpnOffered.includes(alpn)) return 0;
  return offer.session.maxEarlyData;
}

/**
 * RFC 8446 §4.2.10: the server accepted early data in EncryptedExtensions. It may only do so for the first
 * PSK we offered ("If any other value is returned, the client MUST abort the handshake with an
 * "illegal_parameter" alert"), with the ticket's cipher suite and ALPN, under which the data was sent.
 */
export function checkEarlyDataAccepted(
  early: EarlyData | null,
  offer: PskOffer | null,
  resumed: boolean,
  suite: SuiteParams,
  alpn: string | null,
): void {
  if (!early || early.status !== "offered" || !offer || !resumed) {
    throw failure("early_data_acceptance_invalid", "early_data accepted without our PSK");
  }
  if (suite.code !== offer.suite.code) {
    throw failure("early_data_acceptance_invalid", `under ${suite.name}, not the ticket's ${offer.suite.name}`);
  }
  if (alpn !== offer.session.alpn) {
    throw failure("early_data_acceptance_invalid", `with ALPN ${alpn}, not the ticket's ${offer.session.alpn}`);
  }
  early.accept();
}

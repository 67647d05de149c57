/**
 * Whether to accept 0-RTT data (RFC 8446 §4.2.10) and the anti-replay checks of §8: the freshness window on
 * the ticket age (§8.3), a strike register of ClientHellos keyed by their binder (§8.2), and single-use
 * tickets (§8.1). Every "no" falls back to 1-RTT; a store that cannot answer is a "no" (fail closed).
 */
import { toHex } from "../../bytes.ts";
import type { SuiteParams } from "../cipher_suite.ts";
import type { AcceptedPsk } from "./psk.ts";
import type { ServerConfig } from "./server_config.ts";

export type EarlyDataDecision = { accept: true } | { accept: false; reason: string };

export async function decideEarlyData(
  psk: AcceptedPsk | null,
  suite: SuiteParams,
  alpn: string | null,
  afterRetry: boolean,
  config: ServerConfig,
): Promise<EarlyDataDecision> {
  const t = config.tickets;
  if (!t || t.maxEarlyDataSize === 0) return no("0-RTT is disabled on this server");
  if (!psk) return no("no usable ticket");
  // RFC 8446 §4.2.10: only with the first PSK, not after a HelloRetryRequest, with the ticket's suite and ALPN.
  if (psk.index !== 0) return no("the ticket is not the first PSK offered");
  if (afterRetry) return no("HelloRetryRequest was needed");
  if (psk.state.maxEarlyData === 0) return no("the ticket does not allow early data");
  if (psk.state.cipherSuite !== suite.code) return no("cipher suite differs from the ticket's");
  if (psk.state.alpn !== alpn) return no("ALPN differs from the ticket's");
  // RFC 8446 §8.3: the client's view of the ticket age must agree with ours within the window.
  const serverAge = config.now() - psk.state.issuedAt;
  if (Math.abs(serverAge - psk.clientTicketAge) > t.freshnessWindow) {
    return no("ticket age outside the freshness window");
  }
  try {
    // RFC 8446 §8.2: a ClientHello seen inside the window is a replay. The binder is unique per ClientHello.
    if (!await t.replayStore.claim(`ch:${toHex(psk.binder)}`, 2 * t.freshnessWindow)) return no("replayed ClientHello");
    // RFC 8446 §8.1: in single-use mode, a ticket carries early data once.
    if (t.singleUse && !await t.replayStore.claim(`ticket:${toHex(psk.state.id)}`, psk.state.lifetime * 1000)) {
      return no("single-use ticket already used");
    }
  } catch (err) {
    return no(`replay store unavailable (${(err as Error).message})`);
  }
  return { accept: true };
}

function no(reason: string): EarlyDataDecision {
  return { accept: false, reason };
}

/**
 * The server's NewSessionTicket (RFC 8446 §4.6.1): a self-contained ticket, the session state sealed under the
 * rotating ticket key (tickets/), so that any node holding the ticket secret can resume it.
 */
import type { CryptoProvider } from "../../crypto/provider.ts";
import type { Suite } from "../cipher_suite.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import { ticketPsk } from "../key_schedule.ts";
import { encodeSessionState } from "../tickets/session_state.ts";
import { ExtensionType } from "../wire/constants.ts";
import { encodeMaxEarlyDataSize } from "../wire/extensions/early_data.ts";
import { encodeNewSessionTicketMessage } from "../wire/new_session_ticket.ts";
import type { TicketConfig } from "./server_config.ts";

/** What a connection's tickets are made from, once its handshake is complete. */
export interface ResumableSession {
  suite: Suite;
  /** RFC 8446 §7.1: resumption_master_secret, over the transcript through the client Finished. */
  resumptionMasterSecret: Uint8Array;
  info: ConnectionInfo;
}

/**
 * The `n`-th ticket of the connection (its nonce: RFC 8446 §4.6.1, "a unique value across all tickets issued
 * on this connection"), as a whole handshake message.
 */
export function newSessionTicket(
  session: ResumableSession,
  n: number,
  tickets: TicketConfig,
  provider: CryptoProvider,
  now: number,
): Uint8Array {
  const nonce = Uint8Array.of((n >> 8) & 0xff, n & 0xff);
  // One draw for the age obfuscation (4 bytes), the ticket's id (16, the key of single-use tickets, §8.1) and
  // the sealing nonce (12).
  const random = provider.randomBytes(32);
  const ageAdd = ((random[0] << 24) >>> 0) + ((random[1] << 16) | (random[2] << 8) | random[3]);
  const state = encodeSessionState({
    cipherSuite: session.suite.params.code,
    psk: ticketPsk(session.suite.hash, session.resumptionMasterSecret, nonce),
    issuedAt: now,
    lifetime: tickets.lifetime,
    ageAdd,
    maxEarlyData: tickets.maxEarlyDataSize,
    alpn: session.info.alpn,
    serverName: session.info.serverName,
    id: random.subarray(4, 20),
    clientCertificates: session.info.peerCertificates,
  });
  const extensions = tickets.maxEarlyDataSize > 0
    ? [{ type: ExtensionType.early_data, data: encodeMaxEarlyDataSize(tickets.maxEarlyDataSize) }]
    : [];
  const ticket = tickets.sealer.seal(state, now, random.subarray(20, 32));
  return encodeNewSessionTicketMessage({ lifetime: tickets.lifetime, ageAdd, nonce, ticket, extensions });
}

/**
 * The server's NewSessionTicket (RFC 8446 §4.6.1): a self-contained ticket, the session state sealed under the
 * rotating ticket key (tickets/), so that any node holding the ticket secret can resume it.
 */
import type { CryptoProvider } from "../../crypto/provider.ts";
import type { Suite } from "../cipher_suite.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import { ticketPsk } from "../key_schedule.ts";
import { encodeSessionState } from "../tickets/session_state.ts";
import { ExtensionType, HandshakeType } from "../wire/constants.ts";
import { encodeMaxEarlyDataSize } from "../wire/extensions/early_data.ts";
import { encodeHandshake } from "../wire/handshake.ts";
import { encodeNewSessionTicket } from "../wire/new_session_ticket.ts";
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
  const age = provider.randomBytes(4);
  const ageAdd = ((age[0] << 24) >>> 0) + ((age[1] << 16) | (age[2] << 8) | age[3]);
  const state = encodeSessionState({
    cipherSuite: session.suite.params.code,
    psk: ticketPsk(session.suite.hash, session.resumptionMasterSecret, nonce),
    issuedAt: now,
    lifetime: tickets.lifetime,
    ageAdd,
    maxEarlyData: tickets.maxEarlyDataSize,
    alpn: session.info.alpn,
    serverName: session.info.serverName,
    id: provider.randomBytes(16),
    clientCertificates: session.info.peerCertificates,
  });
  const extensions = tickets.maxEarlyDataSize > 0
    ? [{ type: ExtensionType.early_data, data: encodeMaxEarlyDataSize(tickets.maxEarlyDataSize) }]
    : [];
  const ticket = tickets.sealer.seal(state, now);
  return encodeHandshake(
    HandshakeType.new_session_ticket,
    encodeNewSessionTicket({ lifetime: tickets.lifetime, ageAdd, nonce, ticket, extensions }),
  );
}

/**
 * What a client keeps from a NewSessionTicket to resume later (RFC 8446 §4.6.1, §2.2): the ticket, the PSK it
 * stands for, and what a resumed connection must match or restore (the suite's hash, SNI, ALPN for 0-RTT, the
 * server's chain as verified on the connection that got the ticket, since a resumed server sends none).
 *
 * A session is plain data: the cache stores it, the engine offers it (psk_offer.ts). It holds a secret (the
 * PSK), so it must be kept like one.
 */
import type { Hash } from "../../crypto/provider.ts";
import { ticketPsk } from "../key_schedule.ts";
import { ExtensionType } from "../wire/constants.ts";
import { decodeBody } from "../wire/extensions/extension_list.ts";
import { decodeMaxEarlyDataSize } from "../wire/extensions/early_data.ts";
import type { NewSessionTicket } from "../wire/new_session_ticket.ts";
import type { CertificateStatus } from "./server_auth.ts";

/** A ticket the client keeps (RFC 8446 §4.6.1), with what resumption and 0-RTT need to use it. */
export interface ClientSession {
  /** The opaque ticket: our PSK identity (RFC 8446 §4.2.11). */
  readonly ticket: Uint8Array;
  /** HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (RFC 8446 §4.6.1). */
  readonly psk: Uint8Array;
  /** The suite of the connection that got the ticket: a resumption must use one with the same hash. */
  readonly cipherSuite: number;
  /** Seconds, as the server announced it. */
  readonly lifetime: number;
  /** ticket_age_add: added to the ticket age to obfuscate it (RFC 8446 §4.2.11.1). */
  readonly ageAdd: number;
  /** ticket_nonce, from which `psk` was derived. */
  readonly nonce: Uint8Array;
  /** When the ticket arrived, by our clock (ms since the epoch): the start of the ticket age (§4.2.11.1). */
  readonly receivedAt: number;
  /** max_early_data_size from the ticket's early_data extension; 0 when the ticket allows no 0-RTT. */
  readonly maxEarlyData: number;
  /** The ALPN protocol of that connection: 0-RTT must use the same one (RFC 8446 §4.2.10). */
  readonly alpn: string | null;
  /** The SNI of that connection: resumption only for the same name (RFC 8446 §4.6.1). */
  readonly serverName: string | null;
  /** The server's chain and our verdict on it, from the full handshake; a resumed connection reports them. */
  readonly peerCertificates: readonly Uint8Array[];
  /** Whether that chain verified. */
  readonly certificateStatus: CertificateStatus;
  /** The earliest notAfter on the verified path (ms); Infinity when verification was off. */
  readonly certificateValidUntil: number;
}

/** What the connection that got the ticket knows, besides the ticket. */
export interface TicketContext {
  hash: Hash;
  cipherSuite: number;
  resumptionMasterSecret: Uint8Array;
  receivedAt: number;
  alpn: string | null;
  serverName: string | null;
  peerCertificates: readonly Uint8Array[];
  certificateStatus: CertificateStatus;
}

/** RFC 8446 §4.6.1: "Clients MUST NOT cache tickets for longer than 7 days, regardless of the ticket_lifetime". */
export const MAX_TICKET_LIFETIME = 604800;

/**
 * The session a NewSessionTicket makes, or null when it must not be kept: a lifetime of zero ("the ticket should
 * be discarded immediately", RFC 8446 §4.6.1), or a server whose chain did not verify (a diagnostic connection
 * with `certificateErrors: "record"` never feeds the cache).
 */
export function sessionFromTicket(t: NewSessionTicket, c: TicketContext): ClientSession | null {
  const maxEarlyData = ticketEarlyData(t);
  if (t.lifetime === 0) return null;
  const status = c.certificateStatus;
  if (!status.verified && !("disabled" in status)) return null;
  return {
    ticket: t.ticket,
    psk: ticketPsk(c.hash, c.resumptionMasterSecret, t.nonce),
    cipherSuite: c.cipherSuite,
    lifetime: Math.min(t.lifetime, MAX_TICKET_LIFETIME),
    ageAdd: t.ageAdd,
    nonce: t.nonce,
    receivedAt: c.receivedAt,
    maxEarlyData,
    alpn: c.alpn,
    serverName: c.serverName,
    peerCertificates: c.peerCertificates,
    certificateStatus: status,
    certificateValidUntil: status.verified
      ? Math.min(...status.path.certificates.map((x) => x.notAfter.getTime()))
      : Number.POSITIVE_INFINITY,
  };
}

/** RFC 8446 §4.2.10: a ticket's early_data extension is a uint32 max_early_data_size; other lengths are decode_error. */
function ticketEarlyData(t: NewSessionTicket): number {
  const ext = t.extensions.find((e) => e.type === ExtensionType.early_data);
  if (!ext) return 0;
  return decodeBody(ext, decodeMaxEarlyDataSize);
}

/** The first instant the session may no longer be offered: the ticket's lifetime, or the chain's expiry. */
export function sessionExpiry(s: ClientSession): number {
  return Math.min(s.receivedAt + s.lifetime * 1000, s.certificateValidUntil);
}

export function sessionUsable(s: ClientSession, now: number): boolean {
  return now < sessionExpiry(s);
}

/**
 * RFC 8446 §4.2.11.1: "the age of the ticket in milliseconds added to the "ticket_age_add" value that was
 * included with the ticket, modulo 2^32". A clock that went backwards counts as age zero.
 */
export function obfuscatedTicketAge(s: ClientSession, now: number): number {
  return (Math.max(0, Math.floor(now - s.receivedAt)) + s.ageAdd) >>> 0;
}

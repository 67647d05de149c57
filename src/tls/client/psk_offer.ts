/**
 * Offering a cached session as a PSK (RFC 8446 §4.2.11) and reading the server's answer.
 *
 * The offer is one identity (the ticket) with psk_dhe_ke: resumption keeps forward secrecy. Its binder is an
 * HMAC, under the binder key of the ticket's early secret, over the transcript up to and including the
 * ClientHello truncated before the binders list (§4.2.11.2); after a HelloRetryRequest the transcript starts
 * with message_hash and the HelloRetryRequest, so the binder is recomputed for the second ClientHello.
 */
import { failure } from "../failures.ts";
import type { Hash } from "../../crypto/provider.ts";
import { type SuiteParams, suiteParams } from "../cipher_suite.ts";
import { EarlySecret, finishedVerifyData } from "../key_schedule.ts";
import { ExtensionType as X, PskKeyExchangeMode } from "../wire/constants.ts";
import { decodeBody } from "../wire/extensions/extension_list.ts";
import { bindersLength, decodeSelectedIdentity } from "../wire/extensions/pre_shared_key.ts";
import type { ServerHello } from "../wire/server_hello.ts";
import type { ClientConfig } from "./client_config.ts";
import { sniName } from "./client_config.ts";
import { findExtension } from "./extension_rules.ts";
import { type ClientSession, obfuscatedTicketAge, sessionUsable } from "./session.ts";

export interface PskOffer {
  session: ClientSession;
  /** The ticket's suite: its hash keys the binder, its AEAD protects 0-RTT data. */
  suite: SuiteParams;
  hash: Hash;
  early: EarlySecret;
}

/** The identity as it goes into the ClientHello, with room for a binder of the ticket hash's length. */
export interface PskIdentityParams {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
  binderLength: number;
}

/**
 * The session as a PSK offer, or null when it cannot be offered on this connection: expired, for another
 * server name (RFC 8446 §4.6.1), no offered suite with the ticket's hash (§4.2.11: the PSK "MUST" be used with
 * one), or psk_dhe_ke not among our modes (we never resume without (EC)DHE).
 */
export function offerSession(config: ClientConfig, session: ClientSession, now: number): PskOffer | null {
  if (!sessionUsable(session, now)) return null;
  if (session.serverName !== sniName(config.serverName)) return null;
  if (!config.pskModes.includes(PskKeyExchangeMode.psk_dhe_ke)) return null;
  const suite = suiteParams(session.cipherSuite);
  if (!suite || !config.cipherSuites.some((c) => suiteParams(c)?.hash === suite.hash)) return null;
  const hash = config.provider.hash(suite.hash);
  return { session, suite, hash, early: EarlySecret.fromPsk(hash, session.psk) };
}

export function pskIdentity(offer: PskOffer, now: number): PskIdentityParams {
  return {
    identity: offer.session.ticket,
    obfuscatedTicketAge: obfuscatedTicketAge(offer.session, now),
    binderLength: offer.hash.outputLength,
  };
}

/**
 * Writes the binder into `hello` (the ClientHello handshake message, whose last bytes are our one binder, RFC
 * 8446 §4.2.11: pre_shared_key "MUST be the last extension"). `prefix` is the transcript before this
 * ClientHello: nothing, or message_hash(ClientHello1) and the HelloRetryRequest.
 */
export function bindHello(offer: PskOffer, hello: Uint8Array, prefix: readonly Uint8Array[]): Uint8Array {
  const size = offer.hash.outputLength;
  const transcript = offer.hash.transcript();
  for (const m of prefix) transcript.update(m);
  transcript.update(hello.subarray(0, hello.length - bindersLength([size])));
  const binder = finishedVerifyData(offer.hash, offer.early.binderKey(false), transcript.digest());
  hello.set(binder, hello.length - size);
  return binder;
}

/**
 * RFC 8446 §4.2.11: whether the ServerHello accepted our PSK. "Clients MUST verify that the server's
 * selected_identity is within the range supplied by the client, that the server selected a cipher suite
 * indicating a Hash associated with the PSK [...]. If these values are not consistent, the client MUST abort
 * the handshake with an "illegal_parameter" alert."
 */
export function pskAccepted(sh: ServerHello, offer: PskOffer | null, suite: SuiteParams): boolean {
  const ext = findExtension(sh.extensions, X.pre_shared_key);
  if (!ext) return false;
  // Only reachable when we sent pre_shared_key (extension_rules), i.e. with an offer.
  const selected = decodeBody(ext, decodeSelectedIdentity);
  if (!offer || selected !== 0) {
    throw failure("psk_selection_invalid", `the server selected PSK ${selected}; we offered one`);
  }
  if (suite.hash !== offer.suite.hash) {
    throw failure("psk_selection_invalid", `the server resumed with ${suite.name}, whose hash is not the ticket's`);
  }
  return true;
}

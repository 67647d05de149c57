/**
 * PSK resumption on the server (RFC 8446 §4.2.9, §4.2.11, §4.6.1): find the first offered identity that is
 * one of our live tickets for this suite's hash and this server name, then verify its binder, in constant
 * time, before anything in the ticket is trusted further. A bad binder aborts with decrypt_error; a ticket
 * we cannot use is skipped, so the client gets a full handshake.
 */
import { failure } from "../failures.ts";
import { constantTimeEqual } from "../../bytes.ts";
import type { TranscriptHash } from "../../crypto/provider.ts";
import { type SuiteParams, suiteParams } from "../cipher_suite.ts";
import { EarlySecret, finishedVerifyData } from "../key_schedule.ts";
import { decodeSessionState, type SessionState } from "../tickets/session_state.ts";
import type { ClientHello } from "../wire/client_hello.ts";
import { PskKeyExchangeMode } from "../wire/constants.ts";
import { bindersLength } from "../wire/extensions/pre_shared_key.ts";
import type { ServerConfig } from "./server_config.ts";

export interface AcceptedPsk {
  /** Index into the client's identities, echoed in ServerHello's pre_shared_key. */
  index: number;
  state: SessionState;
  early: EarlySecret;
  /** psk_dhe_ke (with an (EC)DHE share) or psk_ke (PSK only). */
  mode: number;
  /** The verified binder: a unique value for this ClientHello, the key of the strike register (RFC 8446 §8.2). */
  binder: Uint8Array;
  /** The ticket age the client claims, in ms (RFC 8446 §4.2.11.1). */
  clientTicketAge: number;
}

/**
 * RFC 8446 §4.2.11.2: binders are computed over the ClientHello up to its binders list. Returns that part and the
 * rest, so the running transcript takes the first, serves the binder check, then takes the second: the hello is
 * hashed once, and the transcript is never copied for it.
 */
export function splitAtBinders(hello: ClientHello, raw: Uint8Array): [truncated: Uint8Array, binders: Uint8Array] {
  const binders = hello.preSharedKey?.binders;
  const end = binders ? raw.length - bindersLength(binders.map((b) => b.length)) : raw.length;
  return [raw.subarray(0, end), raw.subarray(end)];
}

/**
 * `truncated` is the transcript through this ClientHello up to its binders (splitAtBinders), after an empty
 * prefix or message_hash + HelloRetryRequest. Returns null when no offered ticket is usable (full handshake).
 */
export function acceptPsk(
  hello: ClientHello,
  truncated: TranscriptHash,
  suite: SuiteParams,
  config: ServerConfig,
  tickets: OfferedTickets,
): AcceptedPsk | null {
  const offered = hello.preSharedKey;
  if (!offered || !config.tickets) return null;
  // RFC 8446 §4.2.9: pre_shared_key without psk_key_exchange_modes is a malformed offer.
  if (!hello.pskModes) throw failure("extension_missing", "pre_shared_key without psk_key_exchange_modes");
  const mode = chooseMode(hello, config);
  if (mode === null) return null;
  for (let index = 0; index < offered.identities.length; index++) {
    const state = tickets.open(index);
    if (!state || !usable(state, hello, suite, tickets.now)) continue;
    const hash = config.provider.hash(suite.hash);
    const early = EarlySecret.fromPsk(hash, state.psk);
    const expected = finishedVerifyData(hash, early.binderKey(false), truncated.digest());
    // RFC 8446 §4.2.11: the binder MUST be validated; if it does not, abort with decrypt_error.
    if (!constantTimeEqual(expected, offered.binders[index])) {
      throw failure("psk_binder_invalid");
    }
    const clientTicketAge = (offered.identities[index].obfuscatedTicketAge - state.ageAdd) >>> 0;
    return { index, state, early, mode, binder: offered.binders[index], clientTicketAge };
  }
  return null;
}

/** psk_dhe_ke when the client offers it (forward secrecy); psk_ke only if the server opted in. */
function chooseMode(hello: ClientHello, config: ServerConfig): number | null {
  if (hello.pskModes!.includes(PskKeyExchangeMode.psk_dhe_ke)) return PskKeyExchangeMode.psk_dhe_ke;
  if (config.tickets!.allowPskKe && hello.pskModes!.includes(PskKeyExchangeMode.psk_ke)) {
    return PskKeyExchangeMode.psk_ke;
  }
  return null;
}

/** The tickets a ClientHello offers, each decrypted at most once however often the server looks at it. */
export interface OfferedTickets {
  /** The clock reading every check of this ClientHello uses. */
  readonly now: number;
  /** The state sealed in the `index`-th identity, or null when it is not one of our live tickets. */
  open(index: number): SessionState | null;
}

/**
 * The suite choice reads the first ticket before anything is verified (it only steers the choice), and
 * acceptPsk reads it again to check its binder: one AEAD open and decode serves both.
 */
export function offeredTickets(hello: ClientHello, config: ServerConfig): OfferedTickets {
  const identities = hello.preSharedKey?.identities ?? [];
  const opened = new Map<number, SessionState | null>();
  const now = config.now();
  return {
    now,
    open(index) {
      if (!config.tickets || index >= identities.length) return null;
      let state = opened.get(index);
      if (state === undefined) {
        const plain = config.tickets.sealer.open(identities[index].identity, now);
        opened.set(index, state = plain ? decodeSessionState(plain) : null);
      }
      return state;
    },
  };
}

/**
 * RFC 8446 §4.6.1: unexpired, and the hash of the original suite must match; the server name must be the
 * one the ticket was issued for (§4.6.1: resumption only for the same SNI).
 */
function usable(state: SessionState, hello: ClientHello, suite: SuiteParams, now: number): boolean {
  if (now - state.issuedAt > state.lifetime * 1000 || now < state.issuedAt - 1000) return false;
  if (suiteParams(state.cipherSuite)?.hash !== suite.hash) return false;
  return (hello.serverName ?? null) === state.serverName;
}

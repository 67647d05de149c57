/**
 * The server reading a ClientHello (RFC 8446 §4.1.2): the checks on what the client offers, and every choice
 * made from it (suite, PSK, group, certificate, ALPN), before anything is sent. The result says either what
 * the server's flight will be, or that a HelloRetryRequest must ask for another key share (§4.1.4). Early
 * data is decided apart (early_data.ts), because the replay store may have to be awaited.
 */
import { constantTimeEqual } from "../../bytes.ts";
import type { TranscriptHash } from "../../crypto/provider.ts";
import { type Suite, suiteOf } from "../cipher_suite.ts";
import { failure } from "../failures.ts";
import { type ClientHello, decodeClientHello } from "../wire/client_hello.ts";
import { groupName, ProtocolVersion, PskKeyExchangeMode } from "../wire/constants.ts";
import type { HandshakeMessage } from "../wire/handshake.ts";
import { type CookieState, encodeHelloRetryRequest, helloDigest, messageHash } from "./hello_retry.ts";
import {
  ACME_TLS_ALPN,
  type CertificateChoice,
  chooseAlpn,
  chooseCertificate,
  chooseCipherSuite,
  chooseGroup,
  type GroupChoice,
  groupCode,
  isAcmeValidation,
} from "./negotiate.ts";
import { type AcceptedPsk, acceptPsk, offeredTickets, splitAtBinders } from "./psk.ts";
import type { ServerConfig } from "./server_config.ts";
import { Transcript } from "../transcript.ts";

/** What the server decided from a ClientHello it will answer with a ServerHello. */
export interface Negotiated {
  kind: "accept";
  hello: ClientHello;
  suite: Suite;
  /** Through this ClientHello (after a HelloRetryRequest: message_hash, HelloRetryRequest, ClientHello). */
  transcript: TranscriptHash;
  psk: AcceptedPsk | null;
  /** The group and the client's share; null for psk_ke (no (EC)DHE). */
  group: Required<GroupChoice> | null;
  /**
   * Null when a PSK authenticates the server instead (RFC 8446 §2.2), and for an ACME validation, whose
   * challenge certificate the connection looks up (asynchronously) before its flight.
   */
  certificate: CertificateChoice | null;
  /** An ACME server validating tls-alpn-01 (RFC 8737 §3): no resumption, the challenge certificate only. */
  acmeValidation: boolean;
  alpn: string | null;
  /** This is the second ClientHello of a HelloRetryRequest exchange. */
  afterRetry: boolean;
}

/** The client shared no key for any group we would pick: a HelloRetryRequest asks for `group` (§4.1.4). */
export interface NeedsRetry {
  kind: "retry";
  hello: ClientHello;
  suite: Suite;
  group: number;
}

/**
 * `retried`: a HelloRetryRequest was already sent on this connection, so this is the second ClientHello and
 * must carry our cookie (its state replaces anything we would otherwise have kept, §4.2.2).
 */
export function negotiate(msg: HandshakeMessage, retried: boolean, config: ServerConfig): Negotiated | NeedsRetry {
  const hello = decodeClientHello(msg.body);
  checkVersions(hello);
  const retry = openRetryCookie(hello, retried, config);
  const tickets = offeredTickets(hello, config);
  // The first ticket's suite only steers the choice; its binder is checked (acceptPsk) before it is used.
  const params = chooseCipherSuite(hello, config, tickets.open(0)?.cipherSuite);
  if (retry && retry.cipherSuite !== params.code) {
    throw failure("retry_hello_changed", "the second ClientHello changed the cipher suite choice");
  }
  const suite = suiteOf(config.provider, params);
  const transcript = Transcript.start(suite.hash);
  if (retry) {
    transcript.update(messageHash(retry.firstHelloHash));
    transcript.update(encodeHelloRetryRequest(hello.legacySessionId, params.code, retry.group, hello.cookie!));
  }
  const [truncated, binders] = splitAtBinders(hello, msg.raw);
  transcript.update(truncated);
  const acmeValidation = isAcmeValidation(hello);
  const psk = acmeValidation ? null : acceptPsk(hello, transcript, params, config, tickets);
  transcript.update(binders);
  checkRequiredExtensions(hello, psk);
  const group = psk?.mode === PskKeyExchangeMode.psk_ke ? null : chooseGroup(hello, config);
  const certificate = psk || acmeValidation ? null : chooseCertificate(hello, config);
  const alpn = acmeValidation ? ACME_TLS_ALPN : chooseAlpn(hello, config);
  const afterRetry = retried || retry !== null;
  if (group && !group.share) {
    // RFC 8446 §4.1.4: a client that still has no acceptable share after a HelloRetryRequest is broken.
    if (afterRetry) throw failure("retry_share_wrong", "the second ClientHello lacks the requested key share");
    return { kind: "retry", hello, suite, group: groupCode[group.group] };
  }
  if (retry) checkRetriedHello(hello, retry, config);
  return {
    kind: "accept",
    hello,
    suite,
    transcript,
    psk,
    group: group as Required<GroupChoice> | null,
    certificate,
    acmeValidation,
    alpn,
    afterRetry,
  };
}

/** A cookie is only valid in a second ClientHello, and a second ClientHello must carry ours. */
function openRetryCookie(hello: ClientHello, retried: boolean, config: ServerConfig): CookieState | null {
  if (!hello.cookie) {
    if (retried) throw failure("retry_cookie_missing");
    return null;
  }
  return config.retryCookies.open(hello.cookie, Math.floor(config.now() / 1000));
}

/**
 * RFC 8446 §4.2.1: the version is negotiated from supported_versions alone, and we speak TLS 1.3 only (a
 * hello without it, or without 0x0304 in it, is protocol_version). legacy_version plays no part in that
 * choice; it is checked afterwards as a field, since §4.1.2 says a TLS 1.3 ClientHello "MUST" set it to
 * 0x0303.
 */
function checkVersions(hello: ClientHello): void {
  if (!hello.supportedVersions?.includes(ProtocolVersion.TLS1_3)) {
    throw failure("client_hello_without_tls13");
  }
  if (hello.legacyVersion !== ProtocolVersion.TLS1_2) {
    throw failure("client_hello_legacy_version", `legacy_version 0x${hello.legacyVersion.toString(16)}`);
  }
  // RFC 8446 §4.1.2: "If a TLS 1.3 ClientHello is received with any other value in this field, the server
  // MUST abort the handshake with an illegal_parameter alert."
  if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
    throw failure("client_hello_compression");
  }
}

/**
 * RFC 8446 §9.2: a certificate-authenticated handshake needs signature_algorithms; (EC)DHE needs
 * supported_groups and key_share together. Missing ones are missing_extension.
 */
function checkRequiredExtensions(hello: ClientHello, psk: AcceptedPsk | null): void {
  if (!psk && !hello.signatureAlgorithms) throw failure("extension_missing", "no signature_algorithms");
  if (psk?.mode === PskKeyExchangeMode.psk_ke) return;
  if (!hello.supportedGroups) throw failure("extension_missing", "no supported_groups");
  if (!hello.keyShares) throw failure("extension_missing", "no key_share");
}

/** RFC 8446 §4.1.2, §4.2.8: the second ClientHello repeats the first, with one share for the requested group. */
function checkRetriedHello(hello: ClientHello, retry: CookieState, config: ServerConfig): void {
  if (!constantTimeEqual(helloDigest(config.provider, hello), retry.helloDigest)) {
    throw failure("retry_hello_changed", "the second ClientHello does not match the first");
  }
  if (hello.keyShares!.length !== 1 || hello.keyShares![0].group !== retry.group) {
    throw failure("retry_share_wrong", `the second ClientHello must carry one ${groupName(retry.group)} share`);
  }
  if (hello.earlyData) throw failure("retry_early_data");
}

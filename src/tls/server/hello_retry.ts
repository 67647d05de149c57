/**
 * Stateless HelloRetryRequest (RFC 8446 §4.1.4, §4.2.2): everything the server must remember about the
 * first ClientHello travels in the cookie, authenticated with an HMAC under a server key, so that a
 * server (or another node of a fleet) keeps no state between the two ClientHellos.
 *
 * Cookie = version(1) || issued_at(4) || cipher_suite(2) || group(2) || <ClientHello1 hash>(1+n)
 *          || <digest of ClientHello1 minus what a retry may change>(1+32) || HMAC-SHA256(32)
 */
import { failure } from "../failures.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { constantTimeEqual } from "../../bytes.ts";
import type { ClientHello } from "../wire/client_hello.ts";
import { ExtensionType, HandshakeType, ProtocolVersion } from "../wire/constants.ts";
import { encodeCookie } from "../wire/extensions/cookie.ts";
import { encodeHelloRetryKeyShare } from "../wire/extensions/key_share.ts";
import { encodeSelectedVersion } from "../wire/extensions/supported_versions.ts";
import { encodeHandshake } from "../wire/handshake.ts";
import { Reader } from "../wire/reader.ts";
import { encodeServerHello, HELLO_RETRY_REQUEST_RANDOM } from "../wire/server_hello.ts";
import { Writer } from "../wire/writer.ts";

const COOKIE_VERSION = 1;
const TAG_LENGTH = 32;

/** What a HelloRetryRequest cookie carries, so a stateless server can finish the retry (RFC 8446 §4.2.2). */
export interface CookieState {
  /** Seconds since the epoch when it was made: stale cookies are refused. */
  issuedAt: number;
  /** The cipher suite chosen for the first ClientHello; the second must keep it. */
  cipherSuite: number;
  /** The key_share group asked for in the HelloRetryRequest. */
  group: number;
  /** Hash of ClientHello1 under the suite's hash: the transcript restarts from it (RFC 8446 §4.4.1). */
  firstHelloHash: Uint8Array;
  /** Digest of ClientHello1's fields that ClientHello2 must repeat (§4.1.2; `helloDigest()`). */
  helloDigest: Uint8Array;
}

/**
 * RFC 8446 §4.1.2: the second ClientHello repeats the first except for key_share, early_data, cookie,
 * pre_shared_key and padding. The digest covers everything else, with extensions sorted by type.
 */
export function helloDigest(provider: CryptoProvider, hello: ClientHello): Uint8Array {
  const mayChange = new Set<number>([
    ExtensionType.key_share,
    ExtensionType.early_data,
    ExtensionType.cookie,
    ExtensionType.pre_shared_key,
    ExtensionType.padding,
  ]);
  const w = new Writer(512)
    .u16(hello.legacyVersion)
    .bytes(hello.random)
    .opaque8(hello.legacySessionId)
    .u16List(hello.cipherSuites)
    .opaque8(hello.legacyCompressionMethods);
  const kept = hello.extensions.filter((e) => !mayChange.has(e.type)).sort((a, b) => a.type - b.type);
  for (const e of kept) w.u16(e.type).opaque16(e.data);
  return provider.hash("SHA-256").hash(w.finish());
}

/**
 * How cookies are made and checked. The default MACs the state under a server key; a fleet shares the key
 * (or supplies its own codec) so that any node can finish a retry that another node started.
 */
export interface RetryCookieCodec {
  /** The cookie for `state`, authenticated so that the client cannot change it. */
  seal(state: CookieState): Uint8Array;
  /** Returns the state, or throws illegal_parameter for a forged, foreign or stale cookie. */
  open(cookie: Uint8Array, nowSeconds: number): CookieState;
}

export function hmacCookieCodec(provider: CryptoProvider, key: Uint8Array, lifetime: number): RetryCookieCodec {
  const mac = (body: Uint8Array) => provider.hash("SHA-256").hmac(key, body);
  return {
    seal(s) {
      const body = new Writer(128)
        .u8(COOKIE_VERSION)
        .u32(s.issuedAt)
        .u16(s.cipherSuite)
        .u16(s.group)
        .opaque8(s.firstHelloHash)
        .opaque8(s.helloDigest)
        .finish();
      const out = new Uint8Array(body.length + TAG_LENGTH);
      out.set(body);
      out.set(mac(body), body.length);
      return out;
    },
    open(cookie, nowSeconds) {
      if (cookie.length <= TAG_LENGTH) throw failure("retry_cookie_invalid", "cookie too short");
      const body = cookie.subarray(0, cookie.length - TAG_LENGTH);
      if (!constantTimeEqual(mac(body), cookie.subarray(cookie.length - TAG_LENGTH))) {
        throw failure("retry_cookie_invalid", "cookie was not issued by this server");
      }
      const r = new Reader(body);
      if (r.u8() !== COOKIE_VERSION) throw failure("retry_cookie_invalid", "unknown cookie version");
      const state: CookieState = {
        issuedAt: r.u32(),
        cipherSuite: r.u16(),
        group: r.u16(),
        firstHelloHash: r.vec8(),
        helloDigest: r.vec8(),
      };
      r.expectEnd("cookie");
      if (nowSeconds - state.issuedAt > lifetime || state.issuedAt > nowSeconds + 5) {
        throw failure("retry_cookie_invalid", "cookie expired");
      }
      return state;
    },
  };
}

/** The HelloRetryRequest message (RFC 8446 §4.1.4), deterministic so it can be rebuilt from the cookie. */
export function encodeHelloRetryRequest(sessionId: Uint8Array, cipherSuite: number, group: number, cookie: Uint8Array) {
  return encodeHandshake(
    HandshakeType.server_hello,
    encodeServerHello({
      legacyVersion: ProtocolVersion.TLS1_2,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: sessionId,
      cipherSuite,
      legacyCompressionMethod: 0,
      extensions: [
        { type: ExtensionType.key_share, data: encodeHelloRetryKeyShare(group) },
        { type: ExtensionType.cookie, data: encodeCookie(cookie) },
        { type: ExtensionType.supported_versions, data: encodeSelectedVersion(ProtocolVersion.TLS1_3) },
      ],
    }),
  );
}

/** RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by a synthetic message_hash message. */
export function messageHash(firstHelloHash: Uint8Array): Uint8Array {
  return encodeHandshake(HandshakeType.message_hash, firstHelloHash);
}

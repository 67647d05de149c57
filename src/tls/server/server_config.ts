/**
 * Server configuration, resolved once per server and shared by all its connections.
 */
import type { CryptoProvider, GroupName, SigningKey } from "../../crypto/provider.ts";
import { DEFAULT_SUITES } from "../cipher_suite.ts";
import { hmacCookieCodec, type RetryCookieCodec } from "./hello_retry.ts";
import type { ReplayStore } from "../tickets/replay_store.ts";
import type { ClientAuthConfig } from "./client_auth.ts";
import type { TicketSealer } from "../tickets/ticket_keys.ts";
import { type CertificateResolver, staticResolver } from "./certificate_resolver.ts";
import { MAX_CLIENT_HELLO } from "../wire/handshake.ts";

/** Session tickets, resumption and 0-RTT (RFC 8446 §4.6.1, §4.2.10, §8). */
export interface TicketConfig {
  /** Encrypts ticket state into tickets and back, under keys that rotate. */
  sealer: TicketSealer;
  /** Seconds a ticket stays valid (RFC 8446 §4.6.1: at most 7 days). */
  lifetime: number;
  /** NewSessionTicket messages sent after a full handshake; after a resumption, at most one (as OpenSSL). */
  count: number;
  /** Largest 0-RTT payload accepted, in bytes; 0 disables early data. */
  maxEarlyDataSize: number;
  /** Milliseconds the client's ticket age may differ from ours (RFC 8446 §8.3). */
  freshnessWindow: number;
  /** Where binders and single-use tickets are claimed (RFC 8446 §8); in memory unless a fleet shares one. */
  replayStore: ReplayStore;
  /** Each ticket carries early data at most once (RFC 8446 §8.1). */
  singleUse: boolean;
  /** Also accept psk_ke (no forward secrecy); psk_dhe_ke is always accepted. */
  allowPskKe: boolean;
  /**
   * Send the tickets with our first flight, right after our Finished, when the handshake asks for no client
   * certificate and accepts no early data (RFC 8446 §4.6.1 allows it; Go's crypto/tls does it): a client that
   * leaves right after its handshake still gets them. Otherwise (and by default) they follow the client Finished.
   */
  withServerFlight?: boolean;
}

/** A certificate chain with its private key, as the PKI layer loads it. */
export interface ServerCertificate {
  /** DER certificates, leaf first. */
  chain: readonly Uint8Array[];
  /** The private key of the leaf, for CertificateVerify (RFC 8446 §4.4.3). */
  signingKey: SigningKey;
  /** TLS 1.3 SignatureSchemes this key can sign, in our preference order. */
  schemes: readonly number[];
  /** DNS names of the leaf (SNI selection); may contain "*.example.com" wildcards. */
  names: readonly string[];
  /**
   * A DER OCSPResponse for the leaf, stapled when the client sends status_request (RFC 6066 §8, RFC 8446
   * §4.4.2.1). Whoever refreshes it publishes a new ServerCertificate; this one never changes.
   */
  ocspResponse?: Uint8Array;
}

/** Server configuration, resolved once by `createServerConfig()` and shared by all the server's connections. */
export interface ServerConfig {
  /** The crypto provider every primitive goes through. */
  provider: CryptoProvider;
  /** Asked once per full handshake, so that certificates can change while the server runs. */
  certificates: CertificateResolver;
  /** Cipher suites in server preference order. */
  cipherSuites: readonly number[];
  /** Key exchange groups in server preference order. */
  groups: readonly GroupName[];
  /** ALPN protocols in server preference order; empty means ALPN is ignored. */
  alpnProtocols: readonly string[];
  /** NamedGroup code points announced in EncryptedExtensions (RFC 8446 §4.2.7); empty sends none. */
  advertisedGroups: readonly number[];
  /**
   * Upper bound for one handshake message from the client; the default admits the largest ClientHello the
   * RFC's structure allows (MAX_CLIENT_HELLO, 131,396 bytes). Memory grows with what arrives, up to this.
   */
  maxHandshakeMessageSize: number;
  /** Seals and opens HelloRetryRequest cookies (RFC 8446 §4.2.2). */
  retryCookies: RetryCookieCodec;
  /** Milliseconds since the epoch; injected so that tests control time. */
  now: () => number;
  /** SSLKEYLOGFILE lines, only when the application asked for them. */
  keyLog?: (line: string) => void;
  /** Null disables tickets and resumption. */
  tickets: TicketConfig | null;
  /** Client certificates at the handshake and after it; null means never asked for. */
  clientAuth: ClientAuthConfig | null;
}

export interface ServerConfigOptions {
  provider: CryptoProvider;
  /** A fixed list (the first is the default when SNI matches none) or a resolver. */
  certificates: readonly ServerCertificate[] | CertificateResolver;
  cipherSuites?: readonly number[];
  groups?: readonly GroupName[];
  alpnProtocols?: readonly string[];
  advertisedGroups?: readonly number[];
  maxHandshakeMessageSize?: number;
  /** Key for the cookie MAC; random per server unless a fleet shares one. */
  cookieKey?: Uint8Array;
  /** Seconds a HelloRetryRequest cookie stays valid (default 60). */
  cookieLifetime?: number;
  retryCookies?: RetryCookieCodec;
  now?: () => number;
  keyLog?: (line: string) => void;
  tickets?: TicketConfig | null;
  clientAuth?: ClientAuthConfig | null;
}

/** The hybrid post-quantum groups (draft-ietf-tls-ecdhe-mlkem), X25519MLKEM768 first: what browsers send. */
const HYBRID_GROUPS: readonly GroupName[] = ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"];

/** The other groups, for a provider that gives no cost order: ECDHE, then FFDHE (RFC 7919), whose exponentiations
 * cost milliseconds. */
export const DEFAULT_GROUPS: readonly GroupName[] = [
  ...HYBRID_GROUPS,
  "x25519",
  "secp256r1",
  "secp384r1",
  "secp521r1",
  "x448",
  "ffdhe2048",
  "ffdhe3072",
  "ffdhe4096",
];

/**
 * The server's group order when none is given: the hybrid post-quantum groups first, so that a client that sent a
 * share for one gets it whatever else it sent; then the provider's cheapest-first order for this runtime
 * (CryptoProvider.preferredGroups). chooseGroup takes the first of these the client sent a share for, so a
 * HelloRetryRequest happens only when no share is usable.
 */
export function defaultGroups(provider: Pick<CryptoProvider, "preferredGroups">): readonly GroupName[] {
  const preferred = (provider.preferredGroups ?? []).filter((g) => !HYBRID_GROUPS.includes(g));
  return [
    ...HYBRID_GROUPS,
    ...preferred,
    ...DEFAULT_GROUPS.filter((g) => !HYBRID_GROUPS.includes(g) && !preferred.includes(g)),
  ];
}

export function serverConfig(o: ServerConfigOptions): ServerConfig {
  return {
    provider: o.provider,
    certificates: "certificates" in o.certificates ? o.certificates : staticResolver(o.certificates),
    cipherSuites: o.cipherSuites ?? DEFAULT_SUITES,
    groups: o.groups ?? defaultGroups(o.provider),
    alpnProtocols: o.alpnProtocols ?? [],
    advertisedGroups: o.advertisedGroups ?? [],
    maxHandshakeMessageSize: o.maxHandshakeMessageSize ?? MAX_CLIENT_HELLO,
    retryCookies: o.retryCookies ??
      hmacCookieCodec(o.provider, o.cookieKey ?? o.provider.randomBytes(32), o.cookieLifetime ?? 60),
    now: o.now ?? Date.now,
    keyLog: o.keyLog,
    tickets: o.tickets ?? null,
    clientAuth: o.clientAuth ?? null,
  };
}

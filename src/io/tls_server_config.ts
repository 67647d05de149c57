/**
 * Turns the user's TLS options (PEM files, suite names, a key log path) into the engine's ServerConfig.
 * Runs once per server, at start-up, so that a bad certificate or key fails there with the file named.
 */
import { appendFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { defaultProvider } from "../crypto/mod.ts";
import { ALL_SUITES, DEFAULT_SUITES, suiteByName, suiteParams } from "../tls/cipher_suite.ts";
import { type CertifiedKeyInput, loadCertifiedKey, loadTrustStore, type PemSource } from "./pki_files.ts";
import { type ServerConfig, serverConfig, type TicketConfig } from "../tls/server/server_config.ts";
import type { CertificateResolver } from "../tls/server/certificate_resolver.ts";
import { MemoryReplayStore } from "../tls/tickets/memory_replay_store.ts";
import type { ReplayStore } from "../tls/tickets/replay_store.ts";
import { RotatingTicketKeys } from "../tls/tickets/ticket_keys.ts";
import type { ClientAuthMode } from "../tls/server/client_auth.ts";

/** A server's TLS options: certificates, suites, groups, tickets, 0-RTT, client certificates, key log. */
export interface TlsServerOptions {
  /** The certificate chain (leaf first) and its key, as PEM text, bytes or `{ path }`. */
  cert?: PemSource;
  /** The leaf's private key (PKCS#8, SEC1 or PKCS#1), as PEM text, bytes or `{ path }`. */
  key?: PemSource;
  /** Several chains, chosen by SNI (RFC 6066); the first is the default. */
  certificates?: CertifiedKeyInput[];
  /** Certificates that change while the server runs (ACME, OCSP stapling: src/acme/); replaces cert/key. */
  resolver?: CertificateResolver;
  /** ALPN protocols in server preference order (RFC 7301). */
  alpn?: string[];
  /** Cipher suite names in preference order, e.g. ["TLS_CHACHA20_POLY1305_SHA256"]. */
  cipherSuites?: string[];
  /** Also allow TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 (off by default, as in OpenSSL). */
  enableCcm?: boolean;
  /** Key exchange groups in preference order. */
  groups?: GroupName[];
  /** The crypto provider; `defaultProvider()` unless given. */
  provider?: CryptoProvider;
  /**
   * Where to write TLS secrets in the SSLKEYLOGFILE format, for Wireshark. A path or a callback. Off unless
   * set: anyone with this file can decrypt the traffic.
   */
  keyLog?: string | ((line: string) => void);
  /**
   * Largest handshake message accepted from a client, in bytes. The default, 131,396, is the largest ClientHello
   * TLS 1.3's structure allows (RFC 8446 §4.1.2), so no well-formed hello is refused; a connection buffers only
   * what has arrived, up to this.
   */
  maxClientHelloSize?: number;
  /** Secret for HelloRetryRequest cookies; share it across a fleet. */
  cookieKey?: Uint8Array;
  /**
   * Client certificates (RFC 8446 §4.3.2): `ca` is the PEM bundle (text, bytes or `{ path }`) of the CAs that
   * issue them; `mode` says whether the handshake asks for one ("request"), demands one ("require") or
   * leaves it to post-handshake authentication per request ("none", the default).
   */
  clientAuth?: { ca: PemSource; mode?: ClientAuthMode };
  /** Session tickets and resumption (RFC 8446 §4.6.1); on by default. `false` turns them off. */
  tickets?: false | TicketOptions;
  /** 0-RTT early data (RFC 8446 §4.2.10, §8); off by default. */
  earlyData?: EarlyDataOptions;
}

/** Session tickets (RFC 8446 §4.6.1): the secret they are sealed under, lifetime and rotation. */
export interface TicketOptions {
  /**
   * The secret ticket keys derive from (≥ 32 bytes, or a `{ path }` to a file holding it). Share it across a
   * fleet so that any node resumes any other node's tickets. Default: random per process.
   */
  secret?: Uint8Array | { path: string };
  /** Seconds a ticket is valid (default 7200; at most 604800, RFC 8446 §4.6.1). */
  lifetime?: number;
  /** Seconds between ticket key rotations (default = lifetime, and never shorter). */
  rotation?: number;
  /** Tickets sent after a full handshake (default 2); after a resumption, at most one. */
  count?: number;
  /** Also accept psk_ke resumption, without (EC)DHE (default false: no forward secrecy). */
  allowPskKe?: boolean;
}

/** 0-RTT early data (RFC 8446 §2.3, §8): how much, and how replays are caught. */
export interface EarlyDataOptions {
  /** Largest 0-RTT payload accepted, in bytes (default 16384 once `earlyData` is given). */
  maxSize?: number;
  /** Where seen ClientHellos are remembered (default: in memory). Use a RedisReplayStore for a fleet. */
  replayStore?: ReplayStore;
  /** Milliseconds the client's ticket age may differ from ours (default 10000, RFC 8446 §8.3). */
  freshnessWindow?: number;
  /** Each ticket carries early data at most once (RFC 8446 §8.1; default false). */
  singleUseTickets?: boolean;
}

export async function createServerConfig(o: TlsServerOptions): Promise<ServerConfig> {
  const provider = o.provider ?? defaultProvider();
  const inputs = o.certificates ?? (o.cert && o.key ? [{ cert: o.cert, key: o.key }] : []);
  if (inputs.length === 0 && !o.resolver) {
    throw new TypeError("TLS needs a certificate: pass `cert` and `key`, `certificates`, or a `resolver`");
  }
  const certificates = o.resolver ?? await Promise.all(inputs.map((i) => loadCertifiedKey(i, provider)));
  return serverConfig({
    provider,
    certificates,
    cipherSuites: chooseSuites(o, provider),
    groups: o.groups,
    alpnProtocols: o.alpn,
    maxHandshakeMessageSize: o.maxClientHelloSize,
    cookieKey: o.cookieKey,
    keyLog: keyLogWriter(o.keyLog),
    clientAuth: o.clientAuth
      ? { mode: o.clientAuth.mode ?? "none", anchors: await loadTrustStore(o.clientAuth.ca, "clientAuth.ca") }
      : null,
    tickets: await ticketConfig(o, provider),
  });
}

/** RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)". */
const MAX_TICKET_LIFETIME = 604800;

async function ticketConfig(o: TlsServerOptions, provider: CryptoProvider): Promise<TicketConfig | null> {
  if (o.tickets === false) {
    if (o.earlyData) throw new TypeError("earlyData needs tickets: remove `tickets: false`");
    return null;
  }
  const t = o.tickets ?? {};
  const lifetime = t.lifetime ?? 7200;
  if (!(lifetime > 0 && lifetime <= MAX_TICKET_LIFETIME)) {
    throw new RangeError(`ticket lifetime ${lifetime} s is not in 1..604800`);
  }
  const rotation = Math.max(t.rotation ?? lifetime, lifetime);
  const secret = t.secret === undefined
    ? provider.randomBytes(32)
    : t.secret instanceof Uint8Array
    ? t.secret
    : new Uint8Array(await readFile(t.secret.path));
  return {
    sealer: new RotatingTicketKeys(provider, secret, rotation),
    lifetime,
    count: t.count ?? 2,
    maxEarlyDataSize: o.earlyData ? o.earlyData.maxSize ?? 16384 : 0,
    freshnessWindow: o.earlyData?.freshnessWindow ?? 10_000,
    replayStore: o.earlyData?.replayStore ?? new MemoryReplayStore(),
    singleUse: o.earlyData?.singleUseTickets ?? false,
    allowPskKe: t.allowPskKe ?? false,
    withServerFlight: true,
  };
}

/** The given order; else the default suites ordered by what this provider runs fastest. */
function chooseSuites(o: TlsServerOptions, provider: CryptoProvider): readonly number[] {
  if (o.cipherSuites) return o.cipherSuites.map(suiteByName);
  const suites = o.enableCcm ? ALL_SUITES : DEFAULT_SUITES;
  const fast = provider.preferredAeads ?? [];
  const rank = (code: number) => {
    const i = fast.indexOf(suiteParams(code)!.aead);
    return i < 0 ? fast.length : i;
  };
  return [...suites].sort((a, b) => rank(a) - rank(b));
}

function keyLogWriter(keyLog: TlsServerOptions["keyLog"]): ((line: string) => void) | undefined {
  if (keyLog === undefined) return undefined;
  if (typeof keyLog === "function") return keyLog;
  // Appended synchronously so that lines of concurrent handshakes never interleave.
  return (line) => appendFileSync(keyLog, line + "\n", { mode: 0o600 });
}

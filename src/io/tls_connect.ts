/**
 * `connectTls({ hostname, port, ... })` (also exported as `connect`): a TLS 1.3 client connection on Deno, Bun or Node. Opens a transport
 * connection (src/transport), runs the client engine over it in a TlsSocket, waits for the handshake, and hands
 * back Web Streams plus what TLS negotiated. Verification is on unless the loudly named option turns it off.
 *
 *   const conn = await connectTls({ hostname: "example.com", port: 443, alpn: ["http/1.1"] });
 *   await conn.writable.getWriter().write(bytes);
 *   for await (const chunk of conn.readable) ...
 *
 * Tickets the server sends are kept in a session cache (one per process unless `sessionCache` says otherwise)
 * and the next connection to the same server resumes with one (RFC 8446 §2.2); `earlyData` goes out in the
 * first flight when the ticket allows 0-RTT (§2.3). With `cert` and `key` the client answers the server's
 * certificate requests, during the handshake or after it (§4.3.2, §4.6.2).
 */
import { appendFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { defaultProvider } from "../crypto/mod.ts";
import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { ALL_SUITES, DEFAULT_SUITES, suiteByName } from "../tls/cipher_suite.ts";
import { ClientConnection, type ClientConnectionOptions } from "../tls/client/client_connection.ts";
import { type ClientConfig, clientConfig, type ServerCertificateVerifier } from "../tls/client/client_config.ts";
import { type ClientSessionCache, defaultSessionCache, sessionCacheKey } from "../tls/client/session_cache.ts";
import type { CertificateStatus } from "../tls/client/server_auth.ts";
import type { OcspCheck } from "../tls/client/ocsp_staple.ts";
import type { ConnectionInfo } from "../tls/connection_info.ts";
import { type Certificate, parseCertificate } from "../tls/pki/certificate.ts";
import type { CertifiedKey } from "../tls/pki/certified_key.ts";
import { toHex } from "../bytes.ts";
import { formatIpAddress } from "../tls/pki/hostname.ts";
import { LoadError } from "../tls/pki/load_error.ts";
import { decodePem, looksLikePem } from "../tls/pki/pem.ts";
import { TrustStore } from "../tls/pki/trust_store.ts";
import { connect as connectTransport } from "../transport/mod.ts";
import type { NetAddr } from "../net/duplex.ts";
import { loadCertifiedKey, type PemSource, systemTrustStore } from "./pki_files.ts";
import { TlsSocket } from "./tls_socket.ts";

/** Trust anchors: PEM text, a file path, PEM or DER bytes, `{ path }`, or several of these. */
export type CaSource = string | Uint8Array | { readonly path: string };

/** Options of `connectTls()`: where to connect, whom to trust, what to offer, and early data. */
export interface ConnectTlsOptions {
  /** Host name or IP address to connect to. */
  hostname: string;
  /** Port to connect to. */
  port: number;
  /** The name to ask for (SNI) and to verify the certificate against; default `hostname`. IP literals are not sent. */
  servername?: string;
  /** ALPN protocols, preferred first (RFC 7301). */
  alpn?: readonly string[];
  /** Trust anchors instead of the system bundle (SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt). */
  ca?: CaSource | readonly CaSource[];
  /**
   * Accepts any certificate from anyone: whoever sits on the path can read and change everything. Development
   * against a server whose CA you cannot get, never production.
   */
  dangerouslyDisableCertificateVerification?: boolean;
  /** Cipher suite names, preferred first; default AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305. */
  cipherSuites?: readonly string[];
  /** Also offer TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256. */
  enableCcm?: boolean;
  /** Groups we can use (supported_groups), preferred first; default x25519, secp256r1, secp384r1. */
  groups?: readonly GroupName[];
  /** Groups to send a key share for right away; default x25519 and secp256r1. */
  keyShareGroups?: readonly GroupName[];
  /** The crypto provider; `defaultProvider()` unless given. */
  provider?: CryptoProvider;
  /** SSLKEYLOGFILE lines: a path to append to, or a callback. Anyone with them can decrypt the traffic. */
  keyLog?: string | ((line: string) => void);
  /** Milliseconds for the whole handshake (default 10 s). */
  handshakeTimeout?: number;
  /** The clock certificates are checked at (tests). */
  now?: () => number;
  /** Replaces chain verification (pinning, or a test's own rules). */
  verifier?: ServerCertificateVerifier;
  /**
   * "record": complete the handshake even when the chain does not verify, keeping the error in
   * `info.certificate`. For diagnostics such as the probe only; never send data you care about over it.
   */
  certificateErrors?: "abort" | "record";
  /**
   * Our certificate chain (leaf first) and its key, as PEM text, bytes or `{ path }`: sent when the server asks
   * during the handshake, and, since we then offer post_handshake_auth, when it asks later (RFC 8446 §4.6.2).
   * Without them a request is answered with an empty Certificate.
   */
  cert?: PemSource;
  /** The private key of `cert`. */
  key?: PemSource;
  /**
   * Where tickets are kept and looked up: by default one cache per process (`defaultSessionCache`), so that a
   * second connection to the same server resumes. `false`: no resumption, tickets are dropped.
   */
  sessionCache?: ClientSessionCache | false;
  /**
   * Application data for the first flight: sent as 0-RTT when a cached ticket allows it (up to its
   * max_early_data_size), otherwise, or for the rest, or if the server refuses it, right after the handshake,
   * so it arrives exactly once. An attacker can replay 0-RTT data (RFC 8446 §8): only requests safe to repeat.
   */
  earlyData?: Uint8Array;
  /**
   * Ask for the server's OCSP staple (RFC 6066 status_request) and check it: a staple that does not verify, or
   * says revoked, fails the handshake, and so does a must-staple certificate (RFC 7633) without one. Default true;
   * `false` neither asks nor enforces must-staple.
   */
  ocsp?: boolean;
}

/** The parts of a certificate people ask about. */
export interface CertificateSummary {
  /** Subject distinguished name. */
  subject: string;
  /** Issuer distinguished name. */
  issuer: string;
  /** subjectAltName dNSName and iPAddress entries. */
  subjectAltNames: string[];
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** Serial number, hex. */
  serial: string;
  /** "ECDSA P-256", "RSA 2048", "Ed25519", … */
  publicKey: string;
}

/** What the client's handshake negotiated and saw of the server. */
export interface TlsClientInfo extends ConnectionInfo {
  /** The server's chain as sent, leaf first, with a summary of each certificate. */
  chain: CertificateSummary[];
  /** Whether the chain verified (or why not, with `certificateErrors: "record"`), or that verification was off. */
  certificate: CertificateStatus;
  /** True when the server asked for another key share first (HelloRetryRequest, RFC 8446 §4.1.4). */
  helloRetryRequest: boolean;
  /** The server's OCSP staple and what we made of it; null on a resumed connection. */
  ocsp: OcspCheck | null;
  /** True when `earlyData` went out as 0-RTT (`earlyDataAccepted` says whether the server took it). */
  earlyDataOffered: boolean;
}

/** A client connection after its handshake: web streams of application data, and what TLS negotiated. */
export interface TlsClientConnection {
  /** Application data from the server. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Closing it sends close_notify; reading goes on until the server closes. */
  readonly writable: WritableStream<Uint8Array>;
  /** The TLS socket underneath (a Duplex of application bytes). */
  readonly socket: TlsSocket<ClientConnection>;
  /** What the handshake negotiated. */
  readonly info: TlsClientInfo;
  /** Our end of the connection. */
  readonly localAddr: NetAddr;
  /** The server's end. */
  readonly remoteAddr: NetAddr;
  /** Sends KeyUpdate (RFC 8446 §4.6.3), asking the server to update its keys too if `requestPeerUpdate`. */
  updateKeys(requestPeerUpdate?: boolean): Promise<void>;
  /** close_notify, then the socket goes down; resolves once it is closed. */
  close(): Promise<void>;
}

/** Connects, completes the handshake, and verifies the server unless told not to. Rejects with the TlsAlert. */
export async function connectTls(o: ConnectTlsOptions): Promise<TlsClientConnection> {
  const resolved = await resolveClientConfig(o);
  const engine = new ClientConnection(resolved.config, sessionOptions(o, resolved));
  const transport = await connectTransport({ hostname: o.hostname, port: o.port });
  const socket = new TlsSocket(transport, engine, { handshakeTimeout: o.handshakeTimeout });
  const negotiated = await socket.handshake();
  const info: TlsClientInfo = {
    ...negotiated,
    chain: negotiated.peerCertificates.map(summarizeCertificate),
    certificate: engine.certificateStatus!,
    helloRetryRequest: engine.helloRetried,
    ocsp: engine.ocspStatus,
    earlyDataOffered: engine.earlyDataStatus === "accepted" || engine.earlyDataStatus === "rejected",
  };
  return {
    readable: readableOf(socket),
    writable: writableOf(socket),
    socket,
    info,
    localAddr: socket.localAddr,
    remoteAddr: socket.remoteAddr,
    updateKeys: (request = false) => socket.updateKeys(request),
    close: async () => {
      socket.close();
      await socket.closed;
    },
  };
}

/** The same function under the name the issue gives it, shaped like `Deno.connectTls` / `tls.connect`. */
export const connect: typeof connectTls = connectTls;

/**
 * The engine `connectTls` runs, with the options resolved (trust store loaded, suites named), without a
 * session cache: a fresh full handshake, as the probe wants. `session` adds a ticket, early data, a sink.
 */
export async function createClientConnection(
  o: ConnectTlsOptions,
  session: ClientConnectionOptions = {},
): Promise<ClientConnection> {
  return new ClientConnection((await resolveClientConfig(o)).config, session);
}

interface ResolvedClient {
  config: ClientConfig;
  /** Who vouches for the server (anchors digest, "system", a verifier, "insecure"): part of the cache key. */
  trust: string;
}

const verifierIds = new WeakMap<ServerCertificateVerifier, number>();
let verifierCount = 0;

async function resolveClientConfig(o: ConnectTlsOptions): Promise<ResolvedClient> {
  const provider = o.provider ?? defaultProvider();
  const dangerous = o.dangerouslyDisableCertificateVerification === true;
  if (dangerous && (o.ca !== undefined || o.verifier)) {
    throw new TypeError("trust anchors given with certificate verification disabled: pick one");
  }
  if ((o.cert === undefined) !== (o.key === undefined)) {
    throw new TypeError("a client certificate needs both `cert` and `key`");
  }
  const anchors = dangerous || o.verifier ? undefined : await loadTrustAnchors(o.ca);
  const certificate = o.cert && o.key ? await loadCertifiedKey({ cert: o.cert, key: o.key }, provider) : null;
  const config = clientConfig({
    provider,
    serverName: o.servername ?? stripBrackets(o.hostname),
    alpnProtocols: o.alpn,
    anchors,
    verifier: o.verifier,
    dangerouslyDisableCertificateVerification: dangerous,
    certificateErrors: o.certificateErrors,
    cipherSuites: o.cipherSuites ? o.cipherSuites.map(suiteByName) : o.enableCcm ? ALL_SUITES : DEFAULT_SUITES,
    groups: o.groups,
    keyShareGroups: o.keyShareGroups,
    now: o.now,
    keyLog: keyLogWriter(o.keyLog),
    certificate,
    statusRequest: o.ocsp ?? true,
  });
  return { config, trust: trustName(o, anchors, provider) };
}

function trustName(o: ConnectTlsOptions, anchors: TrustStore | undefined, provider: CryptoProvider): string {
  if (o.dangerouslyDisableCertificateVerification) return "insecure";
  if (o.verifier) {
    if (!verifierIds.has(o.verifier)) verifierIds.set(o.verifier, ++verifierCount);
    return `verifier ${verifierIds.get(o.verifier)}`;
  }
  if (o.ca === undefined) return "system";
  return digestOf(anchors!.anchors.map((a) => a.der), provider);
}

function digestOf(ders: readonly Uint8Array[], provider: CryptoProvider): string {
  const h = provider.hash("SHA-256").transcript();
  for (const d of ders) h.update(d);
  return toHex(h.digest());
}

/** The cache entry for this server, the ticket to offer, and where new tickets go. */
function sessionOptions(o: ConnectTlsOptions, resolved: ResolvedClient): ClientConnectionOptions {
  const cache = o.sessionCache === false ? null : o.sessionCache ?? defaultSessionCache;
  if (!cache) return { earlyData: o.earlyData };
  const { config } = resolved;
  const key = sessionCacheKey({
    serverName: config.serverName ?? o.hostname,
    port: o.port,
    alpn: config.alpnProtocols,
    trust: resolved.trust,
    identity: identityName(config.certificate, config.provider),
  });
  return {
    session: cache.take(key, config.now(), { earlyData: o.earlyData !== undefined }),
    earlyData: o.earlyData,
    onSession: (s) => cache.store(key, s),
  };
}

function identityName(certificate: CertifiedKey | null, provider: CryptoProvider): string {
  return certificate ? digestOf(certificate.chain, provider) : "";
}

/** `ca` as a trust store; the system bundle when absent. A string is PEM text if it looks like PEM, else a path. */
export async function loadTrustAnchors(ca: ConnectTlsOptions["ca"]): Promise<TrustStore> {
  if (ca === undefined) return await systemTrustStore();
  const sources: readonly CaSource[] = Array.isArray(ca) ? ca : [ca as CaSource];
  const ders: Uint8Array[] = [];
  for (const source of sources) ders.push(...await readCertificates(source));
  if (ders.length === 0) throw new LoadError("no_certificate", "ca", "no CERTIFICATE in the given trust anchors");
  return TrustStore.fromDer(ders);
}

async function readCertificates(source: CaSource): Promise<Uint8Array[]> {
  let data: string | Uint8Array;
  let name = "ca";
  if (typeof source === "string" && !looksLikePem(source)) source = { path: source };
  if (typeof source === "object" && "path" in source) {
    name = source.path;
    try {
      data = new Uint8Array(await readFile(source.path));
    } catch (e) {
      throw new LoadError("unreadable", source.path, `cannot read it (${(e as Error).message})`, { cause: e });
    }
  } else data = source;
  if (!looksLikePem(data)) {
    if (typeof data !== "string" && data[0] === 0x30) return [data];
    throw new LoadError("bad_pem", name, "neither PEM nor a DER certificate");
  }
  return decodePem(data).filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
}

/** "[::1]" as people write it in URLs → "::1". */
function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export function summarizeCertificate(der: Uint8Array): CertificateSummary {
  let cert: Certificate;
  try {
    cert = parseCertificate(der);
  } catch (e) {
    const why = `(does not parse: ${(e as Error).message})`;
    return {
      subject: why,
      issuer: "",
      subjectAltNames: [],
      notBefore: new Date(NaN),
      notAfter: new Date(NaN),
      serial: "",
      publicKey: "",
    };
  }
  const sans = cert.subjectAltNames;
  const key = cert.publicKey;
  const keyText = key.rsa
    ? `RSA ${key.rsa.bits}`
    : key.algorithm === "ecdsa-p256"
    ? "ECDSA P-256"
    : key.algorithm === "ecdsa-p384"
    ? "ECDSA P-384"
    : key.algorithm === "ed25519"
    ? "Ed25519"
    : key.algorithm;
  return {
    subject: cert.subject.text,
    issuer: cert.issuer.text,
    subjectAltNames: [...(sans?.dns ?? []), ...(sans?.ip ?? []).map(formatIpAddress)],
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serial: cert.serial,
    publicKey: keyText,
  };
}

function readableOf(socket: TlsSocket): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await socket.read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      } catch (e) {
        controller.error(e);
      }
    },
    cancel() {
      socket.close();
    },
  }, { highWaterMark: 0 });
}

function writableOf(socket: TlsSocket): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write: (chunk) => socket.write(chunk),
    close: () => socket.closeWrite(),
    abort: () => socket.close(),
  });
}

function keyLogWriter(keyLog: ConnectTlsOptions["keyLog"]): ((line: string) => void) | undefined {
  if (keyLog === undefined || typeof keyLog === "function") return keyLog;
  // Appended synchronously so that lines of concurrent handshakes never interleave.
  return (line) => appendFileSync(keyLog, line + "\n", { mode: 0o600 });
}

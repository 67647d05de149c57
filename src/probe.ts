/**
 * The probe: connects to a TLS server and reports what it saw: whether the chain verified (and if not, why),
 * version, suite, group, ALPN, the chain (subject, issuer, SANs, not-after, days left) and how long it took.
 *
 * A chain that does not verify is still reported: the handshake runs with the client's `certificateErrors:
 * "record"` mode, which checks everything else (CertificateVerify, Finished) and keeps the verification error
 * instead of aborting. The connection is closed right after; no application data is sent.
 */
import { type CaSource, createClientConnection, summarizeCertificate } from "./io/tls_connect.ts";
import { TlsSocket } from "./io/tls_socket.ts";
import type { TlsAlert } from "./tls/alert.ts";
import { CertificateError } from "./tls/pki/certificate_error.ts";
import type { OcspCheck } from "./tls/client/ocsp_staple.ts";
import { connect } from "./transport/mod.ts";
import type { Duplex } from "./net/duplex.ts";

/** Options of `probe()`. */
export interface ProbeOptions {
  /** Trust anchors (PEM text, a path, bytes, or several); default: the system bundle. */
  ca?: CaSource | readonly CaSource[];
  /** The name to send (SNI) and verify; default the target's host. */
  servername?: string;
  /** ALPN protocols to offer. */
  alpn?: readonly string[];
  /** Milliseconds for TCP connect and handshake together (default 10 000). */
  timeout?: number;
  /** The clock certificates are checked at, and days left are counted from (tests). */
  now?: () => number;
}

/** One certificate of the chain the server sent. */
export interface ChainEntry {
  /** Subject distinguished name. */
  subject: string;
  /** Issuer distinguished name. */
  issuer: string;
  /** subjectAltName dNSName and iPAddress entries. */
  subjectAltNames: string[];
  /** Start of validity, ISO 8601. */
  notBefore: string;
  /** End of validity, ISO 8601. */
  notAfter: string;
  /** Whole days from now until notAfter; negative once expired. */
  daysLeft: number;
  /** The key's algorithm and size, e.g. "ECDSA P-256". */
  publicKey: string;
  /** Serial number, hex. */
  serial: string;
}

/** What the probe saw: `JSON.stringify` gives the CLI's `--json` output. */
export interface ProbeReport {
  /** What was probed, and the server name sent. */
  target: { host: string; port: number; servername: string };
  /** The address connected to. */
  address: string;
  /** true, or why the chain did not verify: the CertificateError code, the alert a client sends, a plain reason. */
  verified: true | { code: string; alert: string; reason: string };
  /** Protocol version, "TLSv1.3". */
  version: string;
  /** The cipher suite's IANA name. */
  cipherSuite: string;
  /** The key exchange group, or null. */
  group: string | null;
  /** True when the server asked for another key share first (RFC 8446 §4.1.4). */
  helloRetryRequest: boolean;
  /** The ALPN protocol agreed on, or null. */
  alpn: string | null;
  /** The scheme of the server's CertificateVerify. */
  signatureScheme: string | null;
  /** The chain as sent, leaf first. */
  chain: ChainEntry[];
  /** The OCSP staple (RFC 6066): none, its status and validity, or why it was refused. */
  ocsp: OcspReport;
  /** TCP connect, then the TLS handshake, in milliseconds. */
  timing: { tcpMs: number; handshakeMs: number };
}

/** "host", "host:port", "[v6]:port", "v6", or a URL; the port defaults to 443. */
export function parseTarget(target: string): { host: string; port: number } {
  let text = target.trim();
  const url = text.match(/^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i);
  if (url) text = url[1].replace(/^[^@]*@/, "");
  const bracketed = text.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (bracketed) return { host: bracketed[1], port: portOf(bracketed[2], target) };
  if ((text.match(/:/g) ?? []).length > 1) return { host: text, port: 443 }; // a bare IPv6 address
  const [host, port] = text.split(":");
  if (!host) throw new TypeError(`no host in "${target}"`);
  return { host, port: portOf(port, target) };
}

function portOf(text: string | undefined, target: string): number {
  if (text === undefined || text === "") return 443;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`bad port in "${target}"`);
  return port;
}

/** Probes `target`. Rejects when there is no TLS 1.3 handshake to report on (refused, timeout, an alert). */
export async function probe(target: string, options: ProbeOptions = {}): Promise<ProbeReport> {
  const { host, port } = parseTarget(target);
  const servername = options.servername ?? host;
  const timeout = options.timeout ?? 10_000;
  const now = options.now ?? Date.now;
  const engine = await createClientConnection({
    hostname: host,
    port,
    servername,
    alpn: options.alpn,
    ca: options.ca,
    now,
    certificateErrors: "record",
  });
  const started = performance.now();
  const transport = await withTimeout(connect({ hostname: host, port }), timeout, `TCP connect to ${host}:${port}`);
  const connected = performance.now();
  const socket = new TlsSocket(transport, engine, { handshakeTimeout: Math.max(1, timeout - (connected - started)) });
  const info = await socket.handshake();
  const done = performance.now();
  socket.close();
  const status = engine.certificateStatus!;
  return {
    target: { host, port, servername },
    address: `${transport.remoteAddr.address}:${transport.remoteAddr.port}`,
    verified: status.verified ? true : describeFailure("error" in status ? status.error : null),
    version: info.version,
    cipherSuite: info.cipherSuite,
    group: info.group,
    helloRetryRequest: engine.helloRetried,
    alpn: info.alpn,
    signatureScheme: info.peerSignatureScheme,
    chain: info.peerCertificates.map((der) => chainEntry(der, now())),
    ocsp: ocspReport(engine.ocspStatus),
    timing: { tcpMs: round(connected - started), handshakeMs: round(done - connected) },
  };
}

/** What the probe learned of the server's OCSP staple (RFC 6066 §8): none, or its verified status. */
export type OcspReport =
  | { stapled: false }
  | { stapled: true; status: string; thisUpdate: string; nextUpdate: string | null }
  | { stapled: true; unchecked: true }
  | { stapled: boolean; error: { code: string; alert: string; reason: string } };

function ocspReport(check: OcspCheck | null): OcspReport {
  if (!check || !check.stapled && !("error" in check)) return { stapled: false };
  if ("error" in check) {
    const e = check.error;
    return { stapled: check.stapled, error: { code: e.code, alert: e.alertName, reason: e.reason } };
  }
  if ("unchecked" in check) return { stapled: true, unchecked: true };
  const s = check.status;
  return {
    stapled: true,
    status: s.status,
    thisUpdate: s.thisUpdate.toISOString(),
    nextUpdate: s.nextUpdate?.toISOString() ?? null,
  };
}

function ocspLine(o: OcspReport): string {
  if ("error" in o) return `${o.stapled ? "BAD staple" : "MISSING staple"}: ${o.error.code}: ${o.error.reason}`;
  if (!o.stapled) return "no staple";
  if ("unchecked" in o) return "stapled, not checked (certificate verification is off)";
  return `${o.status} (stapled; this update ${o.thisUpdate}, next update ${o.nextUpdate ?? "none"})`;
}

function describeFailure(error: TlsAlert | null): { code: string; alert: string; reason: string } {
  if (error instanceof CertificateError) return { code: error.code, alert: error.alertName, reason: error.reason };
  if (error) return { code: error.alertName, alert: error.alertName, reason: error.message };
  return { code: "disabled", alert: "none", reason: "certificate verification was disabled" };
}

const DAY = 86_400_000;

function chainEntry(der: Uint8Array, now: number): ChainEntry {
  const c = summarizeCertificate(der);
  return {
    subject: c.subject,
    issuer: c.issuer,
    subjectAltNames: c.subjectAltNames,
    notBefore: isoOrEmpty(c.notBefore),
    notAfter: isoOrEmpty(c.notAfter),
    daysLeft: Math.floor((c.notAfter.getTime() - now) / DAY),
    publicKey: c.publicKey,
    serial: c.serial,
  };
}

const isoOrEmpty = (d: Date) => (Number.isNaN(d.getTime()) ? "" : d.toISOString());
const round = (ms: number) => Math.round(ms * 10) / 10;

async function withTimeout(p: Promise<Duplex>, ms: number, what: string): Promise<Duplex> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } catch (e) {
    p.then((d) => d.close(), () => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The report as text, for people. */
export function formatProbeReport(r: ProbeReport): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`  ${k.padEnd(13)}${v}`);
  const sni = r.target.servername === r.target.host ? "" : ` as ${r.target.servername}`;
  lines.push(`${r.target.host}:${r.target.port}${sni} (${r.address})`);
  row(
    "verified",
    r.verified === true ? "yes" : `NO: ${r.verified.code} (alert ${r.verified.alert}): ${r.verified.reason}`,
  );
  row("protocol", r.version);
  row("cipher suite", r.cipherSuite);
  row("group", `${r.group ?? "none"}${r.helloRetryRequest ? " (after a HelloRetryRequest)" : ""}`);
  row("ALPN", r.alpn ?? "none");
  row("signature", r.signatureScheme ?? "none");
  row("OCSP", ocspLine(r.ocsp));
  row("handshake", `${r.timing.handshakeMs} ms (TCP connect ${r.timing.tcpMs} ms)`);
  lines.push("  chain");
  r.chain.forEach((c, i) => {
    lines.push(`    ${i} ${c.subject}`);
    lines.push(`      issuer     ${c.issuer}`);
    if (c.subjectAltNames.length) lines.push(`      SANs       ${c.subjectAltNames.join(", ")}`);
    lines.push(`      key        ${c.publicKey}`);
    const left = c.daysLeft < 0 ? `expired ${-c.daysLeft} days ago` : `${c.daysLeft} days left`;
    lines.push(`      not after  ${c.notAfter.slice(0, 10)} (${left})`);
  });
  return lines.join("\n");
}

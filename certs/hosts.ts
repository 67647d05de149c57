/**
 * What the CLI's `tls13-hono certs` makes, like mkcert: the development CA, a server certificate for the hosts you
 * name, and a client certificate, in a directory of your project. Re-running keeps what exists; asking for other
 * hosts replaces only the server certificate.
 */
import { join } from "node:path";
import { formatIpAddress } from "../src/tls/pki/hostname.ts";
import { parseCertificate } from "../src/tls/pki/certificate.ts";
import { decodePem } from "../src/tls/pki/pem.ts";
import { clientBundle, hostServerBundle } from "./bundles.ts";
import { type CertKeyPaths, ensureBundle, type EnsureOptions, openOutDir, readText } from "./generate.ts";

/** The hosts a server certificate names when none are given. */
export const DEFAULT_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "::1"];

/** Options of `ensureHostCerts`. */
export interface HostCertsOptions extends EnsureOptions {
  /** DNS names (wildcards allowed) and IP addresses for the server certificate; default {@link DEFAULT_HOSTS}. */
  readonly hosts?: readonly string[];
}

/** Paths of what `ensureHostCerts` makes. */
export interface HostCerts {
  /** The directory, absolute. */
  readonly dir: string;
  /** The development root CA: trust `ca.cert` in clients, keep `ca.key` private. */
  readonly ca: CertKeyPaths;
  /** `server.pem` and `server-key.pem`, for `serve({ tls: { cert, key } })`. */
  readonly server: CertKeyPaths;
  /** `client.pem` and `client-key.pem`: a client certificate for paths behind `clientCertificate()`. */
  readonly client: CertKeyPaths;
  /** The names and addresses the server certificate holds. */
  readonly hosts: readonly string[];
  /** Files written by this call; empty when everything already existed. */
  readonly created: readonly string[];
}

/** Creates the CA, a server certificate for `hosts` and a client certificate under `dir`, where missing. */
export async function ensureHostCerts(dir: string, options: HostCertsOptions = {}): Promise<HostCerts> {
  const hosts = normalizeHosts(options.hosts ?? DEFAULT_HOSTS);
  const out = await openOutDir(dir, options);
  const current = await certificateHosts(join(out.path, "server.pem"));
  const sameHosts = current !== undefined && [...current].sort().join() === [...hosts].sort().join();
  await ensureBundle(out, hostServerBundle(hosts), !sameHosts);
  await ensureBundle(out, clientBundle());
  // The CA key must not end up in a repository by accident.
  if ((await readText(join(out.path, ".gitignore"))) === undefined) await out.write(".gitignore", "*\n");
  const p = (file: string) => join(out.path, file);
  const pair = (name: string) => ({ cert: p(`${name}.pem`), key: p(`${name}-key.pem`) });
  return {
    dir: out.path,
    ca: pair("ca"),
    server: pair("server"),
    client: pair("client"),
    hosts,
    created: out.created,
  };
}

/** Trims, lowercases DNS names, drops duplicates and IPv6 brackets; refuses what cannot go into a certificate. */
export function normalizeHosts(hosts: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const raw of hosts) {
    const host = raw.trim().replace(/^\[(.*)\]$/, "$1");
    if (host === "") continue;
    const ok = host.includes(":") ? isIpv6(host) : isIpv4(host) || isDnsName(host);
    if (!ok) throw new TypeError(`not a host name or IP address: ${JSON.stringify(raw)}`);
    seen.add(host.includes(":") ? host : host.toLowerCase());
  }
  if (seen.size === 0) throw new TypeError("no hosts given");
  return [...seen];
}

const isIpv4 = (h: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h) && h.split(".").every((n) => Number(n) <= 255);
/** Letters, digits and hyphens per label (RFC 1123 §2.1), an optional leading wildcard, a top label not all digits. */
const isDnsName = (h: string) =>
  /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(h) && !/(^|\.)\d+$/.test(h);

/** The WHATWG URL parser knows IPv6 literals (RFC 4291 §2.2), compressed and with embedded IPv4 alike. */
function isIpv6(h: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(h)) return false;
  try {
    new URL(`http://[${h}]/`);
    return true;
  } catch {
    return false;
  }
}

/** The DNS names and IP addresses of an existing server.pem. */
async function certificateHosts(path: string): Promise<string[] | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  try {
    const sans = parseCertificate(decodePem(text)[0].der).subjectAltNames;
    return [...(sans?.dns ?? []), ...(sans?.ip ?? []).map(formatIpAddress)];
  } catch {
    return undefined;
  }
}

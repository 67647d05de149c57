/**
 * The certificates a server holds right now, by name: the CertificateResolver the engine asks once per
 * handshake. Renewal and OCSP refresh publish here; a swap is one Map assignment, so the next handshake sees the
 * new certificate while handshakes in flight keep the object they already chose (nothing is mutated in place).
 */
import type { CertificateResolver } from "../tls/server/certificate_resolver.ts";
import { orderBySni } from "../tls/server/negotiate.ts";
import type { ServerCertificate } from "../tls/server/server_config.ts";

/** The live CertificateResolver: certificates and tls-alpn-01 challenge certificates, replaced whole on renewal. */
export class CertificateSet implements CertificateResolver {
  /** Every certificate in use, in the order they were first added (the first is the default). */
  #all: ServerCertificate[] = [];
  readonly #challenges = new Map<string, ServerCertificate>();
  /** Looks up challenges this node does not hold itself (another node of the fleet started them). */
  readonly #remoteChallenge?: (name: string) => Promise<ServerCertificate | null>;

  /** `remoteChallenge` finds challenge certificates another node of the fleet published (from shared storage). */
  constructor(options: { remoteChallenge?: (name: string) => Promise<ServerCertificate | null> } = {}) {
    this.#remoteChallenge = options.remoteChallenge;
  }

  certificates(serverName: string | undefined): readonly ServerCertificate[] {
    return orderBySni(this.#all, serverName);
  }

  acmeChallenge(serverName: string): ServerCertificate | null | Promise<ServerCertificate | null> {
    return this.#challenges.get(serverName) ?? this.#remoteChallenge?.(serverName) ?? null;
  }

  /** The certificate serving `name` exactly (not through a wildcard or the default), if any. */
  get(name: string): ServerCertificate | undefined {
    return this.#all.find((c) => c.names.includes(name));
  }

  /** How many certificates are in use (challenge certificates not counted). */
  get size(): number {
    return this.#all.length;
  }

  /** Adds `cert`, replacing every certificate whose names it covers (a renewal replaces its predecessor). */
  put(cert: ServerCertificate): void {
    const replaced = this.#all.findIndex((c) => c.names.some((n) => cert.names.includes(n)));
    const rest = this.#all.filter((c) => !c.names.some((n) => cert.names.includes(n)));
    if (replaced < 0) rest.push(cert);
    else rest.splice(Math.min(replaced, rest.length), 0, cert);
    this.#all = rest;
  }

  /** Replaces `current` by `next` only if `current` is still in use (a staple must not undo a renewal). */
  swap(current: ServerCertificate, next: ServerCertificate): boolean {
    const at = this.#all.indexOf(current);
    if (at < 0) return false;
    const all = [...this.#all];
    all[at] = next;
    this.#all = all;
    return true;
  }

  /** Publishes (or, with null, withdraws) the tls-alpn-01 certificate for `name` (RFC 8737 §3). */
  setChallenge(name: string, cert: ServerCertificate | null): void {
    if (cert) this.#challenges.set(name, cert);
    else this.#challenges.delete(name);
  }
}

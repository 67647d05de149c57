/**
 * Certificates from an ACME CA (RFC 8555) for a fixed list of names, validated with tls-alpn-01 (RFC 8737) on
 * the serving port, kept in storage, renewed and swapped in while serving: what Go's autocert and Caddy's
 * certmagic do.
 *
 * - One certificate per name. `start()` loads what storage holds and orders what is missing or due.
 * - Renewal starts at `renewAt` (two thirds) of the lifetime, or earlier when the CA's renewal information
 *   (RFC 9773, renewal_info.ts) says so. A failure is retried with exponential backoff;
 *   the working certificate keeps serving while it is valid, and is never dropped for a failed renewal.
 * - A fleet shares storage: the node holding the storage lock for a name orders, the others wait for the lock
 *   and then find the new certificate in storage. Challenges are in storage too, so any node answers the
 *   validator.
 * - Only the configured names are ever ordered or answered for (the host policy).
 *
 * The ACME protocol is acme-client's (DESIGN.md says why), over our own HTTPS client (acme_http.ts).
 */
import type { Client } from "acme-client";
import type { CryptoProvider } from "../crypto/provider.ts";
import { defaultProvider } from "../crypto/mod.ts";
import type { CaSource } from "../io/tls_connect.ts";
import { parseCertificate } from "../tls/pki/certificate.ts";
import { loadCertifiedKey } from "../io/pki_files.ts";
import { normalizeDnsName } from "../tls/pki/hostname.ts";
import type { ServerCertificate } from "../tls/server/server_config.ts";
import { useOurHttps } from "./acme_http.ts";
import { CertificateSet } from "./certificate_set.ts";
import { backoff, type EventSink } from "./events.ts";
import { OcspStapler } from "./ocsp_stapler.ts";
import { suggestedRenewal } from "./renewal_info.ts";
import { type CertificateStorage, DirectoryStorage } from "./storage.ts";
import { challengeCertificate, keyAndCsr } from "./tls_alpn_challenge.ts";

/** What an AcmeManager needs: the CA, the names it may order for, where to keep what it gets. */
export interface AcmeOptions {
  /** The ACME directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory. */
  directoryUrl: string;
  /** The names to obtain certificates for (no wildcards: tls-alpn-01 cannot validate them, RFC 8737 §3). */
  domains: readonly string[];
  /** Contact for the ACME account (mailto:). */
  email?: string;
  /** Default: a DirectoryStorage in ./acme-storage. */
  storage?: CertificateStorage;
  /** Trust anchors for the ACME server's own HTTPS (a staging or test CA); default the system bundle. */
  ca?: CaSource | readonly CaSource[];
  /** Crypto for keys, CSRs and OCSP checks; default `defaultProvider()`. */
  provider?: CryptoProvider;
  /** Staple OCSP responses to the certificates when they name a responder (default true). */
  ocsp?: boolean;
  /** Told of every order, renewal, failure and staple, for logs; default silent. */
  onEvent?: EventSink;
  /** Fraction of the lifetime after which renewal starts (default 2/3). */
  renewAt?: number;
  /** Milliseconds; without them the backoff scales with the certificate's lifetime (see `retryDelays`). */
  retry?: { initial?: number; max?: number };
  /** Milliseconds a node may hold the storage lock without renewing it (default 120 s). */
  lockTtl?: number;
}

interface NameState {
  current?: ServerCertificate;
  notBefore: number;
  notAfter: number;
  /** When the CA's renewal information (RFC 9773) asks for renewal, if it does. */
  ariAt?: number;
  attempt: number;
  timer?: ReturnType<typeof setTimeout>;
  running?: Promise<void>;
}

const MAX_TIMER = 2 ** 31 - 1;
/** How often renewal information is asked for again (RFC 9773 §4.3 suggests following Retry-After; 6 h). */
const ARI_POLL = 6 * 3600_000;

/**
 * Certificates from an ACME CA (RFC 8555) for a running server: ordered on first use, renewed before they expire,
 * answered for tls-alpn-01 on the serving port, stapled with OCSP.
 */
export class AcmeManager {
  /** Give it to `serve({ tls: { resolver } })`: it answers SNI and tls-alpn-01. */
  readonly resolver: CertificateSet;
  readonly #o: AcmeOptions;
  readonly #storage: CertificateStorage;
  readonly #provider: CryptoProvider;
  readonly #names: readonly string[];
  readonly #state = new Map<string, NameState>();
  readonly #stapler: OcspStapler | null;
  readonly #challengeCache = new Map<string, Promise<ServerCertificate>>();
  #client: Promise<Client> | null = null;
  #stopped = false;

  /** Checks the names and sets up storage and stapling; nothing talks to the CA before `start()`. */
  constructor(o: AcmeOptions) {
    this.#o = o;
    this.#names = o.domains.map((d) => {
      const name = normalizeDnsName(d);
      if (!name || name.includes("*")) throw new TypeError(`cannot obtain a certificate for ${JSON.stringify(d)}`);
      return name;
    });
    this.#storage = o.storage ?? new DirectoryStorage("acme-storage");
    this.#provider = o.provider ?? defaultProvider();
    this.resolver = new CertificateSet({ remoteChallenge: (name) => this.#fleetChallenge(name) });
    this.#stapler = o.ocsp === false ? null : new OcspStapler(this.resolver, {
      provider: this.#provider,
      onEvent: o.onEvent,
      onRevoked: (cert) => this.#renewSoon(cert.names[0]),
    });
  }

  /** Loads or obtains a certificate for every name; resolves once each has one or has failed once (retrying). */
  async start(): Promise<void> {
    await Promise.all(this.#names.map((name) => this.#run(name)));
  }

  /** Stops renewal and OCSP timers; certificates already in the resolver keep serving. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const s of this.#state.values()) clearTimeout(s.timer);
    this.#stapler?.stop();
    await Promise.allSettled([...this.#state.values()].map((s) => s.running));
    await this.#storage.close?.();
  }

  #stateOf(name: string): NameState {
    let s = this.#state.get(name);
    if (!s) this.#state.set(name, s = { notBefore: 0, notAfter: 0, attempt: 0 });
    return s;
  }

  /** One attempt to have a current certificate for `name`, then the next attempt scheduled. */
  #run(name: string): Promise<void> {
    const s = this.#stateOf(name);
    s.running ??= (async () => {
      try {
        await this.#ensure(name, s);
        s.attempt = 0;
        s.ariAt = await this.#renewalInfo(s);
        // RFC 9773 §4.3: ask the CA again from time to time, even while nothing is due.
        this.#schedule(name, s, Math.min(this.#renewTime(s), Date.now() + ARI_POLL) - Date.now());
      } catch (e) {
        // The next attempt registers again (newAccount with our key is idempotent, RFC 8555 §7.3.1): the CA may
        // have lost or deactivated the account, as a restarted test CA does.
        this.#client = null;
        s.attempt++;
        const { initial, max } = this.#retryDelays(s);
        const retryIn = backoff(s.attempt, initial, max);
        this.#o.onEvent?.({ type: "failed", name, error: describe(e), attempt: s.attempt, retryIn });
        this.#schedule(name, s, retryIn);
      } finally {
        s.running = undefined;
      }
    })();
    return s.running;
  }

  #schedule(name: string, s: NameState, delay: number): void {
    clearTimeout(s.timer);
    if (this.#stopped) return;
    const wait = Math.max(0, delay);
    s.timer = setTimeout(() => {
      if (wait > MAX_TIMER) this.#schedule(name, s, wait - MAX_TIMER);
      else this.#run(name);
    }, Math.min(wait, MAX_TIMER));
  }

  /** A revoked certificate is due now, whatever its dates say (as certmagic does). */
  #renewSoon(name: string | undefined): void {
    const s = name ? this.#state.get(name) : undefined;
    if (!name || !s) return;
    s.ariAt = Date.now();
    this.#schedule(name, s, 0);
  }

  /** Two thirds of the lifetime (or `renewAt`), earlier if the CA's renewal information says so. */
  #renewTime(s: Pick<NameState, "notBefore" | "notAfter" | "ariAt">): number {
    const own = s.notBefore + (this.#o.renewAt ?? 2 / 3) * (s.notAfter - s.notBefore);
    return Math.min(own, s.ariAt ?? Infinity);
  }

  async #renewalInfo(s: NameState): Promise<number | undefined> {
    if (!s.current) return undefined;
    const leaf = parseCertificate(s.current.chain[0]);
    return await suggestedRenewal(this.#o.directoryUrl, leaf, this.#o.ca).catch(() => null) ?? undefined;
  }

  /**
   * Backoff bounds: given ones, else scaled to the lifetime so that a short-lived certificate still gets many
   * tries before it expires (90 days: 1 min doubling to 6 h; 30 s: 1 s to 3 s). Before the first certificate:
   * 5 s to 10 min.
   */
  #retryDelays(s: NameState): { initial: number; max: number } {
    const life = s.notAfter - s.notBefore;
    const initial = this.#o.retry?.initial ?? (life > 0 ? clamp(life / 50, 1000, 60_000) : 5000);
    const max = this.#o.retry?.max ?? (life > 0 ? clamp(life / 10, initial, 6 * 3600_000) : 600_000);
    return { initial, max };
  }

  /** Under the storage lock: use storage's certificate if it is current, else order one and store it. */
  async #ensure(name: string, s: NameState): Promise<void> {
    const release = await this.#lock(name);
    try {
      const stored = await this.#loadStored(name);
      // A valid certificate in storage serves at once, due or not (after a restart, or another node's): renewal
      // replaces it, and a renewal that fails leaves it serving.
      if (stored && Date.now() < stored.notAfter && stored.serial !== this.#serialOf(s)) {
        await this.#install(name, s, stored.certPem, stored.keyPem);
        this.#o.onEvent?.({ type: "loaded", name, ...this.#dates(s) });
      }
      const ariAt = stored?.serial === this.#serialOf(s) ? s.ariAt : undefined;
      if (stored && Date.now() < this.#renewTime({ ...stored, ariAt })) return;
      const renewal = s.current !== undefined;
      const { certPem, keyPem } = await this.#order(name);
      await this.#storage.store(`certificates/${name}/cert.pem`, certPem);
      await this.#storage.store(`certificates/${name}/key.pem`, keyPem);
      await this.#install(name, s, certPem, keyPem);
      this.#o.onEvent?.({ type: "obtained", name, renewal, ...this.#dates(s) });
    } finally {
      await release();
    }
  }

  /** The storage lock for `name`; a wait longer than half a second is reported (another node is ordering). */
  async #lock(name: string): Promise<() => Promise<void>> {
    const timer = setTimeout(() => this.#o.onEvent?.({ type: "waiting", name }), 500);
    try {
      return await this.#storage.lock(`certificates-${name}`, this.#o.lockTtl ?? 120_000);
    } finally {
      clearTimeout(timer);
    }
  }

  async #loadStored(name: string) {
    const certPem = await this.#storage.load(`certificates/${name}/cert.pem`);
    const keyPem = await this.#storage.load(`certificates/${name}/key.pem`);
    if (!certPem || !keyPem) return null;
    const leaf = await loadCertifiedKey({ cert: certPem, key: keyPem }, this.#provider).catch(() => null);
    if (!leaf) return null;
    return {
      certPem,
      keyPem,
      serial: leaf.leaf.serial,
      notBefore: leaf.leaf.notBefore.getTime(),
      notAfter: leaf.leaf.notAfter.getTime(),
    };
  }

  /** Swaps the new certificate in: the next handshake uses it, handshakes in flight keep the old one. */
  async #install(name: string, s: NameState, certPem: string, keyPem: string): Promise<void> {
    const cert = await loadCertifiedKey({ cert: certPem, key: keyPem }, this.#provider);
    const old = s.current;
    this.resolver.put(cert);
    s.current = cert;
    s.notBefore = cert.leaf.notBefore.getTime();
    s.notAfter = cert.leaf.notAfter.getTime();
    s.ariAt = undefined;
    if (old) this.#stapler?.unwatch(old);
    this.#stapler?.watch(cert).catch((e) =>
      this.#o.onEvent?.({
        type: "ocsp_failed",
        name,
        serial: cert.leaf.serial,
        error: describe(e),
        retryIn: 0,
        stapling: false,
      })
    );
  }

  #serialOf(s: NameState): string | undefined {
    return s.current ? parseCertificate(s.current.chain[0]).serial : undefined;
  }

  #dates(s: NameState) {
    return {
      serial: this.#serialOf(s)!,
      notAfter: new Date(s.notAfter),
      renewAt: new Date(this.#renewTime(s)),
    };
  }

  /** RFC 8555 §7.4: order, answer each authorization's tls-alpn-01 challenge, finalize, download. */
  async #order(name: string): Promise<{ certPem: string; keyPem: string }> {
    const client = await this.#acmeClient();
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: name }] });
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === "valid") continue;
      const challenge = authz.challenges.find((c) => (c.type as string) === "tls-alpn-01");
      if (!challenge) throw new Error(`the CA offers no tls-alpn-01 challenge for ${name}`);
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      this.resolver.setChallenge(name, await challengeCertificate(name, keyAuthorization, this.#provider));
      await this.#storage.store(`challenges/${name}`, keyAuthorization);
      this.#o.onEvent?.({ type: "challenge", name });
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } finally {
        this.resolver.setChallenge(name, null);
        await this.#storage.delete(`challenges/${name}`);
      }
    }
    const { keyPem, csrPem } = await keyAndCsr(name);
    const finalized = await client.finalizeOrder(order, csrPem);
    return { certPem: await client.getCertificate(finalized), keyPem };
  }

  /** The account key lives in storage, so a fleet shares one account; newAccount with it is idempotent. */
  #acmeClient(): Promise<Client> {
    this.#client ??= (async () => {
      await useOurHttps(this.#o.ca);
      const { default: acme } = await import("acme-client");
      const keyName = `accounts/${new URL(this.#o.directoryUrl).host.replace(/[^a-z0-9.-]/gi, "_")}/account.key`;
      let key = await this.#storage.load(keyName);
      if (!key) {
        key = (await acme.crypto.createPrivateEcdsaKey()).toString();
        await this.#storage.store(keyName, key);
      }
      const client = new acme.Client({
        directoryUrl: this.#o.directoryUrl,
        accountKey: key,
        backoffAttempts: 20,
        backoffMin: 250,
        backoffMax: 5000,
      });
      // RFC 8555 §7.3.1: look the key's account up first; only a key without one registers (an update with
      // the registration fields would be refused as an empty update).
      try {
        await client.createAccount({ onlyReturnExisting: true });
      } catch {
        await client.createAccount({
          termsOfServiceAgreed: true,
          ...(this.#o.email ? { contact: [`mailto:${this.#o.email}`] } : {}),
        });
      }
      return client;
    })();
    return this.#client;
  }

  /** A challenge another node of the fleet started: rebuilt from the key authorization in storage. */
  async #fleetChallenge(name: string): Promise<ServerCertificate | null> {
    if (!this.#names.includes(name)) return null;
    const keyAuthorization = await this.#storage.load(`challenges/${name}`).catch(() => null);
    if (!keyAuthorization) return null;
    let cert = this.#challengeCache.get(keyAuthorization);
    if (!cert) {
      this.#challengeCache.clear();
      this.#challengeCache.set(keyAuthorization, cert = challengeCertificate(name, keyAuthorization, this.#provider));
    }
    return await cert;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Keeps an OCSP staple on each certificate of a CertificateSet (RFC 6960, RFC 6066 §8, RFC 8446 §4.4.2.1), as
 * Caddy does: fetch from the responder the leaf names (AIA), believe the answer only if it verifies (issuer or
 * delegated signer, serial, thisUpdate/nextUpdate), staple it only when it says "good", refresh it halfway
 * through its validity, retry with backoff when the responder fails, and drop a staple once it expires.
 * An invalid or expired response is never stapled.
 */
import type { CryptoProvider } from "../crypto/provider.ts";
import { type Certificate, parseCertificate } from "../tls/pki/certificate.ts";
import { ocspExpiry, verifyOcspResponse } from "../tls/pki/ocsp.ts";
import { encodeOcspRequest, ocspResponderUrl } from "../tls/pki/ocsp_request.ts";
import type { ServerCertificate } from "../tls/server/server_config.ts";
import type { CertificateSet } from "./certificate_set.ts";
import { backoff, type EventSink } from "./events.ts";
import { type FetchOptions, type FetchResponse, httpFetch } from "./http_fetch.ts";

export interface OcspStaplerOptions {
  provider: Pick<CryptoProvider, "verify">;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  onEvent?: EventSink;
  /** Called when the responder says the certificate is revoked (ACME renews it). */
  onRevoked?: (cert: ServerCertificate) => void;
  /** First retry after a failure, doubling up to `maxRetry` (ms; default 1 min and 1 h). */
  initialRetry?: number;
  maxRetry?: number;
  /** The HTTP exchange (default: our own client over plain HTTP). */
  fetch?: (url: string, o: FetchOptions) => Promise<FetchResponse>;
}

interface Watched {
  /** The certificate as given, without a staple. */
  readonly base: ServerCertificate;
  /** What the set holds for it now (base, or base with a staple). */
  current: ServerCertificate;
  leaf: Certificate;
  issuer: Certificate;
  url: string;
  /** When the stapled response stops being valid (0: nothing stapled). */
  expiry: number;
  failures: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** setTimeout's largest delay (about 24.8 days); a longer wait is taken in steps. */
const MAX_TIMER = 2 ** 31 - 1;

export class OcspStapler {
  readonly #watched = new Map<ServerCertificate, Watched>();
  readonly #now: () => number;
  #stopped = false;

  constructor(private readonly set: CertificateSet, private readonly o: OcspStaplerOptions) {
    this.#now = o.now ?? Date.now;
  }

  /**
   * Starts stapling `cert`, which must be in the set, and resolves after the first attempt (successful or not).
   * A certificate without an OCSP URL or without its issuer in the chain is left as it is.
   */
  async watch(cert: ServerCertificate): Promise<void> {
    if (cert.chain.length < 2) return;
    const leaf = parseCertificate(cert.chain[0]);
    const url = ocspResponderUrl(leaf);
    if (!url) return;
    const w: Watched = {
      base: cert,
      current: cert,
      leaf,
      issuer: parseCertificate(cert.chain[1]),
      url,
      expiry: 0,
      failures: 0,
    };
    this.#watched.set(cert, w);
    await this.#refresh(w);
  }

  /** Stops stapling `cert` (it was replaced, e.g. renewed). */
  unwatch(cert: ServerCertificate): void {
    const w = this.#watched.get(cert);
    if (w) clearTimeout(w.timer);
    this.#watched.delete(cert);
  }

  /** Clears every timer; staples already published stay until their certificate is replaced. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#watched.values()) clearTimeout(w.timer);
    this.#watched.clear();
  }

  async #refresh(w: Watched): Promise<void> {
    const name = w.base.names[0] ?? w.leaf.subject.text;
    const serial = w.leaf.serial;
    try {
      const der = await this.#fetch(w);
      const status = await verifyOcspResponse(der, w.leaf, w.issuer, {
        now: new Date(this.#now()),
        provider: this.o.provider,
      });
      if (status.status !== "good") {
        if (status.status === "revoked") this.o.onRevoked?.(w.base);
        throw new Error(`the responder says ${status.status}`);
      }
      w.expiry = ocspExpiry(status);
      w.failures = 0;
      this.#publish(w, { ...w.base, ocspResponse: der });
      const thisUpdate = status.thisUpdate.getTime();
      const refreshIn = Math.max(1000, thisUpdate + (w.expiry - thisUpdate) / 2 - this.#now());
      this.o.onEvent?.({
        type: "ocsp",
        name,
        serial,
        status: status.status,
        nextUpdate: new Date(w.expiry),
        refreshIn,
      });
      this.#schedule(w, refreshIn);
    } catch (e) {
      if (!this.#watched.has(w.base) || this.#stopped) return;
      w.failures++;
      const stapling = w.expiry > this.#now();
      if (!stapling) this.#publish(w, w.base);
      const retryIn = backoff(w.failures, this.o.initialRetry ?? 60_000, this.o.maxRetry ?? 3600_000);
      const error = e instanceof Error ? e.message : String(e);
      this.o.onEvent?.({ type: "ocsp_failed", name, serial, error, retryIn, stapling });
      // RFC 6066 §8: a staple past its nextUpdate must go, even while the responder is down.
      this.#schedule(w, stapling ? Math.min(retryIn, w.expiry - this.#now() + 1) : retryIn);
    }
  }

  async #fetch(w: Watched): Promise<Uint8Array> {
    const response = await (this.o.fetch ?? httpFetch)(w.url, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
      body: Uint8Array.from(encodeOcspRequest(w.leaf, w.issuer)),
      timeout: 10_000,
      maxBodySize: 64 * 1024,
    });
    if (response.status !== 200) throw new Error(`the responder answered HTTP ${response.status}`);
    return response.body;
  }

  #publish(w: Watched, next: ServerCertificate): void {
    if (next === w.current) return;
    if (this.set.swap(w.current, next)) w.current = next;
  }

  #schedule(w: Watched, delay: number): void {
    clearTimeout(w.timer);
    if (this.#stopped) return;
    w.timer = setTimeout(() => {
      if (w.expiry > 0 && w.expiry <= this.#now()) {
        w.expiry = 0;
        this.#publish(w, w.base);
      }
      this.#refresh(w);
    }, Math.min(MAX_TIMER, Math.max(0, delay)));
  }
}

/**
 * What certificate management reports as it works (for logs and tests). Never a key: events carry names,
 * serials, dates and error messages only.
 */
export type CertificateEvent =
  /** A certificate was issued by the ACME server (`renewal`: it replaces one). */
  | { type: "obtained"; name: string; serial: string; notAfter: Date; renewAt: Date; renewal: boolean }
  /** A certificate was read from storage (ours from before, or another node's). */
  | { type: "loaded"; name: string; serial: string; notAfter: Date; renewAt: Date }
  /** Obtaining or renewing failed; the current certificate (if any) keeps serving. */
  | { type: "failed"; name: string; error: string; attempt: number; retryIn: number }
  /** Another node holds the lock for this name: we wait and then load its result. */
  | { type: "waiting"; name: string }
  /** A tls-alpn-01 challenge is being answered for `name`. */
  | { type: "challenge"; name: string }
  /** A good OCSP response is now stapled. */
  | { type: "ocsp"; name: string; serial: string; status: string; nextUpdate: Date; refreshIn: number }
  /** No OCSP response could be stapled (fetch failed, or it was refused); a current one keeps being stapled. */
  | { type: "ocsp_failed"; name: string; serial: string; error: string; retryIn: number; stapling: boolean };

/** Where the manager and the stapler report what they did, for logs and metrics (`formatEvent` makes a line). */
export type EventSink = (event: CertificateEvent) => void;

/** One line per event, as the example prints them. */
export function formatEvent(e: CertificateEvent): string {
  switch (e.type) {
    case "obtained":
    case "loaded":
      return `${e.type === "obtained" ? (e.renewal ? "renewed" : "obtained") : "loaded"} ${e.name} serial ${e.serial}` +
        ` not after ${e.notAfter.toISOString()}, renewal at ${e.renewAt.toISOString()}`;
    case "failed":
      return `failed ${e.name} (attempt ${e.attempt}): ${e.error}; retrying in ${e.retryIn} ms`;
    case "waiting":
      return `waiting ${e.name}: another node is obtaining it`;
    case "challenge":
      return `challenge ${e.name}: answering tls-alpn-01`;
    case "ocsp":
      return `ocsp ${e.name} serial ${e.serial}: ${e.status}, next update ${e.nextUpdate.toISOString()}, ` +
        `refresh in ${e.refreshIn} ms`;
    case "ocsp_failed":
      return `ocsp_failed ${e.name} serial ${e.serial}: ${e.error}; retrying in ${e.retryIn} ms` +
        (e.stapling ? " (the current staple stays)" : " (no staple)");
  }
}

/** Exponential backoff: `initial`, doubling, at most `max` (milliseconds). */
export function backoff(attempt: number, initial: number, max: number): number {
  return Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
}

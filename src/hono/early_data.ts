/**
 * RFC 8470 for Hono apps: a request that arrived in 0-RTT early data may be a replay, so only requests that
 * are safe to replay should run then. `serve()` answers 425 Too Early to every method that is not safe
 * (unless the app opts in with `earlyData.allowUnsafeMethods`); this middleware lets a route refuse early data for
 * safe methods too.
 */
import type { TlsBindings } from "./bindings.ts";

/** RFC 9110 §9.2.1: safe methods, which a replay cannot turn into a second action. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** RFC 8470 §5.2: 425 tells the client to retry after the handshake completes. */
export function tooEarlyResponse(): Response {
  return new Response("Too Early: retry this request after the TLS handshake completes\n", {
    status: 425,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** Middleware: this route never runs on early data; such requests get 425 and the client retries in 1-RTT. */
export function rejectEarlyData(): (
  c: { env: unknown; res: Response },
  next: () => Promise<void>,
) => Promise<Response | void> {
  return async (c: { env: unknown; res: Response }, next: () => Promise<void>): Promise<Response | void> => {
    if ((c.env as TlsBindings | undefined)?.tls?.earlyData) return tooEarlyResponse();
    await next();
  };
}

/**
 * Client certificates per route, for Hono apps served by `serve()`: most of a site stays open, and a
 * certificate is demanded only where it matters, asked for after the request for that path has arrived
 * (TLS 1.3 post-handshake authentication, RFC 8446 §4.6.2; allowed in HTTP/1.1, not in HTTP/2, RFC 8740).
 *
 *   app.use("/admin/*", clientCertificate());
 *   app.use("/api/*", clientCertificate({ when: (c) => c.req.method === "POST" }));
 */
import type { TlsBindings } from "./bindings.ts";
import { ClientCertificateError } from "../io/client_certificate.ts";

/** The part of Hono's Context the middleware uses; a Hono `Context` fits. */
export interface Context {
  /** The app's bindings; `env.tls` when served by `serve()`. */
  env: unknown;
  /** The request: its method, header fields and path. */
  req: { method: string; header(name: string): string | undefined; path: string };
}

/** Options of `clientCertificate()`. */
export interface ClientCertificateOptions {
  /** Only demand a certificate when this returns true (default: always, on the routes it is mounted on). */
  when?: (c: Context) => boolean;
}

/**
 * If the connection already has a verified client certificate, passes. Otherwise, if the client offered
 * post-handshake authentication, asks for one and waits for it before the handler runs. Otherwise (or when
 * the client has none, or it does not verify) answers 403 saying why. Never runs the handler without the
 * certificate it demanded.
 */
export function clientCertificate(
  options: ClientCertificateOptions = {},
): (c: Context, next: () => Promise<void>) => Promise<Response | void> {
  return async (c: Context, next: () => Promise<void>): Promise<Response | void> => {
    if (options.when && !options.when(c)) return await next();
    const tls = (c.env as TlsBindings | undefined)?.tls;
    if (!tls) return forbidden(c, "not_offered", "this request did not arrive over TLS");
    if (tls.clientCertificate) return await next();
    try {
      await tls.requestClientCertificate();
    } catch (err) {
      if (!(err instanceof ClientCertificateError)) throw err;
      return forbidden(c, err.failure, err.reason);
    }
    await next();
  };
}

const advice: Record<string, string> = {
  not_offered:
    "Your TLS client did not offer post-handshake authentication, so the server cannot ask it for a certificate now. " +
    "Firefox offers it once security.tls.enable_post_handshake_auth is set to true in about:config; other clients " +
    "that do: `openssl s_client -enable_pha -cert ... -key ...`, Python's ssl with post_handshake_auth = True. Use " +
    "one of them with a certificate issued by a CA this server trusts.",
  not_configured: "This server has no client certificate authority configured.",
  no_certificate: "Your client has no certificate to present. Configure one issued by a CA this server trusts.",
  bad_certificate: "The certificate your client presented could not be verified.",
  timeout: "Your client did not answer the certificate request in time.",
  connection_failed: "The connection failed while waiting for your certificate.",
};

function forbidden(c: Context, failure: string, reason: string): Response {
  const message = advice[failure] ?? "A client certificate is required.";
  const wantsHtml = (c.req.header("accept") ?? "").includes("text/html");
  if (wantsHtml) {
    const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    return new Response(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Client certificate required</title></head>` +
        `<body><h1>A client certificate is required</h1><p>${esc(message)}</p><p><small>${esc(failure)}: ${
          esc(reason)
        }</small></p></body></html>`,
      { status: 403, headers: { "content-type": "text/html; charset=utf-8" } },
    );
  }
  return new Response(JSON.stringify({ error: "client_certificate_required", failure, reason, message }), {
    status: 403,
    headers: { "content-type": "application/json" },
  });
}

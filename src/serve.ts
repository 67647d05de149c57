/**
 * `serve()`: an HTTPS server for a fetch handler (a Hono app's `app.fetch`) over our TLS 1.3 stack, shaped
 * like `Deno.serve` and `Bun.serve`, and the same on Deno, Bun and Node.
 *
 * Per connection: the TLS listener completes the handshake (or accepts 0-RTT), the HTTP/1.1 loop parses
 * requests, and each request reaches the handler with `env.tls` (what TLS negotiated) and the addresses.
 */
import { setMaxListeners } from "node:events";
import { currentRuntime, listen } from "./transport/mod.ts";
import type { Duplex, NetAddr } from "./net/duplex.ts";
import { listenTls, type ListenTlsOptions, type ServerTlsSocket, type TlsListener } from "./io/tls_listener.ts";
import { serveHttpConnection } from "./http/server_loop.ts";
import type { ServerOptions as HttpOptions } from "./http/limits.ts";
import type { TlsBindings } from "./hono/bindings.ts";
import { SAFE_METHODS, tooEarlyResponse } from "./hono/early_data.ts";
import { tlsEnv } from "./hono/tls_env.ts";
import { EarlyDataSocket } from "./io/early_data_socket.ts";

export type FetchHandler = (request: Request, env: TlsBindings) => Response | Promise<Response>;

export interface ServeOptions {
  /** The handler, e.g. a Hono app's `app.fetch`. */
  fetch: FetchHandler;
  /** Default 8443. 0 picks a free port. */
  port?: number;
  /** Default "0.0.0.0". */
  hostname?: string;
  /** Certificates, suites, tickets, key log: see TlsServerOptions. ALPN defaults to ["http/1.1"]. */
  tls: Omit<ListenTlsOptions, "port" | "hostname">;
  /** HTTP/1.1 limits and timeouts (head size, body size, slowloris and idle timeouts, ...). */
  http?: Omit<HttpOptions, "signal" | "scheme">;
  /** Adds Strict-Transport-Security (RFC 6797) to every response. `true` means one year. */
  hsts?: boolean | { maxAge?: number; includeSubDomains?: boolean; preload?: boolean };
  /** Also listen for plain HTTP on this port and redirect every request to HTTPS (308). */
  redirectHttpPort?: number;
  /** Milliseconds `requestClientCertificate()` waits for the client's answer (default 30 s). */
  clientCertificateTimeout?: number;
  /** 0-RTT: requests with unsafe methods that arrive as early data get 425 unless this is true (RFC 8470). */
  earlyData?: { allowUnsafeMethods?: boolean };
  /** Called once listening, with the address. Default: prints the URL. */
  onListen?: (addr: NetAddr) => void;
  /** Handler failures (answered with 500) and other errors. Default: console.error. */
  onError?: (error: unknown) => void;
  /** Aborting it starts a graceful shutdown. */
  signal?: AbortSignal;
  /** Milliseconds a graceful shutdown waits for requests in flight before closing them (default 10000). */
  shutdownTimeout?: number;
}

export interface Server {
  readonly addr: NetAddr;
  /** https://host:port/ */
  readonly url: string;
  /** Resolves once the server has shut down and every connection has closed. */
  readonly finished: Promise<void>;
  /** Stops accepting, lets requests in flight finish, closes idle connections; resolves when all are closed. */
  shutdown(): Promise<void>;
  /** Connections currently open. */
  readonly connections: number;
}

export async function serve(options: ServeOptions): Promise<Server> {
  const port = options.port ?? 8443;
  const hostname = options.hostname ?? "0.0.0.0";
  const onError = options.onError ?? ((e: unknown) => console.error(e));
  const listener = await listenTls({ alpn: ["http/1.1"], onReclaim: onError, ...options.tls, port, hostname });
  const stop = new AbortController();
  // Each idle connection listens for shutdown on this one signal; many connections are expected.
  setMaxListeners(0, stop.signal);
  options.signal?.addEventListener("abort", () => server.shutdown(), { once: true });
  const handler = requestHandler(options);
  // Node's Response builds a web stream at construction; there, Responses are built only when needed.
  const responses = options.http?.responses ?? (currentRuntime() === "node" ? "defer" : "record");
  // Idle keep-alive connections are the first the listener reclaims when its connection budget is full.
  const onIdle = (conn: Duplex, idle: boolean) => listener.markIdle((conn as EarlyDataSocket).socket, idle);
  const httpOptions: HttpOptions = {
    ...options.http,
    responses,
    scheme: "https",
    signal: stop.signal,
    onError,
    onIdle,
  };
  const open = new Set<Promise<unknown>>();
  const redirect = options.redirectHttpPort !== undefined
    ? await redirectToHttps(hostname, options.redirectHttpPort, listener.addr.port, stop.signal, open)
    : null;

  const accepting = (async () => {
    for await (const socket of listener) {
      const conn = new EarlyDataSocket(socket);
      const done = serveHttpConnection(conn, (req) => handler(req, socket, conn.requestIsEarly), httpOptions).catch(
        onError,
      );
      open.add(done);
      done.finally(() => open.delete(done));
    }
  })();

  let finishing: Promise<void> | null = null;
  const server: Server = {
    addr: listener.addr,
    url: `https://${hostLabel(listener.addr, hostname)}:${listener.addr.port}/`,
    get connections() {
      return listener.active.size;
    },
    get finished() {
      return accepting.then(() => finishing ?? new Promise<void>(() => {}));
    },
    shutdown() {
      finishing ??= (async () => {
        stop.abort();
        await listener.close();
        await redirect?.close();
        await accepting;
        // Handshakes still running when we stopped are not HTTP connections yet: drop them.
        for (const s of listener.active) if (!s.info) s.close();
        // A response that streams forever must not hold shutdown forever.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const deadline = new Promise<void>((r) => (timer = setTimeout(r, options.shutdownTimeout ?? 10_000)));
        await Promise.race([Promise.allSettled([...open]), deadline]);
        clearTimeout(timer);
        for (const s of listener.active) s.close();
        await Promise.allSettled([...open]);
      })();
      return finishing;
    },
  };
  (options.onListen ?? ((a: NetAddr) => console.log(`Listening on ${server.url} (${a.address})`)))(listener.addr);
  return server;
}

/** Builds `env`, applies RFC 8470 and HSTS, and calls the app. */
function requestHandler(options: ServeOptions) {
  const hsts = hstsValue(options.hsts);
  return async (request: Request, socket: ServerTlsSocket, early: boolean): Promise<Response> => {
    const tls = tlsEnv(socket, early, options.clientCertificateTimeout);
    const env: TlsBindings = { tls, remoteAddr: socket.remoteAddr, localAddr: socket.localAddr };
    if (early) {
      // RFC 8470 §5.1: tell the application this request arrived in early data.
      request.headers.set("early-data", "1");
      if (!SAFE_METHODS.has(request.method) && !options.earlyData?.allowUnsafeMethods) {
        return withHsts(tooEarlyResponse(), hsts);
      }
    }
    return withHsts(await options.fetch(request, env), hsts);
  };
}

function hstsValue(o: ServeOptions["hsts"]): string | null {
  if (!o) return null;
  const c = o === true ? {} : o;
  return `max-age=${c.maxAge ?? 31536000}${c.includeSubDomains ? "; includeSubDomains" : ""}${
    c.preload ? "; preload" : ""
  }`;
}

function withHsts(response: Response, value: string | null): Response {
  if (value === null) return response;
  try {
    response.headers.set("strict-transport-security", value);
    return response;
  } catch {
    // Immutable headers (a Response.redirect, a fetched Response): copy.
    const copy = new Response(response.body, response);
    copy.headers.set("strict-transport-security", value);
    return copy;
  }
}

/** The optional plain-HTTP listener: every request is redirected to the same path over HTTPS (RFC 9110 §15.4.9). */
async function redirectToHttps(
  hostname: string,
  port: number,
  httpsPort: number,
  signal: AbortSignal,
  open: Set<Promise<unknown>>,
) {
  const plain = await listen({ hostname, port });
  (async () => {
    for await (const conn of plain) {
      const done = serveHttpConnection(conn, (req) => {
        const url = new URL(req.url);
        url.protocol = "https:";
        url.port = httpsPort === 443 ? "" : String(httpsPort);
        return new Response(null, { status: 308, headers: { location: url.href } });
      }, { scheme: "http", signal });
      open.add(done);
      done.finally(() => open.delete(done));
    }
  })();
  return plain;
}

function hostLabel(addr: NetAddr, hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "localhost";
  return addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
}

export type { TlsListener };

/**
 * `serve()`: an HTTPS server for a fetch handler (a Hono app's `app.fetch`) over our TLS 1.3 stack, shaped
 * like `Deno.serve` and `Bun.serve`, and the same on Deno, Bun and Node.
 *
 * Per connection: the TLS listener completes the handshake (or accepts 0-RTT), the HTTP/1.1 loop parses
 * requests, and each request reaches the handler with `env.tls` (what TLS negotiated) and the addresses.
 */
import { setMaxListeners } from "node:events";
import { currentRuntime, listen } from "./transport/mod.ts";
import type { Listener } from "./transport/types.ts";
import type { Duplex, NetAddr } from "./net/duplex.ts";
import { listenTls, type ListenTlsOptions, type ServerTlsSocket, type TlsListener } from "./io/tls_listener.ts";
import { serveHttpConnection } from "./http/server_loop.ts";
import type { ServerOptions as HttpOptions } from "./http/limits.ts";
import type { TlsBindings } from "./hono/bindings.ts";
import { SAFE_METHODS, tooEarlyResponse } from "./hono/early_data.ts";
import { tlsEnv } from "./hono/tls_env.ts";
import { EarlyDataSocket } from "./io/early_data_socket.ts";

/** What `serve()` calls for every request: a Hono app's `app.fetch`, or any fetch-style handler. */
export type FetchHandler = (request: Request, env: TlsBindings) => Response | Promise<Response>;

/** Options of `serve()`: where to listen, TLS, HTTP limits, and what to do around requests. */
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
  http?: Omit<HttpOptions, "signal" | "scheme" | "onError" | "onIdle">;
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
  /**
   * Handler failures, as in `Deno.serve`: a Response returned here is sent instead of the default 500 (a
   * failure here too sends the default). Also told, return value ignored, about other errors and about
   * connections reclaimed under a flood (`ConnectionsReclaimed`). Default: console.error, then the 500.
   */
  onError?: (error: unknown) => Response | void | Promise<Response | void>;
  /** Aborting it starts a graceful shutdown. */
  signal?: AbortSignal;
  /** Milliseconds a graceful shutdown waits for requests in flight before closing them (default 10000). */
  shutdownTimeout?: number;
}

/**
 * What `serve()` returns at once, as `Deno.serve` and `Bun.serve` do. Unlike theirs, ours learns its
 * address only once it is listening: loading the certificates and binding are asynchronous on every
 * runtime here, so `addr` and `url` throw until `ready` has resolved.
 */
export interface Server {
  /** Resolves once listening; rejects if the server could not start (a bad certificate, a port in use). */
  readonly ready: Promise<void>;
  /** Resolves once the server has shut down and every connection has closed; rejects as `ready` does. */
  readonly finished: Promise<void>;
  /** Where it listens (after `ready`). */
  readonly addr: NetAddr;
  /** https://host:port/ (after `ready`). */
  readonly url: string;
  /** Stops accepting, lets requests in flight finish, closes idle connections; resolves when all are closed. */
  shutdown(): Promise<void>;
  /** Connections currently open (in their handshake or established). */
  readonly connections: number;
}

/** Starts serving `options.fetch` over HTTPS and returns the server at once (see `Server.ready`). */
export function serve(options: ServeOptions): Server {
  return new HttpsServer(options);
}

class HttpsServer implements Server {
  readonly ready: Promise<void>;
  readonly finished: Promise<void>;
  readonly #options: ServeOptions;
  readonly #stop = new AbortController();
  /** The HTTP loops of open connections, for shutdown. */
  readonly #open = new Set<Promise<unknown>>();
  #listener: TlsListener | null = null;
  #redirect: Listener | null = null;
  #accepting: Promise<void> = Promise.resolve();
  #shutdown: Promise<void> | null = null;
  #finish!: { resolve: () => void; reject: (e: unknown) => void };

  constructor(options: ServeOptions) {
    this.#options = options;
    // Each idle connection listens for shutdown on this one signal; many connections are expected.
    setMaxListeners(0, this.#stop.signal);
    this.finished = new Promise((resolve, reject) => this.#finish = { resolve, reject });
    // Observed through `ready` (whose rejection is the caller's to handle) or by awaiting it.
    this.finished.catch(() => {});
    this.ready = this.#start();
    this.ready.catch((e) => this.#finish.reject(e));
    if (options.signal?.aborted) this.shutdown();
    else options.signal?.addEventListener("abort", () => this.shutdown(), { once: true });
  }

  get addr(): NetAddr {
    if (!this.#listener) throw new Error("the server is not listening yet: await server.ready first");
    return this.#listener.addr;
  }

  get url(): string {
    const addr = this.addr;
    const hostname = this.#options.hostname ?? "0.0.0.0";
    const host = hostname === "0.0.0.0" || hostname === "::"
      ? "localhost"
      : addr.family === "IPv6"
      ? `[${addr.address}]`
      : addr.address;
    return `https://${host}:${addr.port}/`;
  }

  get connections(): number {
    return this.#listener?.active.size ?? 0;
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#shutDown();
    return this.#shutdown;
  }

  async #start(): Promise<void> {
    const options = this.#options;
    const port = options.port ?? 8443;
    const hostname = options.hostname ?? "0.0.0.0";
    const onError = options.onError ?? ((e: unknown) => void console.error(e));
    const tls = { alpn: ["http/1.1"], onReclaim: (r: unknown) => void onError(r), ...options.tls, port, hostname };
    const listener = await listenTls(tls);
    if (options.redirectHttpPort !== undefined) {
      try {
        this.#redirect = await redirectToHttps(
          hostname,
          options.redirectHttpPort,
          listener.addr.port,
          this.#stop.signal,
          this.#open,
        );
      } catch (error) {
        await listener.close();
        throw error;
      }
    }
    this.#listener = listener;
    this.#accepting = this.#accept(listener, this.#httpOptions(listener, onError));
    (options.onListen ?? ((a: NetAddr) => console.log(`Listening on ${this.url} (${a.address})`)))(listener.addr);
  }

  #httpOptions(listener: TlsListener, onError: NonNullable<ServeOptions["onError"]>): HttpOptions {
    const hsts = hstsValue(this.#options.hsts);
    return {
      ...this.#options.http,
      // Node's Response builds a web stream at construction; there, Responses are built only when needed.
      responses: this.#options.http?.responses ?? (currentRuntime() === "node" ? "defer" : "record"),
      scheme: "https",
      signal: this.#stop.signal,
      onError: async (error) => {
        const shaped = await onError(error);
        return shaped instanceof Response ? withHsts(shaped, hsts) : undefined;
      },
      // Idle keep-alive connections are the first the listener reclaims when its connection budget is full.
      onIdle: (conn: Duplex, idle: boolean) => listener.markIdle((conn as EarlyDataSocket).socket, idle),
    };
  }

  async #accept(listener: TlsListener, httpOptions: HttpOptions): Promise<void> {
    const handler = requestHandler(this.#options);
    for await (const socket of listener) {
      const conn = new EarlyDataSocket(socket);
      const done = serveHttpConnection(conn, (req) => handler(req, socket, conn.requestIsEarly), httpOptions);
      this.#open.add(done);
      done.finally(() => this.#open.delete(done));
    }
  }

  async #shutDown(): Promise<void> {
    await this.ready.catch(() => {});
    this.#stop.abort();
    const listener = this.#listener;
    if (listener) {
      await listener.close();
      await this.#redirect?.close();
      await this.#accepting;
      // Handshakes still running when we stopped are not HTTP connections yet: drop them.
      for (const s of listener.active) if (!s.info) s.close();
      // A response that streams forever must not hold shutdown forever.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((r) => (timer = setTimeout(r, this.#options.shutdownTimeout ?? 10_000)));
      await Promise.race([Promise.allSettled([...this.#open]), deadline]);
      clearTimeout(timer);
      for (const s of listener.active) s.close();
      await Promise.allSettled([...this.#open]);
    }
    this.#finish.resolve();
  }
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
): Promise<Listener> {
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

export type { TlsListener };

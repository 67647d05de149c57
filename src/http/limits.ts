/**
 * Limits and timeouts of the HTTP/1.1 codec and server loop: the defaults, and the options type that
 * overrides them. Every limit answers a named status (see errors.ts), so a peer learns which one it hit.
 */
import type { Duplex } from "../net/duplex.ts";

/** Sizes the parsers enforce. RFC 9112 §2.3 and §3: a server has to bound what it buffers. */
export interface HttpLimits {
  /** Request (or status) line, fields and the empty line, in bytes. Beyond it: 431. */
  maxHeadSize: number;
  /** Longest request-target, in bytes (RFC 9112 §3: at least 8000 ought to be supported). Beyond it: 414. */
  maxTargetLength: number;
  /** Most field lines in a head or a trailer section. Beyond it: 431. */
  maxFieldCount: number;
  /** Largest message body, decoded. Beyond it: 413 (before reading it, when Content-Length says so). */
  maxBodySize: number;
  /** Longest chunk-size line, extensions included (RFC 9112 §7.1.1 lets us bound them). Beyond it: 400. */
  maxChunkLineLength: number;
  /** Trailer section, in bytes. Beyond it: 431. */
  maxTrailerSize: number;
}

export const defaultLimits: Readonly<HttpLimits> = {
  maxHeadSize: 16 * 1024,
  maxTargetLength: 8 * 1024,
  maxFieldCount: 100,
  maxBodySize: 8 * 1024 * 1024,
  maxChunkLineLength: 1024,
  maxTrailerSize: 8 * 1024,
};

/** A client trusts the server it chose to talk to with large bodies; heads are still bounded. */
export const defaultClientLimits: Readonly<HttpLimits> = {
  ...defaultLimits,
  maxHeadSize: 64 * 1024,
  maxBodySize: Number.POSITIVE_INFINITY,
};

/** Timeouts of the server loop, in milliseconds. */
export interface ServerTimeouts {
  /**
   * The whole head must arrive this long after the connection opened (first request) or after its first
   * byte (later ones): slowloris. Then 408.
   */
  headersTimeout: number;
  /** A kept-alive connection with no byte of a next request is closed after this long, silently. */
  idleTimeout: number;
  /** Longest wait for the next bytes of a request body while someone reads it. Then 408. */
  bodyTimeout: number;
  /** After our half-close, how long we read and discard before closing (RFC 9112 §9.6). */
  lingerTimeout: number;
}

export const defaultTimeouts: Readonly<ServerTimeouts> = {
  headersTimeout: 10_000,
  idleTimeout: 5_000,
  bodyTimeout: 30_000,
  lingerTimeout: 2_000,
};

/** Options of `serveHttpConnection`. Every field is optional; see the defaults above. */
export interface ServerOptions extends Partial<HttpLimits>, Partial<ServerTimeouts> {
  /** Scheme of the URL given to handlers for origin-form targets. Default "https". */
  scheme?: "https" | "http";
  /**
   * Graceful shutdown: once aborted, the loop finishes the request in flight (answering it with
   * `Connection: close`) and closes; an idle connection closes at once.
   */
  signal?: AbortSignal;
  /**
   * How much unread request body the loop reads and discards after the response so that the connection
   * can be reused. A larger remainder closes the connection instead. Default 256 KiB.
   */
  maxDrainSize?: number;
  /**
   * Told about handler failures; a Response it returns is sent instead of the default 500 (as with
   * `Deno.serve`'s onError). Default: `console.error`, then the 500.
   */
  onError?: (error: unknown) => Response | void | Promise<Response | void>;
  /**
   * Told when a connection starts waiting for a next request with nothing of it received (true), and when
   * that request starts to arrive (false): a server under pressure closes the longest-idle ones first.
   */
  onIdle?: (conn: Duplex, idle: boolean) => void;
  /**
   * How the global `Response` learns which bodies are whole in memory (see known_body.ts): "record" (a
   * subclass of the runtime's own, the default) or "defer" (built only when needed: for runtimes whose
   * Response is costly to construct). Process-wide; the first server loop's choice wins.
   */
  responses?: "record" | "defer";
}

export interface ResolvedServerOptions extends HttpLimits, ServerTimeouts {
  onIdle: ((conn: Duplex, idle: boolean) => void) | undefined;
  scheme: "https" | "http";
  responses: "record" | "defer";
  signal: AbortSignal | undefined;
  maxDrainSize: number;
  onError: (error: unknown) => Response | void | Promise<Response | void>;
}

export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  return {
    ...resolveLimits(options),
    headersTimeout: options.headersTimeout ?? defaultTimeouts.headersTimeout,
    idleTimeout: options.idleTimeout ?? defaultTimeouts.idleTimeout,
    bodyTimeout: options.bodyTimeout ?? defaultTimeouts.bodyTimeout,
    lingerTimeout: options.lingerTimeout ?? defaultTimeouts.lingerTimeout,
    scheme: options.scheme ?? "https",
    responses: options.responses ?? "record",
    onIdle: options.onIdle,
    signal: options.signal,
    maxDrainSize: options.maxDrainSize ?? 256 * 1024,
    onError: options.onError ?? ((error) => console.error("http handler failed:", error)),
  };
}

/** Fills unset limits from `base`. */
export function resolveLimits(
  limits: Partial<HttpLimits> = {},
  base: Readonly<HttpLimits> = defaultLimits,
): HttpLimits {
  return {
    maxHeadSize: limits.maxHeadSize ?? base.maxHeadSize,
    maxTargetLength: limits.maxTargetLength ?? base.maxTargetLength,
    maxFieldCount: limits.maxFieldCount ?? base.maxFieldCount,
    maxBodySize: limits.maxBodySize ?? base.maxBodySize,
    maxChunkLineLength: limits.maxChunkLineLength ?? base.maxChunkLineLength,
    maxTrailerSize: limits.maxTrailerSize ?? base.maxTrailerSize,
  };
}

/**
 * The client's session cache: tickets kept per server (a key naming the server name, port, ALPN offer, trust
 * and client identity, see `sessionCacheKey`), bounded, in memory.
 *
 * RFC 8446 §8 and Appendix C.4 advice, as rustls and BoringSSL follow it:
 * - single-use by default: a ticket taken for a connection leaves the cache, so that two connections are never
 *   linkable by their ticket ("Clients SHOULD NOT reuse a ticket for multiple connections");
 * - with `reuse: true` a ticket may resume several connections, but carries 0-RTT data at most once, since
 *   every 0-RTT flight sent under the same ticket is a replay opportunity;
 * - expired tickets (lifetime, at most 7 days, or the server chain's notAfter) are dropped, never offered.
 */
import { type ClientSession, sessionUsable } from "./session.ts";

/** Options of a `ClientSessionCache`. */
export interface SessionCacheOptions {
  /** Servers (cache keys) remembered; the least recently used is dropped first. Default 256. */
  maxServers?: number;
  /** Tickets kept per server, newest first. Default 4 (servers commonly send 2 per connection). */
  ticketsPerServer?: number;
  /** Let one ticket resume several connections (never more than one 0-RTT flight). Default false. */
  reuse?: boolean;
}

/** Options of `ClientSessionCache.take()`. */
export interface TakeOptions {
  /** The caller means to send 0-RTT data with the ticket; in reuse mode it then loses its early data allowance. */
  earlyData?: boolean;
}

/** Tickets a client keeps for resumption and 0-RTT, per server, bounded, in memory. */
export class ClientSessionCache {
  private readonly servers = new Map<string, ClientSession[]>();
  private readonly maxServers: number;
  private readonly perServer: number;
  private readonly reuse: boolean;

  /** An empty cache with the given bounds. */
  constructor(options: SessionCacheOptions = {}) {
    this.maxServers = options.maxServers ?? 256;
    this.perServer = options.ticketsPerServer ?? 4;
    this.reuse = options.reuse ?? false;
    if (!(this.maxServers >= 1 && this.perServer >= 1)) {
      throw new RangeError("a session cache holds at least one ticket");
    }
  }

  /** Keeps `session` for `key`, newest first; the oldest ticket of the key, then the oldest key, make room. */
  store(key: string, session: ClientSession): void {
    const list = this.servers.get(key) ?? [];
    list.unshift(session);
    if (list.length > this.perServer) list.length = this.perServer;
    this.touch(key, list);
    while (this.servers.size > this.maxServers) this.servers.delete(this.servers.keys().next().value!);
  }

  /**
   * The newest usable ticket for `key`, or null. Expired tickets are dropped on the way. Single-use mode removes
   * the ticket; reuse mode keeps it, without its early data allowance when it is taken for 0-RTT.
   */
  take(key: string, now: number, options: TakeOptions = {}): ClientSession | null {
    const list = this.servers.get(key);
    if (!list) return null;
    const live = list.filter((s) => sessionUsable(s, now));
    const session = live.shift() ?? null;
    if (session && this.reuse) live.unshift(options.earlyData ? { ...session, maxEarlyData: 0 } : session);
    if (live.length === 0) this.servers.delete(key);
    else this.touch(key, live);
    return session;
  }

  /** Forgets the tickets of `key` (e.g. after the server refused one), or all of them. */
  clear(key?: string): void {
    if (key === undefined) this.servers.clear();
    else this.servers.delete(key);
  }

  /** Tickets held, across all keys (expired ones included until they are next looked at). */
  get size(): number {
    let n = 0;
    for (const list of this.servers.values()) n += list.length;
    return n;
  }

  /** Marks `key` as the most recently used. */
  private touch(key: string, list: ClientSession[]): void {
    this.servers.delete(key);
    this.servers.set(key, list);
  }
}

/** The cache `connectTls` uses unless told otherwise: one per process. */
export const defaultSessionCache: ClientSessionCache = new ClientSessionCache();

export interface SessionKeyParts {
  /** The name we connect to (SNI, or the IP literal). */
  serverName: string;
  port: number;
  alpn: readonly string[];
  /**
   * Who vouched for the server: a session verified under one set of trust anchors must not resume a connection
   * made with another (nor one made with verification off).
   */
  trust: string;
  /** Our own certificate (its fingerprint), or "" without one: the server remembers who we were. */
  identity: string;
}

export function sessionCacheKey(p: SessionKeyParts): string {
  return JSON.stringify([p.serverName.toLowerCase(), p.port, p.alpn, p.trust, p.identity]);
}

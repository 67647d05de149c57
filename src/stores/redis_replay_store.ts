/**
 * A ReplayStore on Redis, shared by every node of a fleet: a replayed 0-RTT flight sent to any node finds
 * the claim that the first node made. The client is node-redis (`redis` on npm), which runs unchanged on
 * Deno, Bun and Node.
 *
 * Contract:
 * - `claim` is one `SET <prefix><key> 1 NX PX <ttl>`: atomic in Redis, so two nodes claiming the same key at
 *   the same moment get one "OK" and one nil. Expiry runs on Redis's clock; node clocks do not matter.
 * - Every claim has a deadline (`timeoutMs`, 250 ms by default). A Redis that is down, unreachable or hung
 *   makes `claim` reject with `ReplayStoreUnavailableError` within it: the server then refuses early data
 *   (fails closed) and the handshake goes on in 1-RTT. The deadline is the store's own timer, because
 *   node-redis's command timeout only covers commands not yet written to the socket, so a Redis that stops
 *   answering (paused, partitioned) would otherwise hold a handshake forever.
 * - Connection errors never throw out of the client: the store listens for its 'error' events. A client
 *   the store made reconnects in the background with capped backoff; claims made while it is away queue
 *   for at most the deadline, and at most `maxPending` of them (beyond that they reject at once).
 *
 * What Redis must be configured for, or replays can get through:
 * - `maxmemory-policy noeviction` (the default). An eviction policy may drop a claim inside its window;
 *   with noeviction a full Redis refuses the SET, and the store fails closed.
 * - Replication is asynchronous: a claim acknowledged by a primary that fails over before replicating it
 *   is forgotten by the new primary. Within one window that lets a replay through once.
 */
import type { ReplayStore } from "../tls/tickets/replay_store.ts";

/** What the store uses of a node-redis client; any `createClient()` result fits. */
export interface RedisCommandClient {
  /** Sends one command, e.g. ["SET", key, "1", "NX", "PX", "10000"]. */
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>;
  /** Adds a listener for background errors. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Removes it. */
  off(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * What the store uses of a client it made itself. node-redis is loaded (dynamically) only then, so that
 * servers without Redis never load it.
 */
interface OwnedClient extends RedisCommandClient {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
}

/** Options of a `RedisReplayStore`. */
export interface RedisReplayStoreOptions {
  /** Prepended to every key. Default `tls13:replay:`. */
  prefix?: string;
  /** Deadline of one claim, in milliseconds. Default 250. */
  timeoutMs?: number;
  /** Claims waiting for Redis at most, for a client the store makes (node-redis `commandsQueueMaxLength`). */
  maxPending?: number;
  /** Told of background connection errors (lost connection, failed reconnect). Claims report their own. */
  onError?: (error: Error) => void;
}

/** Redis did not answer a claim in time, or answered with an error: the claim's outcome is unknown. */
export class ReplayStoreUnavailableError extends Error {
  /** The error's name. */
  override readonly name = "ReplayStoreUnavailableError";
}

const defaults = { prefix: "tls13:replay:", timeoutMs: 250, maxPending: 10_000 };

/** Reconnect delay after `retries` failed attempts: 50 ms doubling to 1 s, with jitter so a fleet spreads out. */
function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 5), 1000) + Math.floor(Math.random() * 50);
}

/** A 0-RTT replay store on Redis, shared by a fleet: one atomic `SET NX PX` per claim, failing closed when Redis does not answer in time. */
export class RedisReplayStore implements ReplayStore {
  /** Prepended to every key. */
  readonly prefix: string;
  /** Deadline of one claim, in milliseconds. */
  readonly timeoutMs: number;
  /** The last background error the client reported, for diagnostics. */
  lastError: Error | undefined;
  /** The client, once node-redis is loaded (at once for a given client). */
  private readonly client: Promise<RedisCommandClient>;
  private readonly given: RedisCommandClient | undefined;
  /** Set when the store made the client: then it connects it and closes it. */
  private owned: OwnedClient | undefined;
  private readonly connected: Promise<void>;
  private readonly onError: ((error: Error) => void) | undefined;
  private closed = false;

  /**
   * `target` is a URL (`redis://host:port`, `rediss://` for TLS; the store makes, connects and owns the
   * client) or an existing node-redis client (the caller connects and closes it; the store only adds an
   * 'error' listener, so that a client without one cannot crash the process, and removes it on close).
   */
  constructor(target: string | RedisCommandClient, options: RedisReplayStoreOptions = {}) {
    this.prefix = options.prefix ?? defaults.prefix;
    this.timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${this.timeoutMs}`);
    this.onError = options.onError;
    if (typeof target === "string") {
      const made = import("redis").then(({ createClient }) => {
        const client = createClient({
          url: target,
          commandsQueueMaxLength: options.maxPending ?? defaults.maxPending,
          socket: { connectTimeout: Math.max(1000, this.timeoutMs), reconnectStrategy: reconnectDelay },
        });
        client.on("error", this.handleError);
        this.owned = client as unknown as OwnedClient;
        return this.owned;
      });
      this.client = made;
      // node-redis keeps retrying a first connection that fails, so this resolves once Redis is reached, or
      // rejects when the store is closed first.
      this.connected = made.then((c) => c.connect()).then(() => undefined);
    } else {
      this.given = target;
      target.on("error", this.handleError);
      this.client = Promise.resolve(target);
      this.connected = Promise.resolve();
    }
    this.client.catch(() => {});
    this.connected.catch(() => {});
  }

  /** Resolves once a client the store made has connected for the first time (at once for a given client). */
  ready(): Promise<void> {
    return this.connected;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
    if (this.closed) throw new ReplayStoreUnavailableError("redis replay store is closed");
    const args = ["SET", this.prefix + key, "1", "NX", "PX", String(Math.ceil(ttlMs))];
    let reply: unknown;
    try {
      // The client's own timeout drops a claim still queued for a connection, so it is not sent late.
      reply = await this.deadline(this.client.then((c) => c.sendCommand(args, { timeout: this.timeoutMs })));
    } catch (e) {
      if (e instanceof ReplayStoreUnavailableError) throw e;
      const cause = e as Error;
      throw new ReplayStoreUnavailableError(`redis replay store: ${cause?.message || cause?.name || cause}`, { cause });
    }
    if (reply === null) return false;
    if (String(reply) === "OK") return true;
    throw new ReplayStoreUnavailableError(`redis replay store: unexpected reply to SET NX: ${String(reply)}`);
  }

  /**
   * Stops the store. A client it made is closed (gracefully within the deadline, then forcibly, so a hung
   * Redis cannot hold shutdown); a given client is left open. Claims made after this reject.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.given) await this.deadline(this.client).catch(() => {});
    const client = this.owned;
    if (client?.isOpen) {
      try {
        await this.deadline(client.close());
      } catch {
        client.destroy();
      }
    } else if (client) {
      client.destroy(); // reconnecting: stops the retries
    }
    // A client the store made keeps the listener: it may still report the end of its socket.
    this.given?.off("error", this.handleError);
  }

  private readonly handleError = (error: Error): void => {
    this.lastError = error;
    this.onError?.(error);
  };

  /** `work`, or a ReplayStoreUnavailableError after `timeoutMs`. `work` may still settle later, unobserved. */
  private deadline<T>(work: Promise<T>): Promise<T> {
    work.catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ReplayStoreUnavailableError(`redis replay store: no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

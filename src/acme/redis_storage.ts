/**
 * CertificateStorage on Redis, for a fleet: every node reads the same certificates, account and challenges,
 * and the lock is `SET <lock> <token> NX PX <ttl>`, released only by its holder (compare-and-delete in one Lua
 * script) and renewed while held, so a node that dies frees it after `ttl`. node-redis (`redis` on npm) is
 * loaded only when a RedisStorage is made.
 */
import { type CertificateStorage, checkKey } from "./storage.ts";

interface Client {
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  on(event: "error", listener: (e: Error) => void): unknown;
  sendCommand(args: string[]): Promise<unknown>;
}

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW =
  `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const LOCK_POLL = 250;

/**
 * CertificateStorage in Redis, so a fleet shares certificates, the account and challenges, and one node orders
 * while the others wait on its lock.
 */
export class RedisStorage implements CertificateStorage {
  readonly #client: Promise<Client>;
  readonly #prefix: string;

  /**
   * Starts connecting to `url` (redis://...) at once and commands wait for it; keys get `prefix` (default
   * "tls13:certs:"), and connection errors go to `onError`.
   */
  constructor(url: string, options: { prefix?: string; onError?: (e: Error) => void } = {}) {
    this.#prefix = options.prefix ?? "tls13:certs:";
    this.#client = (async () => {
      const { createClient } = await import("redis");
      const client = createClient({ url }) as unknown as Client;
      client.on("error", options.onError ?? (() => {}));
      await client.connect();
      return client;
    })();
    this.#client.catch(() => {});
  }

  async #send(args: string[]): Promise<unknown> {
    return await (await this.#client).sendCommand(args);
  }

  /** The value under `key`, or null when there is none. */
  async load(key: string): Promise<string | null> {
    const value = await this.#send(["GET", this.#prefix + checkKey(key)]);
    return typeof value === "string" ? value : null;
  }

  /** Sets `key` to `value`, replacing what was there. */
  async store(key: string, value: string): Promise<void> {
    await this.#send(["SET", this.#prefix + checkKey(key), value]);
  }

  /** Removes `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await this.#send(["DEL", this.#prefix + checkKey(key)]);
  }

  async lock(name: string, ttl: number): Promise<() => Promise<void>> {
    const key = `${this.#prefix}locks/${checkKey(name)}`;
    const token = crypto.randomUUID();
    while ((await this.#send(["SET", key, token, "NX", "PX", String(ttl)])) !== "OK") {
      await new Promise((r) => setTimeout(r, LOCK_POLL));
    }
    const renew = setInterval(() => {
      this.#send(["EVAL", RENEW, "1", key, token, String(ttl)]).catch(() => {});
    }, ttl / 3);
    return async () => {
      clearInterval(renew);
      await this.#send(["EVAL", RELEASE, "1", key, token]);
    };
  }

  /** Closes the Redis connection. */
  async close(): Promise<void> {
    await (await this.#client).close();
  }
}

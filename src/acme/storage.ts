/**
 * Where managed certificates, their keys, the ACME account and pending challenges are kept, and the lock that
 * lets one node of a fleet order a certificate while the others wait and then load it (certmagic's Storage).
 * Keys are slash-separated paths such as `certificates/example.com/cert.pem`; values are text (PEM, JSON).
 *
 * DirectoryStorage is the default; RedisStorage (redis_storage.ts) serves a fleet.
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/** Text values under slash-separated keys, and a lock per name: where the ACME manager keeps its state. */
export interface CertificateStorage {
  /** The value under `key`, or null when there is none. */
  load(key: string): Promise<string | null>;
  /** Sets `key` to `value`, replacing what was there; readers never see half a value. */
  store(key: string, value: string): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Waits until this process holds the lock called `name` and returns the function that releases it. A holder
   * that dies loses the lock after `ttl` milliseconds; a live holder keeps it by renewing it.
   */
  lock(name: string, ttl: number): Promise<() => Promise<void>>;
  /** Releases connections the storage holds, if any. */
  close?(): Promise<void>;
}

/** A key is a relative path of safe segments: never `..`, never absolute. */
export function checkKey(key: string): string {
  if (!/^[a-z0-9_.*-]+(\/[a-z0-9_.*-]+)*$/i.test(key) || key.split("/").some((s) => s === "." || s === "..")) {
    throw new TypeError(`bad storage key ${JSON.stringify(key)}`);
  }
  return key;
}

/** How often a waiting node looks at the lock again. */
const LOCK_POLL = 250;

/** CertificateStorage in a directory: one file per key, written to a temporary file and renamed into place. */
export class DirectoryStorage implements CertificateStorage {
  /** The directory, as an absolute path. */
  readonly dir: string;

  /** Keeps everything under `dir` (created on first write). */
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The value under `key`, or null when there is none. */
  async load(key: string): Promise<string | null> {
    try {
      return await readFile(this.#path(key), "utf8");
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return null;
      throw e;
    }
  }

  /** Written whole, then renamed into place: a reader never sees half a key. Keys are private to the owner. */
  async store(key: string, value: string): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    await writeFile(tmp, value, { mode: 0o600 });
    await rename(tmp, path);
  }

  /** Removes `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  /** An exclusive-create lock file holding its expiry; a stale one (holder gone) is taken over. */
  async lock(name: string, ttl: number): Promise<() => Promise<void>> {
    const path = this.#path(`locks/${name}.lock`);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const token = crypto.randomUUID();
    for (;;) {
      try {
        const file = await open(path, "wx", 0o600);
        await file.writeFile(JSON.stringify({ token, expires: Date.now() + ttl }));
        await file.close();
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== "EEXIST") throw e;
        if (await this.#stale(path)) await rm(path, { force: true });
        else await new Promise((r) => setTimeout(r, LOCK_POLL));
      }
    }
    const renew = setInterval(() => {
      writeFile(path, JSON.stringify({ token, expires: Date.now() + ttl })).catch(() => {});
    }, ttl / 3);
    return async () => {
      clearInterval(renew);
      const held = await readFile(path, "utf8").catch(() => "");
      if (held.includes(token)) await rm(path, { force: true });
    };
  }

  async #stale(path: string): Promise<boolean> {
    try {
      const { expires } = JSON.parse(await readFile(path, "utf8"));
      return typeof expires !== "number" || expires < Date.now();
    } catch {
      // Unreadable or half-written: stale only if it has been so for a while.
      const info = await stat(path).catch(() => null);
      return info !== null && Date.now() - info.mtimeMs > 10_000;
    }
  }

  #path(key: string): string {
    return join(this.dir, checkKey(key));
  }
}

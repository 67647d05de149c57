/**
 * The default ReplayStore: one process's memory. Right for a single server; a fleet needs a shared store
 * (redis_replay_store.ts), or a replay sent to another node is not caught.
 *
 * Contract:
 * - `claim` is atomic because JavaScript runs it to completion on one thread: no await between the check
 *   and the write.
 * - Memory is bounded by `maxEntries`. Expired entries are swept lazily, in expiry order: a bounded batch on
 *   every claim, and as many as it takes to make room when the store is full. No timer runs, so an idle
 *   store never keeps the process alive.
 * - Full of unexpired entries, `claim` rejects with `ReplayStoreFullError` (fail closed).
 * - Time comes from the injected `now` (milliseconds), a monotonic clock by default: a wall clock stepped
 *   forward would expire every entry at once and open the window to replays.
 */
import type { ReplayStore } from "./replay_store.ts";

/** Options of a `MemoryReplayStore`. */
export interface MemoryReplayStoreOptions {
  /** Upper bound on remembered keys. Default 1,000,000 (on the order of 100-200 MB with 64-character keys). */
  maxEntries?: number;
  /** Milliseconds from any fixed origin. Default `performance.now()`. */
  now?: () => number;
}

/** The store holds `maxEntries` keys that have not expired yet; nothing can be claimed until some expire. */
export class ReplayStoreFullError extends Error {
  override readonly name = "ReplayStoreFullError";
  constructor(readonly maxEntries: number) {
    super(`replay store full: ${maxEntries} unexpired entries`);
  }
}

/** Expired entries removed on each claim, at most, while the store is below its cap (amortized O(1)). */
const SWEEP_PER_CLAIM = 64;

/** The default 0-RTT replay store: this process's memory, bounded, expiring entries as their window passes. */
export class MemoryReplayStore implements ReplayStore {
  /** The cap on remembered keys. */
  readonly maxEntries: number;
  private readonly now: () => number;
  /** key → expiry time. An entry whose expiry is <= now is dead even before the sweep removes it. */
  private readonly expiries = new Map<string, number>();
  /**
   * Min-heap on expiry of (expiry, key), kept as two parallel arrays. Every live map entry has its pair
   * here; a pair whose key has since been claimed again with a later expiry is stale and is dropped when
   * popped.
   */
  private readonly heapAt: number[] = [];
  private readonly heapKey: string[] = [];

  /** An empty store. */
  constructor(options: MemoryReplayStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 1_000_000;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be >= 1`);
    this.maxEntries = maxEntries;
    this.now = options.now ?? (() => performance.now());
  }

  /** Keys remembered, counting expired ones not swept yet. */
  get size(): number {
    return this.expiries.size;
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    try {
      return Promise.resolve(this.claimSync(key, ttlMs));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Removes every expired entry now. Claims do this by themselves; call it to give memory back sooner. */
  sweep(): void {
    this.sweepExpired(this.now(), Infinity);
  }

  close(): Promise<void> {
    this.expiries.clear();
    this.heapAt.length = 0;
    this.heapKey.length = 0;
    return Promise.resolve();
  }

  /** The claim itself: true if `key` was not held (and now is, for `ttlMs`). */
  private claimSync(key: string, ttlMs: number): boolean {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
    const now = this.now();
    this.sweepExpired(now, SWEEP_PER_CLAIM);
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    if (expiry === undefined && this.expiries.size >= this.maxEntries) {
      // Frees one place, not every expired entry: after an idle spell that could be most of the store,
      // and sweeping it all here would stall this claim. The budgeted sweeps of later claims do the rest.
      this.sweepExpired(now, Infinity, this.maxEntries - 1);
      // Full of entries that are all still inside their window. Dropping one would let a replay of that
      // ClientHello or ticket through (RFC 8446 §8: the register must cover the whole window). Refusing
      // only costs this client a round trip: the server rejects its early data and it resends in 1-RTT.
      // So a flood can at worst switch 0-RTT off until entries expire, never let a replay in.
      if (this.expiries.size >= this.maxEntries) throw new ReplayStoreFullError(this.maxEntries);
    }
    const at = now + ttlMs;
    this.expiries.set(key, at);
    this.push(at, key);
    return true;
  }

  /**
   * Pops up to `budget` heap pairs that have expired, deleting their keys unless claimed again since, and
   * stops early once no more than `targetSize` keys remain.
   */
  private sweepExpired(now: number, budget: number, targetSize = -1): void {
    while (budget-- > 0 && this.heapAt.length > 0 && this.heapAt[0] <= now && this.expiries.size > targetSize) {
      const [at, key] = this.pop();
      if (this.expiries.get(key) === at) this.expiries.delete(key);
    }
  }

  /** Adds (at, key) to the min-heap. */
  private push(at: number, key: string): void {
    const { heapAt, heapKey } = this;
    let i = heapAt.length;
    heapAt.push(at);
    heapKey.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapAt[parent] <= at) break;
      heapAt[i] = heapAt[parent];
      heapKey[i] = heapKey[parent];
      i = parent;
    }
    heapAt[i] = at;
    heapKey[i] = key;
  }

  /** Removes and returns the earliest (at, key). */
  private pop(): [number, string] {
    const { heapAt, heapKey } = this;
    const top: [number, string] = [heapAt[0], heapKey[0]];
    const lastAt = heapAt.pop()!;
    const lastKey = heapKey.pop()!;
    const n = heapAt.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heapAt[child + 1] < heapAt[child]) child++;
      if (heapAt[child] >= lastAt) break;
      heapAt[i] = heapAt[child];
      heapKey[i] = heapKey[child];
      i = child;
    }
    heapAt[i] = lastAt;
    heapKey[i] = lastKey;
    return top;
  }
}

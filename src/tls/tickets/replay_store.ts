/**
 * The state behind 0-RTT anti-replay (RFC 8446 §8): a strike register of ClientHellos seen inside the
 * freshness window (§8.2), and single-use tickets (§8.1). Both reduce to one atomic operation, so a store
 * only has to implement `claim`; any node of a fleet that shares the store catches a replay sent to any
 * other node.
 */
export interface ReplayStore {
  /**
   * Atomically records `key` for `ttlMs` milliseconds. Resolves true when the key was not present (this is
   * its first use), false when it was already claimed. Rejects when the store cannot answer; the server then
   * refuses early data (fails closed) rather than accepting it blindly.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Releases connections and timers. */
  close?(): Promise<void>;
}

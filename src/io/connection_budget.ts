/**
 * How many connections a TLS listener keeps, and which it lets go when it must (issue 16): two budgets, one
 * for connections still in their handshake and one for established connections, and under pressure the
 * newcomer is never the one refused while an older connection can be reclaimed, as nginx does with its
 * reusable (idle keep-alive) connections under `worker_connections` pressure:
 * - a full handshake budget drops the handshake that has sent nothing for the longest (a silent TCP
 *   connection), else the oldest one still going;
 * - a full connection budget closes the connection that has been idle (between requests) the longest,
 *   with close_notify; only when every established connection is busy is the newcomer closed instead.
 * What was reclaimed is reported as counts per interval, never a line per connection.
 *
 * The default budgets come from the machine: memory (a quarter of the total, at most half of what is free)
 * divided by what an established connection costs, and the process's open-file limit.
 */
import { freemem, totalmem } from "node:os";
import { readFileSync } from "node:fs";

/** How many connections a listener keeps, in its handshake and established. */
export interface BudgetLimits {
  /** Connections in their handshake at once. */
  maxHandshakes: number;
  /** Established connections at once. */
  maxConnections: number;
}

/** What was reclaimed during one reporting interval. */
export class ConnectionsReclaimed extends Error {
  /** A report of what one interval reclaimed, with the limits that made it necessary. */
  constructor(
    /** Handshakes dropped to admit newer connections. */
    readonly handshakes: number,
    /** Idle established connections closed to admit newly established ones. */
    readonly idle: number,
    /** Newly established connections closed because every established one was busy. */
    readonly refused: number,
    /** Milliseconds the counts cover. */
    readonly intervalMs: number,
    readonly limits: BudgetLimits,
  ) {
    super(
      `connection budget full: in the last ${Math.round(intervalMs / 1000)} s, dropped ${handshakes} stalled ` +
        `handshakes (budget ${limits.maxHandshakes}), closed ${idle} idle connections and refused ${refused} new ` +
        `ones (budget ${limits.maxConnections})`,
    );
    this.name = "ConnectionsReclaimed";
  }
}

/**
 * RSS of one established, idle TLS connection, rounded up from measurements (bench/run.ts's idle row: 1,000 idle
 * connections, marginal cost, after a memory-reducing collection): 15-19 KiB on Deno, 12-24 on Bun and Node. The
 * margin is for V8's young generation, which a burst of handshakes grows by 30-60 MiB until the process idles.
 */
const bytesPerConnection = 96 * 1024;
/** File descriptors kept for everything else the process opens (files, outgoing connections, stores). */
const reservedFds = 256;

/** The default budgets for this machine. */
export function defaultLimits(): BudgetLimits {
  const memory = Math.min(totalmem() / 4, freemem() / 2);
  let connections = Math.floor(memory / bytesPerConnection);
  const fds = openFileLimit();
  const handshakes = clamp(Math.floor(Math.min(connections, fds) / 4), 128, 4096);
  connections = Math.min(connections, fds - reservedFds - handshakes);
  return { maxHandshakes: handshakes, maxConnections: clamp(connections, 256, 1_000_000) };
}

function clamp(n: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, n));
}

/** The soft limit on open files (Linux: /proc/self/limits); Infinity where it cannot be read. */
function openFileLimit(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : Infinity;
  } catch {
    return Infinity;
  }
}

/** What the budget needs of a connection. */
export interface Reclaimable {
  /** Bytes received so far (a handshake that received none is a silent connection). */
  readonly bytesReceived: number;
  /** Closes it: close_notify when established, then the socket. */
  close(): void;
}

/** How far the handshake budget looks for a silent connection before taking the oldest. */
const silentScan = 64;

/**
 * Admits connections within the limits, reclaiming a silent handshake or the longest-idle connection to make room
 * rather than refusing the newcomer (DESIGN.md, socket glue).
 */
export class ConnectionBudget<S extends Reclaimable> {
  /** The limits in force (the defaults filled in). */
  readonly limits: BudgetLimits;
  /** Every connection, handshaking or established. */
  readonly all: Set<S> = new Set<S>();
  /** In accept order: the oldest first. */
  readonly #handshaking = new Set<S>();
  readonly #established = new Set<S>();
  /** Established connections waiting for a request, the longest idle first. */
  readonly #idle = new Set<S>();
  readonly #reclaimed = new WeakSet<S>();
  readonly #report: ((r: ConnectionsReclaimed) => void) | undefined;
  readonly #interval: number;
  #counts = { handshakes: 0, idle: 0, refused: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Limits left out come from memory and the open-file limit; `report` hears what was reclaimed, at most once per
   * `intervalMs`.
   */
  constructor(limits: Partial<BudgetLimits>, report?: (r: ConnectionsReclaimed) => void, intervalMs = 10_000) {
    const defaults = limits.maxHandshakes !== undefined && limits.maxConnections !== undefined
      ? limits as BudgetLimits
      : defaultLimits();
    this.limits = {
      maxHandshakes: limits.maxHandshakes ?? defaults.maxHandshakes,
      maxConnections: limits.maxConnections ?? defaults.maxConnections,
    };
    this.#report = report;
    this.#interval = intervalMs;
  }

  /** Connections still in their handshake. */
  get handshaking(): number {
    return this.#handshaking.size;
  }

  /** Connections whose handshake completed. */
  get established(): number {
    return this.#established.size;
  }

  /** Whether `socket` was closed by the budget (its failure is not worth reporting on its own). */
  wasReclaimed(socket: S): boolean {
    return this.#reclaimed.has(socket);
  }

  /** A new connection starts its handshake; a full budget drops a stalled one to make room. */
  admit(socket: S): void {
    if (this.#handshaking.size >= this.limits.maxHandshakes) {
      const victim = this.#stalledHandshake();
      if (victim) this.#reclaim(victim, "handshakes");
    }
    this.all.add(socket);
    this.#handshaking.add(socket);
  }

  /**
   * `socket` completed its handshake. A full budget closes the longest-idle established connection; when
   * every one is busy, `socket` itself is closed and false returned.
   */
  establish(socket: S): boolean {
    this.#handshaking.delete(socket);
    if (this.#established.size >= this.limits.maxConnections) {
      const idlest = this.#idle.values().next();
      if (idlest.done) {
        this.#reclaim(socket, "refused");
        return false;
      }
      this.#reclaim(idlest.value, "idle");
    }
    this.#established.add(socket);
    return true;
  }

  /** The connection waits for a next request (true) or is serving one (false). */
  markIdle(socket: S, idle: boolean): void {
    if (!this.#established.has(socket)) return;
    this.#idle.delete(socket);
    if (idle) this.#idle.add(socket);
  }

  /** The connection is gone, whatever closed it. */
  remove(socket: S): void {
    this.all.delete(socket);
    this.#handshaking.delete(socket);
    this.#established.delete(socket);
    this.#idle.delete(socket);
  }

  /** Reports what is left to report and stops the report timer. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushReport();
  }

  /** The oldest handshake that has received nothing (among the oldest few), else the oldest. */
  #stalledHandshake(): S | undefined {
    let oldest: S | undefined;
    let looked = 0;
    for (const socket of this.#handshaking) {
      oldest ??= socket;
      if (socket.bytesReceived === 0) return socket;
      if (++looked >= silentScan) break;
    }
    return oldest;
  }

  #reclaim(socket: S, kind: "handshakes" | "idle" | "refused"): void {
    this.#reclaimed.add(socket);
    this.remove(socket);
    socket.close();
    this.#counts[kind]++;
    if (this.#report && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushReport();
      }, this.#interval);
    }
  }

  #flushReport(): void {
    const { handshakes, idle, refused } = this.#counts;
    if (handshakes + idle + refused === 0) return;
    this.#counts = { handshakes: 0, idle: 0, refused: 0 };
    this.#report?.(new ConnectionsReclaimed(handshakes, idle, refused, this.#interval, this.limits));
  }
}

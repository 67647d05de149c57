/**
 * Process plumbing for bench/run.ts and bench/profile.ts: spawning pinned servers and load generators, reading a
 * process's CPU time and memory from /proc, and parsing what wrk, curl and bench/handshake_client.ts print.
 * Only node: APIs, so that it runs under Deno (the `deno task bench` entry) as well as Bun and Node.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BIN = {
  deno: `${ROOT}node_modules/.bin/deno`,
  bun: `${ROOT}node_modules/.bin/bun`,
};

export type RuntimeName = "deno" | "bun" | "node";
export type Impl = "ours-noble" | "ours-native" | "native" | "lemon";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export const HAVE_TASKSET = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
})();

/** `taskset -c <cpu>` in front of a command, where taskset exists. */
export function pinned(cpu: number, argv: string[]): string[] {
  return HAVE_TASKSET ? ["taskset", "-c", String(cpu), ...argv] : argv;
}

/** Seconds of CPU (user + system, all threads) a live process has used. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which may contain spaces: ") state ppid ..."; utime and stime are fields 14, 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** VmRSS and VmHWM (peak) of a live process, in KiB. */
export function memory(pid: number): { rssKiB: number; peakKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM") };
}

/** Busy and total jiffies per CPU from /proc/stat, to see what else ran on the server's and the load's core. */
export function cpuTimes(): { busy: number; total: number }[] {
  const out: { busy: number; total: number }[] = [];
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = { busy: total - v[3] - v[4], total };
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every child we started, so that an exit for any reason (error, Ctrl-C) leaves none behind. */
const children = new Set<ChildProcess>();

function killAll() {
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
  }
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Lines of stdout, in order; `nextLine` waits for one matching. */
  lines: string[];
  nextLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  stderr(): string;
  /** Closes stdin (the polite stop for our servers and the idle client), then SIGTERM, then SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

export function start(argv: string[], options: { env?: Record<string, string> } = {}): Spawned {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  children.add(child);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => (err = (err + d).slice(-8000)));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stdin!.on("error", () => {});
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      children.delete(child);
      resolve(code);
    });
    child.on("error", () => resolve(-1));
  });
  return {
    child,
    pid: child.pid!,
    exited,
    lines,
    stderr: () => err,
    nextLine(pattern, timeoutMs) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${pattern} from ${argv.join(" ")}; stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
        const w = { pattern, resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
        waiters.push(w);
        exited.then((code) => {
          if (!waiters.includes(w)) return;
          clearTimeout(timer);
          reject(new Error(`${argv.join(" ")} exited (${code}) before ${pattern}; stderr: ${err.slice(-2000)}`));
        });
      });
    },
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const soft = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (soft) return;
      child.kill("SIGTERM");
      const term = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!term) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Runs a command to completion (bounded), returning stdout. */
export async function run(
  argv: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(argv);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  await sleep(0);
  return { code, stdout: p.lines.join("\n"), stderr: p.stderr() };
}

/** The command that runs a TypeScript file under a runtime. */
export function runtimeCommand(runtime: RuntimeName, file: string, args: string[], extra: string[] = []): string[] {
  switch (runtime) {
    case "deno":
      return [BIN.deno, "run", "-A", "--v8-flags=--expose-gc", ...extra, file, ...args];
    case "bun":
      return [BIN.bun, ...extra, file, ...args];
    case "node":
      return ["node", "--expose-gc", ...extra, "--import", "tsx", file, ...args];
  }
}

export function runtimeAvailable(runtime: RuntimeName): boolean {
  if (runtime === "node") {
    try {
      execFileSync("node", ["--version"]);
      return existsSync(`${ROOT}node_modules/tsx`);
    } catch {
      return false;
    }
  }
  return existsSync(BIN[runtime]);
}

export function toolAvailable(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

// ---- wrk ----

export interface WrkResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** wrk's own breakdown of `errors`, e.g. "connect 0, read 2, write 0, timeout 0", when there were any. */
  errorDetail?: string;
  non2xx: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60000;
}

export function parseWrk(out: string): WrkResult {
  const done = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(out);
  const seconds = done
    ? (done[3] === "ms" ? Number(done[2]) / 1000 : done[3] === "m" ? Number(done[2]) * 60 : Number(done[2]))
    : NaN;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: done ? Number(done[1]) : 0,
    seconds,
    reqPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50ms: toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    p99ms: toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    errors: sock ? sock.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0,
    errorDetail: sock ? sock[0].replace("Socket errors: ", "") : undefined,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** The last line of a client's stdout that parses as JSON. */
export function lastJson<T>(stdout: string): T | null {
  for (const line of stdout.trim().split("\n").reverse()) {
    try {
      return JSON.parse(line) as T;
    } catch { /* not JSON */ }
  }
  return null;
}

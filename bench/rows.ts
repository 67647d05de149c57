/**
 * The rows of bench/run.ts: each loads one server (pinned to CPU 0) from CPU 1 and reads the server's CPU time and
 * memory from /proc around the load. What each row means is in bench/README.md ("How it measures").
 */
import {
  BIN,
  cpuSeconds,
  cpuTimes,
  lastJson,
  memory,
  parseWrk,
  pinned,
  ROOT,
  run,
  runtimeAvailable,
  runtimeCommand,
  sleep,
  type Spawned,
  start,
  type WrkResult,
} from "./lib.ts";

export interface Plan {
  warmSeconds: number;
  keepAliveSeconds: number;
  handshakeSeconds: number;
  resumeSeconds: number;
  /** Bytes of the streamed download and of the upload. */
  bulkBytes: number;
  /** Size of the body given as bytes (`/bytes/N`) and how many times one connection downloads it. */
  bytesBody: number;
  bytesRepeats: number;
  idleConnections: number;
  concurrency: number;
  /** Repetitions of the keep-alive and handshake phases; the cheapest one is reported (all are kept). */
  reps: number;
  /** Repetitions of each bulk transfer. */
  bulkReps: number;
}

/** The keep-alive rows: one per kind of response body (bench/app.ts). */
export const REQUEST_PATHS = {
  text: "/",
  json: "/json",
  bytes: "/bytes/1024",
  stream: "/stream/1024",
} as const;
export type RequestKind = keyof typeof REQUEST_PATHS;

const CA = `${ROOT}certs/out/ca.pem`;

/** The handshake/idle client runs under Bun (the cheapest node:tls client of the three), else Node. */
const clientCommand = (args: string[]) =>
  pinned(
    1,
    runtimeAvailable("bun")
      ? [BIN.bun, "bench/handshake_client.ts", ...args]
      : runtimeCommand("node", "bench/handshake_client.ts", args),
  );

// ---- measuring one phase ----

export interface Phase {
  /** Server CPU seconds used during the phase. */
  serverCpu: number;
  wall: number;
  /** Share of CPU 0 (the server's) used by other processes meanwhile: > 10 % means the numbers are disturbed. */
  cpu0OtherPct: number;
  /** Share of CPU 1 (the load generator's) busy: ~100 % means the load generator was the limit. */
  cpu1BusyPct: number;
}

async function measure<T>(pid: number, body: () => Promise<T>): Promise<[T, Phase]> {
  const c0 = cpuSeconds(pid);
  const t0 = cpuTimes();
  const w0 = performance.now();
  const result = await body();
  const wall = (performance.now() - w0) / 1000;
  const serverCpu = cpuSeconds(pid) - c0;
  const t1 = cpuTimes();
  const share = (cpu: number) => {
    const a = t0[cpu], b = t1[cpu];
    if (!a || !b || b.total === a.total) return NaN;
    return (b.busy - a.busy) / (b.total - a.total);
  };
  const jiffyWall = (t1[0]?.total ?? 0) - (t0[0]?.total ?? 0);
  const other = jiffyWall > 0 ? share(0) - serverCpu / (jiffyWall / 100) : NaN;
  return [result, { serverCpu, wall, cpu0OtherPct: Math.max(0, other * 100), cpu1BusyPct: share(1) * 100 }];
}

/** Waits (bounded) until neither CPU is busy with other work; returns the busy shares of the last sample. */
export async function quietCpus(maxSeconds: number): Promise<{ waited: number; cpu0: number; cpu1: number }> {
  const t0 = performance.now();
  for (;;) {
    const a = cpuTimes();
    await sleep(1000);
    const b = cpuTimes();
    const busy = (i: number) => (b[i].busy - a[i].busy) / Math.max(1, b[i].total - a[i].total) * 100;
    const waited = (performance.now() - t0) / 1000;
    if ((busy(0) < 15 && busy(1) < 15) || waited >= maxSeconds) return { waited, cpu0: busy(0), cpu1: busy(1) };
  }
}

/**
 * Runs a phase `count` times and reports the repetition with the least server CPU per unit of work: both things
 * that disturb a reading on this machine, other processes on CPU 0 and a JIT not yet warm, only add CPU time.
 * Every repetition is kept in `reps`.
 */
export async function repeated<T extends Phase & { reps?: T[]; status?: string }>(
  phase: () => Promise<T>,
  cost: (r: T) => number,
  count: number,
): Promise<T> {
  const reps: T[] = [];
  for (let i = 0; i < count; i++) reps.push(await phase());
  if (reps.length === 1) return reps[0];
  const usable = reps.filter((r) => (r.status === undefined || r.status === "ok") && Number.isFinite(cost(r)));
  const pool = usable.length ? usable : reps;
  const best = pool.reduce((a, b) => (cost(b) < cost(a) ? b : a));
  return { ...best, reps: reps.map((r) => ({ ...r })) };
}

// ---- keep-alive requests ----

export interface KeepAliveRow extends Phase, WrkResult {
  path: string;
  cpuUsPerRequest: number;
  /** Every repetition, when there were several. */
  reps?: KeepAliveRow[];
}

export async function keepAlive(s: Spawned, port: number, path: string, seconds: number): Promise<KeepAliveRow> {
  const url = `https://127.0.0.1:${port}${path}`;
  const wrk = ["wrk", "-t1", "-c32", `-d${seconds}s`, "--timeout", "5s", "--latency", url];
  const [out, phase] = await measure(s.pid, () => run(pinned(1, wrk), (seconds + 20) * 1000));
  const w = parseWrk(out.stdout);
  return { ...w, ...phase, path, cpuUsPerRequest: w.requests ? (phase.serverCpu * 1e6) / w.requests : NaN };
}

// ---- handshakes ----

export interface HandshakeRow extends Phase {
  status: "ok" | "not yet" | "failed";
  reason?: string;
  completed: number;
  resumed: number;
  offered: number;
  errors: number;
  firstError?: string;
  perSecond: number;
  cpuUsPerConnection: number;
  cipher: string | null;
  reps?: HandshakeRow[];
}

interface ClientSummary {
  completed: number;
  resumed: number;
  offered: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rate: number;
  cipher: string | null;
}

export async function handshakes(
  s: Spawned,
  port: number,
  mode: "full" | "resume",
  plan: Plan,
  seconds: number,
): Promise<HandshakeRow> {
  const args = [mode, String(port), String(plan.concurrency), String(seconds)];
  const [out, phase] = await measure(s.pid, () => run(clientCommand(args), (seconds + 60) * 1000));
  const c = lastJson<ClientSummary>(out.stdout);
  const empty = { completed: 0, resumed: 0, offered: 0, errors: 0, perSecond: 0, cpuUsPerConnection: NaN };
  if (!c) {
    const reason = `client printed no summary: ${out.stderr.slice(-300)}`;
    return { ...phase, ...empty, status: "failed", reason, cipher: null };
  }
  const row: HandshakeRow = {
    ...phase,
    status: "ok",
    completed: c.completed,
    resumed: c.resumed,
    offered: c.offered,
    errors: c.errors,
    firstError: c.firstError,
    perSecond: c.rate,
    cpuUsPerConnection: c.completed ? (phase.serverCpu * 1e6) / c.completed : NaN,
    cipher: c.cipher,
  };
  if (c.completed === 0) {
    row.status = "failed";
    row.reason = `no connection completed (${c.errors} errors, first: ${c.firstError})`;
  } else if (mode === "full" && c.resumed > 0) {
    row.status = "failed";
    row.reason = `${c.resumed} of ${c.completed} connections resumed although no session was offered`;
  } else if (mode === "resume" && c.resumed === 0) {
    row.status = "not yet";
    row.reason = c.offered === 0 ? "the server sent no session ticket" : `${c.offered} tickets offered, none accepted`;
  } else if (mode === "resume" && c.resumed < 0.95 * c.completed) {
    row.reason = `only ${c.resumed} of ${c.completed} resumed (${c.offered} tickets offered); CPU is per connection`;
  }
  return row;
}

/** Warm-up: keep-alive load and resumed handshakes, unmeasured. */
export async function warmUp(port: number, plan: Plan): Promise<void> {
  const url = `https://127.0.0.1:${port}/`;
  await run(pinned(1, ["wrk", "-t1", "-c32", `-d${plan.warmSeconds}s`, url]), 30_000);
  await run(clientCommand(["resume", String(port), String(plan.concurrency), String(plan.warmSeconds)]), 60_000);
}

// ---- memory per idle connection ----

export interface IdleRow {
  status: "ok" | "failed";
  reason?: string;
  connections: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  mibPer1000: number;
  /** The same from the JS engine's own count (heapUsed + external, after a full collection): GC-proof, but blind to
   * memory outside the JS heap (rustls', BoringSSL's and OpenSSL's buffers). */
  jsMibPer1000?: number;
}

/** Asks the server for a full garbage collection (bench/server.ts `gc`), so that RSS deltas are not GC timing. */
export async function collect(s: Spawned): Promise<void> {
  const seen = s.lines.length;
  s.child.stdin!.write("gc\n");
  const t0 = performance.now();
  while (s.lines.length === seen || !s.lines.slice(seen).some((l) => l.startsWith("GC"))) {
    if (performance.now() - t0 > 5000) return;
    await sleep(10);
  }
}

/** process.memoryUsage() of the server after a full collection (bench/server.ts `mem`), in bytes. */
async function jsMemory(s: Spawned): Promise<{ heapUsed: number; external: number; arrayBuffers: number } | null> {
  const seen = s.lines.length;
  s.child.stdin!.write("mem\n");
  const t0 = performance.now();
  while (performance.now() - t0 < 5000) {
    const line = s.lines.slice(seen).find((l) => l.startsWith("MEM "));
    if (line) return JSON.parse(line.slice(4));
    await sleep(10);
  }
  return null;
}

/**
 * RSS per idle connection, as the marginal cost: open half the connections, collect garbage, read RSS; open the
 * other half, collect, read again. The first half absorbs what any first connections cost once (code, heap growth).
 */
export async function idleConnections(s: Spawned, port: number, plan: Plan): Promise<IdleRow> {
  const count = plan.idleConnections;
  const half = Math.floor(count / 2);
  const client = start(clientCommand(["idle", String(port), String(plan.concurrency), String(count - half)]));
  let before = NaN;
  try {
    const first = Number((await client.nextLine(/^OPEN \d+/, 120_000)).split(" ")[1]);
    await sleep(200);
    const heapBefore = await jsMemory(s);
    before = memory(s.pid).rssKiB;
    client.child.stdin!.write(`more ${half}\n`);
    const total = Number((await client.nextLine(new RegExp(`^OPEN (?!${first}$)\\d+`), 120_000)).split(" ")[1]);
    await sleep(200);
    const heapAfter = await jsMemory(s);
    const after = memory(s.pid).rssKiB;
    const added = total - first;
    const js = (m: typeof heapBefore) => (m ? m.heapUsed + m.external : NaN);
    return {
      status: total === count ? "ok" : "failed",
      reason: total === count ? undefined : `only ${total} of ${count} connections opened`,
      connections: total,
      rssBeforeKiB: before,
      rssAfterKiB: after,
      mibPer1000: added > 0 ? ((after - before) / 1024) * (1000 / added) : NaN,
      jsMibPer1000: added > 0 ? ((js(heapAfter) - js(heapBefore)) / 2 ** 20) * (1000 / added) : NaN,
    };
  } catch (e) {
    const reason = (e as Error).message.slice(0, 300);
    return { status: "failed", reason, connections: 0, rssBeforeKiB: before, rssAfterKiB: before, mibPer1000: NaN };
  } finally {
    await client.stop(5000);
  }
}

// ---- bulk ----

export interface BulkRow extends Phase {
  reps?: BulkRow[];
  status: "ok" | "failed";
  reason?: string;
  bytes: number;
  mbPerSecond: number;
  mbPerCpuSecond: number;
}

const curlBase = (port: number) => [
  "curl",
  "-s",
  "--tlsv1.3",
  "--cacert",
  CA,
  "--resolve",
  `localhost:${port}:127.0.0.1`,
  "--max-time",
  "120",
];

function bulkRow(phase: Phase, ok: boolean, bytes: number, reason: string): BulkRow {
  return {
    ...phase,
    status: ok ? "ok" : "failed",
    reason: ok ? undefined : reason,
    bytes: ok ? bytes : 0,
    mbPerSecond: bytes / 1e6 / phase.wall,
    mbPerCpuSecond: bytes / 1e6 / phase.serverCpu,
  };
}

/**
 * Downloads `path` `times` times over one connection (curl reuses it for repeated URLs) and checks every transfer's
 * status and size.
 */
export async function download(s: Spawned, port: number, path: string, size: number, times = 1): Promise<BulkRow> {
  const url = `https://localhost:${port}${path}`;
  const each = Array.from({ length: times }, () => ["-o", "/dev/null", url]).flat();
  const argv = [...curlBase(port), "-w", "%{http_code} %{size_download} %{num_connects}\n", ...each];
  const [out, phase] = await measure(s.pid, () => run(pinned(1, argv), 130_000));
  const lines = out.stdout.trim().split("\n").map((l) => l.split(" ").map(Number));
  const good = lines.filter(([code, got]) => code === 200 && got === size).length;
  const connects = lines.reduce((n, l) => n + (l[2] || 0), 0);
  const ok = good === times && connects === 1;
  const reason = `${good} of ${times} transfers complete over ${connects} connections; ${out.stderr.slice(-200)}`;
  return bulkRow(phase, ok, size * times, reason);
}

export async function upload(s: Spawned, port: number, file: string, bytes: number): Promise<BulkRow> {
  const argv = [
    ...curlBase(port),
    ...["-X", "POST", "-H", "Expect:", "-H", "content-type: application/octet-stream", "-T", file],
    ...["-w", "\n%{http_code} %{size_upload}", `https://localhost:${port}/upload`],
  ];
  const [out, phase] = await measure(s.pid, () => run(pinned(1, argv), 130_000));
  const lines = out.stdout.trim().split("\n");
  const [code, sent] = lines.at(-1)!.split(" ").map(Number);
  let size = -1;
  try {
    size = JSON.parse(lines.slice(0, -1).join("\n")).size;
  } catch { /* reported below */ }
  const ok = code === 200 && size === bytes && sent === bytes;
  return bulkRow(phase, ok, bytes, `HTTP ${code}, server counted ${size} of ${bytes} bytes; ${out.stderr.slice(-200)}`);
}

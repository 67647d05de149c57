/**
 * `deno task bench`: our serve() (noble and native crypto providers) against each runtime's own TLS server, and on
 * Node against lemon-tls, all serving bench/app.ts. See bench/README.md for what each row means.
 *
 *   deno run -A bench/run.ts [--quick] [--runtime deno|bun|node]... [--only ours-noble,native,...] [--no-save]
 *                            [--rows keepalive,full,resumed,idle,download,upload] [--reps N] [--wait-quiet <seconds>]
 *
 * Servers run under `taskset -c 0`, load generators (wrk, curl, bench/handshake_client.ts under Bun) under
 * `taskset -c 1`. Server CPU time comes from /proc/<pid>/stat before and after each measured phase.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { ensureDevCerts } from "../certs/generate.ts";
import {
  BIN,
  cpuSeconds,
  cpuTimes,
  HAVE_TASKSET,
  type Impl,
  lastJson,
  memory,
  parseWrk,
  pinned,
  ROOT,
  run,
  runtimeAvailable,
  runtimeCommand,
  type RuntimeName,
  sleep,
  type Spawned,
  start,
  toolAvailable,
  type WrkResult,
} from "./lib.ts";

// ---- options ----

const argv = process.argv.slice(2).length ? process.argv.slice(2) : ((globalThis as any).Deno?.args ?? []);
const flag = (name: string) => argv.includes(name);
const values = (name: string) =>
  argv.flatMap((
    a: string,
    i: number,
  ) => (a === name ? [argv[i + 1]] : a.startsWith(name + "=") ? [a.slice(name.length + 1)] : []))
    .flatMap((v: string) => v.split(","));
const quick = flag("--quick");
const runtimes = (values("--runtime").length ? values("--runtime") : ["deno", "bun", "node"]) as RuntimeName[];
const only = values("--only") as Impl[];
type RowName = "keepalive" | "full" | "resumed" | "idle" | "download" | "upload";
const rows = new Set<RowName>(
  values("--rows").length
    ? (values("--rows") as RowName[])
    : ["keepalive", "full", "resumed", "idle", "download", "upload"],
);
const save = !flag("--no-save");
/** Before each server, wait up to this many seconds for both CPUs to be quiet (other processes under 15 %). */
const waitQuiet = Number(values("--wait-quiet")[0] ?? 0);

interface Plan {
  warmSeconds: number;
  keepAliveSeconds: number;
  handshakeSeconds: number;
  resumeSeconds: number;
  bulkBytes: number;
  idleConnections: number;
  concurrency: number;
  /** Repetitions of the keep-alive and handshake phases; the cheapest one is reported (all are kept). */
  reps: number;
  /** Repetitions of each bulk transfer. */
  bulkReps: number;
}
const plan: Plan = quick
  ? {
    warmSeconds: 0,
    keepAliveSeconds: 1,
    handshakeSeconds: 0.6,
    resumeSeconds: 0.6,
    bulkBytes: 4e6,
    idleConnections: 40,
    concurrency: 16,
    reps: 1,
    bulkReps: 1,
  }
  : {
    warmSeconds: 3,
    keepAliveSeconds: 4,
    handshakeSeconds: 3,
    resumeSeconds: 3,
    bulkBytes: 100e6,
    idleConnections: 1000,
    concurrency: 16,
    reps: 3,
    bulkReps: 2,
  };
if (values("--reps").length) plan.reps = Math.max(1, Number(values("--reps")[0]));

const CA = `${ROOT}certs/out/ca.pem`;
/** The handshake/idle client runs under Bun (cheapest node:tls client of the three), else Node. */
const clientCommand = (args: string[]) =>
  pinned(
    1,
    runtimeAvailable("bun")
      ? [BIN.bun, "bench/handshake_client.ts", ...args]
      : runtimeCommand("node", "bench/handshake_client.ts", args),
  );

// ---- measuring one phase ----

interface Phase {
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
async function quietCpus(maxSeconds: number): Promise<{ waited: number; cpu0: number; cpu1: number }> {
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

// ---- rows ----

interface KeepAliveRow extends Phase, WrkResult {
  cpuUsPerRequest: number;
  /** Every repetition, when there were several (this row is the one with the least other load on CPU 0). */
  reps?: KeepAliveRow[];
}
interface HandshakeRow extends Phase {
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
interface BulkRow extends Phase {
  reps?: BulkRow[];
  status: "ok" | "failed";
  reason?: string;
  bytes: number;
  mbPerSecond: number;
  mbPerCpuSecond: number;
}
interface IdleRow {
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
interface ServerResult {
  runtime: RuntimeName;
  impl: Impl;
  server: string;
  rssIdleKiB: number;
  rssPeakKiB: number;
  /** CPU shares (%) busy with other processes just before this server was measured, and the wait for quiet. */
  before?: { waited: number; cpu0: number; cpu1: number };
  /** VmHWM (KiB) after each phase, to tell which phase set the peak. */
  peakAfter: Record<string, number>;
  keepAlive?: KeepAliveRow;
  full?: HandshakeRow;
  resumed?: HandshakeRow;
  idle?: IdleRow;
  download?: BulkRow;
  upload?: BulkRow;
  error?: string;
}

async function keepAlive(s: Spawned, port: number, seconds: number): Promise<KeepAliveRow> {
  const [out, phase] = await measure(
    s.pid,
    () =>
      run(
        pinned(1, [
          "wrk",
          "-t1",
          "-c32",
          `-d${seconds}s`,
          "--timeout",
          "5s",
          "--latency",
          `https://127.0.0.1:${port}/`,
        ]),
        (seconds + 20) * 1000,
      ),
  );
  const w = parseWrk(out.stdout);
  return { ...w, ...phase, cpuUsPerRequest: w.requests ? (phase.serverCpu * 1e6) / w.requests : NaN };
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

async function handshakes(s: Spawned, port: number, mode: "full" | "resume", seconds: number): Promise<HandshakeRow> {
  const [out, phase] = await measure(
    s.pid,
    () => run(clientCommand([mode, String(port), String(plan.concurrency), String(seconds)]), (seconds + 60) * 1000),
  );
  const c = lastJson<ClientSummary>(out.stdout);
  if (!c) {
    return {
      ...phase,
      status: "failed",
      reason: `client printed no summary: ${out.stderr.slice(-300)}`,
      completed: 0,
      resumed: 0,
      offered: 0,
      errors: 0,
      perSecond: 0,
      cpuUsPerConnection: NaN,
      cipher: null,
    };
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

/** Asks the server for a full garbage collection (bench/server.ts `gc`), so that RSS deltas are not GC timing. */
async function collect(s: Spawned): Promise<void> {
  const seen = s.lines.length;
  s.child.stdin!.write("gc\n");
  const t0 = performance.now();
  while (s.lines.length === seen || !s.lines.slice(seen).some((l) => l.startsWith("GC"))) {
    if (performance.now() - t0 > 5000) return;
    await sleep(10);
  }
}

/**
 * RSS per idle connection, as the marginal cost: open half the connections, collect garbage, read RSS; open the
 * other half, collect, read again. The first half absorbs what any first connections cost once (code, heap growth).
 */
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

async function idleConnections(s: Spawned, port: number, count: number): Promise<IdleRow> {
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
    return {
      status: "failed",
      reason: (e as Error).message.slice(0, 300),
      connections: 0,
      rssBeforeKiB: before,
      rssAfterKiB: before,
      mibPer1000: NaN,
    };
  } finally {
    await client.stop(5000);
  }
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

async function download(s: Spawned, port: number, bytes: number): Promise<BulkRow> {
  const [out, phase] = await measure(
    s.pid,
    () =>
      run(
        pinned(1, [
          ...curlBase(port),
          "-o",
          "/dev/null",
          "-w",
          "%{http_code} %{size_download}",
          `https://localhost:${port}/bytes/${bytes}`,
        ]),
        130_000,
      ),
  );
  const [code, size] = out.stdout.trim().split(" ").map(Number);
  const ok = code === 200 && size === bytes;
  return {
    ...phase,
    status: ok ? "ok" : "failed",
    reason: ok ? undefined : `HTTP ${code}, ${size} of ${bytes} bytes; ${out.stderr.slice(-200)}`,
    bytes: size || 0,
    mbPerSecond: size / 1e6 / phase.wall,
    mbPerCpuSecond: size / 1e6 / phase.serverCpu,
  };
}

async function upload(s: Spawned, port: number, file: string, bytes: number): Promise<BulkRow> {
  const [out, phase] = await measure(s.pid, () =>
    run(
      pinned(1, [
        ...curlBase(port),
        "-X",
        "POST",
        "-H",
        "Expect:",
        "-H",
        "content-type: application/octet-stream",
        "-T",
        file,
        "-w",
        "\n%{http_code} %{size_upload}",
        `https://localhost:${port}/upload`,
      ]),
      130_000,
    ));
  const lines = out.stdout.trim().split("\n");
  const [code, sent] = lines.at(-1)!.split(" ").map(Number);
  let size = -1;
  try {
    size = JSON.parse(lines.slice(0, -1).join("\n")).size;
  } catch { /* reported below */ }
  const ok = code === 200 && size === bytes && sent === bytes;
  return {
    ...phase,
    status: ok ? "ok" : "failed",
    reason: ok ? undefined : `HTTP ${code}, server counted ${size} of ${bytes} bytes; ${out.stderr.slice(-200)}`,
    bytes: ok ? bytes : 0,
    mbPerSecond: bytes / 1e6 / phase.wall,
    mbPerCpuSecond: bytes / 1e6 / phase.serverCpu,
  };
}

/**
 * Runs a phase `plan.reps` times and reports the repetition with the least server CPU per unit of work: both things
 * that disturb a reading on this machine, other processes on CPU 0 and a JIT not yet warm, only add CPU time.
 * Every repetition is kept in `reps`.
 */
async function repeated<T extends Phase & { reps?: T[]; status?: string }>(
  phase: () => Promise<T>,
  cost: (r: T) => number,
  count = plan.reps,
): Promise<T> {
  const reps: T[] = [];
  for (let i = 0; i < count; i++) reps.push(await phase());
  if (reps.length === 1) return reps[0];
  const usable = reps.filter((r) => (r.status === undefined || r.status === "ok") && Number.isFinite(cost(r)));
  const pool = usable.length ? usable : reps;
  const best = pool.reduce((a, b) => (cost(b) < cost(a) ? b : a));
  return { ...best, reps: reps.map((r) => ({ ...r })) };
}

// ---- one server, one runtime ----

function implsFor(runtime: RuntimeName): Impl[] {
  const all: Impl[] = runtime === "node"
    ? ["ours-noble", "ours-native", "native", "lemon"]
    : ["ours-noble", "ours-native", "native"];
  return only.length ? all.filter((i) => only.includes(i)) : all;
}

/**
 * Starts a server on both cores (start-up is not measured, and the servers of a runtime start together), then pins
 * every thread of it to CPU 0 (`taskset -a -p`); threads made later inherit that from the thread that makes them.
 */
async function startServer(runtime: RuntimeName, impl: Impl): Promise<{ s: Spawned; port: number; server: string }> {
  const s = start(runtimeCommand(runtime, "bench/server.ts", [impl, "0"]));
  const line = await s.nextLine(/^READY \d+/, 60_000);
  if (HAVE_TASKSET) execFileSync("taskset", ["-a", "-p", "-c", "0", String(s.pid)], { stdio: "ignore" });
  const [, port, ...what] = line.split(" ");
  return { s, port: Number(port), server: what.join(" ") };
}

async function benchServer(
  runtime: RuntimeName,
  impl: Impl,
  started: Promise<{ s: Spawned; port: number; server: string }>,
  upFile: string,
): Promise<ServerResult> {
  let handle: { s: Spawned; port: number; server: string };
  try {
    handle = await started;
  } catch (e) {
    return {
      runtime,
      impl,
      server: impl,
      rssIdleKiB: NaN,
      rssPeakKiB: NaN,
      peakAfter: {},
      error: (e as Error).message.slice(0, 500),
    };
  }
  const { s, port, server } = handle;
  await collect(s);
  const r: ServerResult = { runtime, impl, server, rssIdleKiB: memory(s.pid).rssKiB, rssPeakKiB: NaN, peakAfter: {} };
  let current = "start";
  const step = (what: string) => {
    r.peakAfter[current] = memory(s.pid).peakKiB;
    current = what;
    process.stderr.write(`  ${runtime} ${impl}: ${what}\n`);
  };
  try {
    if (waitQuiet > 0) {
      step("waiting for quiet CPUs");
      r.before = await quietCpus(waitQuiet);
    }
    // First, before any load: heap pages that earlier garbage freed would otherwise absorb the new connections.
    if (rows.has("idle")) {
      step(`${plan.idleConnections} idle connections`);
      r.idle = await idleConnections(s, port, plan.idleConnections);
    }
    if (plan.warmSeconds > 0) {
      step("warm-up");
      await run(pinned(1, ["wrk", "-t1", "-c32", `-d${plan.warmSeconds}s`, `https://127.0.0.1:${port}/`]), 30_000);
      await run(clientCommand(["resume", String(port), String(plan.concurrency), String(plan.warmSeconds)]), 60_000);
    }
    if (rows.has("keepalive")) {
      step("keep-alive");
      r.keepAlive = await repeated(() => keepAlive(s, port, plan.keepAliveSeconds), (k) => k.cpuUsPerRequest);
    }
    if (rows.has("full")) {
      step("full handshakes");
      r.full = await repeated(() => handshakes(s, port, "full", plan.handshakeSeconds), (h) => h.cpuUsPerConnection);
    }
    if (rows.has("resumed")) {
      step("resumed handshakes");
      r.resumed = await repeated(() => handshakes(s, port, "resume", plan.resumeSeconds), (h) => h.cpuUsPerConnection);
    }
    if (rows.has("download")) {
      step("download");
      r.download = await repeated(() => download(s, port, plan.bulkBytes), (b) => 1 / b.mbPerCpuSecond, plan.bulkReps);
    }
    if (rows.has("upload")) {
      step("upload");
      r.upload = await repeated(
        () => upload(s, port, upFile, plan.bulkBytes),
        (b) => 1 / b.mbPerCpuSecond,
        plan.bulkReps,
      );
    }
    step("done");
    r.rssPeakKiB = memory(s.pid).peakKiB;
  } catch (e) {
    r.error = (e as Error).message.slice(0, 500);
    try {
      r.rssPeakKiB = memory(s.pid).peakKiB;
    } catch { /* server died */ }
  } finally {
    await s.stop();
  }
  return r;
}

// ---- tables ----

const f = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : n >= 10000 && digits === 0
    ? `${(n / 1000).toFixed(1)}k`
    : n.toFixed(digits);
const mib = (kib: number) => f(kib / 1024);

const LABEL: Record<Impl, string> = {
  "ours-noble": "ours, noble",
  "ours-native": "ours, native",
  native: "native",
  lemon: "lemon-tls",
};

function hsCell(h: HandshakeRow | undefined, what: "rate" | "cpu"): string {
  if (!h) return "–";
  if (h.status !== "ok") return h.status === "not yet" ? "not yet" : "failed";
  const v = what === "rate" ? f(h.perSecond) : f(h.cpuUsPerConnection);
  return h.reason ? `${v}*` : v;
}

function bulkCell(b: BulkRow | undefined, what: "rate" | "cpu"): string {
  if (!b) return "–";
  if (b.status !== "ok") return "failed";
  return what === "rate" ? f(b.mbPerSecond) : f(b.mbPerCpuSecond);
}

function table(results: ServerResult[]): string {
  const head = [
    "server",
    "keep-alive req/s",
    "p50 / p99 ms",
    "µs CPU / req",
    "full hs/s",
    "µs CPU / full hs",
    "resumed/s",
    "µs CPU / resumed",
    "down MB/s",
    "down MB / CPU-s",
    "up MB/s",
    "up MB / CPU-s",
    "RSS idle / peak MiB",
    "MiB / 1k idle conns: RSS (JS heap)",
  ];
  const rows = results.map((r) => [
    `${LABEL[r.impl]}: ${r.server}`,
    f(r.keepAlive?.reqPerSec),
    r.keepAlive ? `${f(r.keepAlive.p50ms, 2)} / ${f(r.keepAlive.p99ms, 2)}` : "–",
    f(r.keepAlive?.cpuUsPerRequest, 1),
    hsCell(r.full, "rate"),
    hsCell(r.full, "cpu"),
    hsCell(r.resumed, "rate"),
    hsCell(r.resumed, "cpu"),
    bulkCell(r.download, "rate"),
    bulkCell(r.download, "cpu"),
    bulkCell(r.upload, "rate"),
    bulkCell(r.upload, "cpu"),
    `${mib(r.rssIdleKiB)} / ${mib(r.rssPeakKiB)}`,
    r.idle?.status === "ok" ? `${f(r.idle.mibPer1000, 1)} (${f(r.idle.jsMibPer1000, 1)})` : "–",
  ]);
  return [head, head.map(() => "---"), ...rows].map((c) => `| ${c.join(" | ")} |`).join("\n");
}

interface Ratio {
  metric: string;
  impl: Impl;
  /** ours / native on server CPU per unit of work (for MB per CPU-second: ours / native of that, higher is better). */
  cpuRatio: number;
  /** ours / native on the raw rate. */
  rateRatio: number;
  target: string;
  met: boolean | null;
}

function ratios(results: ServerResult[]): Ratio[] {
  const native = results.find((r) => r.impl === "native");
  if (!native) return [];
  const out: Ratio[] = [];
  const runtime = native.runtime;
  for (const r of results) {
    if (r.impl === "native") continue;
    const ka = (r.keepAlive?.cpuUsPerRequest ?? NaN) / (native.keepAlive?.cpuUsPerRequest ?? NaN);
    out.push({
      metric: "keep-alive: µs CPU per request",
      impl: r.impl,
      cpuRatio: ka,
      rateRatio: (r.keepAlive?.reqPerSec ?? NaN) / (native.keepAlive?.reqPerSec ?? NaN),
      target: "≤ 1.25×",
      met: Number.isFinite(ka) ? ka <= 1.25 : null,
    });
    const okFull = (h?: HandshakeRow) => (h?.status === "ok" ? h : undefined);
    const hs = (okFull(r.full)?.cpuUsPerConnection ?? NaN) / (okFull(native.full)?.cpuUsPerConnection ?? NaN);
    const hsLimit = runtime === "node" ? 1 : 2;
    out.push({
      metric: "full handshake: µs CPU per connection",
      impl: r.impl,
      cpuRatio: hs,
      rateRatio: (okFull(r.full)?.perSecond ?? NaN) / (okFull(native.full)?.perSecond ?? NaN),
      target: runtime === "node" ? "< 1× (below Node's OpenSSL)" : "≤ 2×",
      met: Number.isFinite(hs) ? hs <= hsLimit : null,
    });
    const res = r.resumed?.status === "ok" && !r.resumed.reason ? r.resumed.cpuUsPerConnection : NaN;
    const resVsFull = res / (okFull(native.full)?.cpuUsPerConnection ?? NaN);
    out.push({
      metric: "resumption: µs CPU vs native full handshake",
      impl: r.impl,
      cpuRatio: resVsFull,
      rateRatio: (r.resumed?.status === "ok" ? r.resumed.perSecond : NaN) /
        (native.resumed?.status === "ok" ? native.resumed.perSecond : NaN),
      target: "< 1×",
      met: Number.isFinite(resVsFull) ? resVsFull < 1 : null,
    });
    for (const dir of ["download", "upload"] as const) {
      const a = r[dir], b = native[dir];
      const v = (a?.status === "ok" ? a.mbPerCpuSecond : NaN) / (b?.status === "ok" ? b.mbPerCpuSecond : NaN);
      out.push({
        metric: `bulk ${dir}: MB per CPU-second`,
        impl: r.impl,
        cpuRatio: v,
        rateRatio: (a?.status === "ok" ? a.mbPerSecond : NaN) / (b?.status === "ok" ? b.mbPerSecond : NaN),
        target: "≥ 0.7×",
        met: Number.isFinite(v) ? v >= 0.7 : null,
      });
    }
  }
  return out;
}

function ratioTable(rs: Ratio[]): string {
  const head = ["metric", "server", "CPU ratio (ours/native)", "rate ratio", "target", "met"];
  const rows = rs.map((r) => [
    r.metric,
    LABEL[r.impl],
    f(r.cpuRatio, 2),
    f(r.rateRatio, 2),
    r.target,
    r.met === null ? "n/a" : r.met ? "yes" : "no",
  ]);
  return [head, head.map(() => "---"), ...rows].map((c) => `| ${c.join(" | ")} |`).join("\n");
}

function notes(results: ServerResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const who = `${r.runtime} ${LABEL[r.impl]}`;
    if (r.error) out.push(`${who}: ${r.error}`);
    for (const [name, row] of [["full", r.full], ["resumed", r.resumed]] as const) {
      if (row?.reason) out.push(`${who} ${name}: ${row.status}: ${row.reason}`);
      if (row && row.errors > 0) {
        out.push(`${who} ${name}: ${row.errors} connections failed (first: ${row.firstError})`);
      }
    }
    for (const [name, row] of [["download", r.download], ["upload", r.upload], ["idle", r.idle]] as const) {
      if (row?.reason) out.push(`${who} ${name}: ${row.reason}`);
    }
    if (r.keepAlive && (r.keepAlive.errors || r.keepAlive.non2xx)) {
      out.push(`${who} keep-alive: ${r.keepAlive.errors} socket errors, ${r.keepAlive.non2xx} non-2xx`);
    }
    const phases = [r.keepAlive, r.full, r.resumed, r.download, r.upload].filter((p): p is NonNullable<typeof p> =>
      !!p
    );
    const busy = phases.map((p) => p.cpu0OtherPct).filter(Number.isFinite);
    if (busy.length && Math.max(...busy) > 10) {
      out.push(
        `${who}: other processes used up to ${f(Math.max(...busy))} % of CPU 0 during a phase (numbers disturbed)`,
      );
    }
  }
  return out;
}

// ---- main ----

function environment() {
  const sh = (cmd: string) => {
    try {
      return execFileSync("sh", ["-c", cmd]).toString().trim();
    } catch {
      return null;
    }
  };
  return {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    plan,
    cpu: /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? null,
    cores: readFileSync("/proc/cpuinfo", "utf8").split("\n").filter((l) => l.startsWith("processor")).length,
    kernel: sh("uname -r"),
    commit: sh(`git -C ${ROOT} rev-parse --short HEAD`),
    dirty: sh(`git -C ${ROOT} status --porcelain -- src mod.ts`) !== "",
    taskset: HAVE_TASKSET,
    wrk: sh("wrk --version 2>&1 | head -1"),
    curl: sh("curl --version | head -1"),
    loadAvgStart: readFileSync("/proc/loadavg", "utf8").trim(),
  };
}

async function main() {
  for (const tool of ["wrk", "curl"]) {
    if (!toolAvailable(tool)) throw new Error(`${tool} is needed (Debian: apt-get install ${tool})`);
  }
  if (!HAVE_TASKSET) console.error("taskset not found: servers and load are not pinned to separate cores");
  await ensureDevCerts(undefined, { log: (l) => console.error(l) });
  const env = environment();
  const t0 = performance.now();
  const dir = `${tmpdir()}/tls13-bench-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const upFile = `${dir}/upload.bin`;
  const block = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
  const chunks = Math.ceil(plan.bulkBytes / block.length);
  const body = new Uint8Array(plan.bulkBytes);
  for (let i = 0; i < chunks; i++) {
    body.set(block.subarray(0, Math.min(block.length, plan.bulkBytes - i * block.length)), i * block.length);
  }
  writeFileSync(upFile, body);
  const all: Record<string, unknown> = {};
  try {
    for (const runtime of runtimes) {
      if (!runtimeAvailable(runtime)) {
        console.log(`\n## ${runtime}: not available, skipped`);
        continue;
      }
      const tr = performance.now();
      console.error(`${runtime}: starting ${implsFor(runtime).join(", ")}`);
      // Started together (they idle at ~0 CPU until measured), measured one after the other, each stopped after.
      const impls = implsFor(runtime);
      const starting = impls.map((impl) => startServer(runtime, impl));
      starting.forEach((p) => p.catch(() => {}));
      const results: ServerResult[] = [];
      for (let i = 0; i < impls.length; i++) results.push(await benchServer(runtime, impls[i], starting[i], upFile));
      const rs = ratios(results);
      const version = runtime === "node"
        ? process.versions && execFileSync("node", ["--version"]).toString().trim()
        : runtime;
      console.log(
        `\n## ${runtime} (${version}), ${quick ? "quick" : "full"} run, ${
          ((performance.now() - tr) / 1000).toFixed(0)
        } s\n`,
      );
      console.log(table(results));
      console.log();
      console.log(ratioTable(rs));
      const ns = notes(results);
      if (ns.length) console.log("\n" + ns.map((n) => `- ${n}`).join("\n"));
      const record = {
        environment: { ...env, runtime, loadAvgEnd: readFileSync("/proc/loadavg", "utf8").trim() },
        results,
        ratios: rs,
        notes: ns,
      };
      all[runtime] = record;
      if (save) {
        const day = env.date.slice(0, 10);
        mkdirSync(`${ROOT}bench/results`, { recursive: true });
        const file = `${ROOT}bench/results/${day}-${runtime}${quick ? "-quick" : ""}.json`;
        writeFileSync(
          file,
          JSON.stringify(record, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n",
        );
        console.error(`wrote ${file}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.error(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
process.exit(0);

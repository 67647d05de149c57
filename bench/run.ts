/**
 * `deno task bench`: our serve() (noble and native crypto providers) against each runtime's own TLS server, and on
 * Node against lemon-tls, all serving bench/app.ts. See bench/README.md for what each row means.
 *
 *   deno run -A bench/run.ts [--quick] [--runtime deno|bun|node]... [--only ours-noble,native,...] [--no-save]
 *                            [--rows keepalive,full,resumed,idle,download,upload] [--reps N] [--wait-quiet <seconds>]
 *                            [--json <file>]
 *
 * Servers run under `taskset -c 0`, load generators (wrk, curl, bench/handshake_client.ts under Bun) under
 * `taskset -c 1`. Server CPU time comes from /proc/<pid>/stat before and after each measured phase. `--json` writes
 * every runtime's results to one file (the smoke test in tests/tools reads it).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { ensureDevCerts } from "../certs/generate.ts";
import {
  HAVE_TASKSET,
  type Impl,
  lastJson,
  memory,
  pinned,
  ROOT,
  run,
  runtimeAvailable,
  runtimeCommand,
  type RuntimeName,
  type Spawned,
  start,
  toolAvailable,
} from "./lib.ts";
import {
  collect,
  download,
  handshakes,
  idleConnections,
  keepAlive,
  type Plan,
  quietCpus,
  repeated,
  REQUEST_PATHS,
  type RequestKind,
  upload,
  warmUp,
} from "./rows.ts";
import { type AeadCeiling, failures, notes, ratios, ratioTable, type ServerResult, table } from "./report.ts";

// ---- options ----

const argv = process.argv.slice(2).length ? process.argv.slice(2) : ((globalThis as any).Deno?.args ?? []);
const flag = (name: string) => argv.includes(name);
const values = (name: string): string[] =>
  argv.flatMap((a: string, i: number) =>
    a === name ? [argv[i + 1]] : a.startsWith(name + "=") ? [a.slice(name.length + 1)] : []
  ).flatMap((v: string) => v.split(","));
const quick = flag("--quick");
const runtimes = (values("--runtime").length ? values("--runtime") : ["deno", "bun", "node"]) as RuntimeName[];
const only = values("--only") as Impl[];
const ALL_ROWS = ["keepalive", "full", "resumed", "idle", "download", "upload"] as const;
type RowName = typeof ALL_ROWS[number];
const rows = new Set<RowName>(values("--rows").length ? (values("--rows") as RowName[]) : ALL_ROWS);
const save = !flag("--no-save");
const jsonOut = values("--json")[0];
/** Before each server, wait up to this many seconds for both CPUs to be quiet (other processes under 15 %). */
const waitQuiet = Number(values("--wait-quiet")[0] ?? 0);

const plan: Plan = quick
  ? {
    warmSeconds: 0,
    keepAliveSeconds: 2,
    handshakeSeconds: 0.6,
    resumeSeconds: 0.6,
    bulkBytes: 4e6,
    bytesBody: 1 << 20,
    bytesRepeats: 2,
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
    bytesBody: 10 << 20,
    bytesRepeats: 10,
    idleConnections: 1000,
    concurrency: 16,
    reps: 3,
    bulkReps: 2,
  };
if (values("--reps").length) plan.reps = Math.max(1, Number(values("--reps")[0]));

// ---- one server, one runtime ----

function implsFor(runtime: RuntimeName): Impl[] {
  const all: Impl[] = runtime === "node"
    ? ["ours-noble", "ours-native", "native", "lemon"]
    : ["ours-noble", "ours-native", "native"];
  return only.length ? all.filter((i) => only.includes(i)) : all;
}

type Started = { s: Spawned; port: number; server: string };

/**
 * Starts a server on both cores (start-up is not measured, and the servers of a runtime start together), then pins
 * every thread of it to CPU 0 (`taskset -a -p`); threads made later inherit that from the thread that makes them.
 */
async function startServer(runtime: RuntimeName, impl: Impl): Promise<Started> {
  const s = start(runtimeCommand(runtime, "bench/server.ts", [impl, "0"]));
  const line = await s.nextLine(/^READY \d+/, 60_000);
  if (HAVE_TASKSET) execFileSync("taskset", ["-a", "-p", "-c", "0", String(s.pid)], { stdio: "ignore" });
  const [, port, ...what] = line.split(" ");
  return { s, port: Number(port), server: what.join(" ") };
}

/** The rows, in an order that keeps them apart: idle memory first (before any load fills the heap). */
async function measureRows(r: ServerResult, { s, port }: Started, upFile: string, step: (w: string) => void) {
  if (waitQuiet > 0) {
    step("waiting for quiet CPUs");
    r.before = await quietCpus(waitQuiet);
  }
  if (rows.has("idle")) {
    step(`${plan.idleConnections} idle connections`);
    r.idle = await idleConnections(s, port, plan);
  }
  if (plan.warmSeconds > 0) {
    step("warm-up");
    await warmUp(port, plan);
  }
  if (rows.has("keepalive")) {
    for (const [kind, path] of Object.entries(REQUEST_PATHS) as [RequestKind, string][]) {
      step(`keep-alive ${kind}`);
      // The text row is the headline; the other bodies get fewer repetitions.
      const reps = kind === "text" ? plan.reps : Math.min(plan.reps, 2);
      r.requests[kind] = await repeated(
        () => keepAlive(s, port, path, plan.keepAliveSeconds),
        (k) => k.cpuUsPerRequest,
        reps,
      );
    }
  }
  const perConnection = (h: { cpuUsPerConnection: number }) => h.cpuUsPerConnection;
  if (rows.has("full")) {
    step("full handshakes");
    r.full = await repeated(() => handshakes(s, port, "full", plan, plan.handshakeSeconds), perConnection, plan.reps);
  }
  if (rows.has("resumed")) {
    step("resumed handshakes");
    r.resumed = await repeated(() => handshakes(s, port, "resume", plan, plan.resumeSeconds), perConnection, plan.reps);
  }
  const perMb = (b: { mbPerCpuSecond: number }) => 1 / b.mbPerCpuSecond;
  if (rows.has("download")) {
    step("download (streamed body)");
    r.download = await repeated(
      () => download(s, port, `/stream/${plan.bulkBytes}`, plan.bulkBytes),
      perMb,
      plan.bulkReps,
    );
    step("download (body given as bytes)");
    const path = `/bytes/${plan.bytesBody}`;
    r.downloadBytes = await repeated(
      () => download(s, port, path, plan.bytesBody, plan.bytesRepeats),
      perMb,
      plan.bulkReps,
    );
  }
  if (rows.has("upload")) {
    step("upload");
    r.upload = await repeated(() => upload(s, port, upFile, plan.bulkBytes), perMb, plan.bulkReps);
  }
}

async function benchServer(runtime: RuntimeName, impl: Impl, started: Promise<Started>, upFile: string) {
  const r: ServerResult = {
    runtime,
    impl,
    server: impl,
    rssIdleKiB: NaN,
    rssPeakKiB: NaN,
    peakAfter: {},
    requests: {},
  };
  let handle: Started;
  try {
    handle = await started;
  } catch (e) {
    r.error = (e as Error).message.slice(0, 500);
    return r;
  }
  const { s, server } = handle;
  await collect(s);
  Object.assign(r, { server, rssIdleKiB: memory(s.pid).rssKiB });
  let current = "start";
  const step = (what: string) => {
    r.peakAfter[current] = memory(s.pid).peakKiB;
    current = what;
    process.stderr.write(`  ${runtime} ${impl}: ${what}\n`);
  };
  try {
    await measureRows(r, handle, upFile, step);
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

/** bench/aead_ceiling.ts under `runtime`, pinned to the server's core. */
async function aeadCeiling(runtime: RuntimeName): Promise<AeadCeiling | null> {
  const out = await run(pinned(0, runtimeCommand(runtime, "bench/aead_ceiling.ts", [quick ? "0.3" : "2"])), 60_000);
  return lastJson<AeadCeiling>(out.stdout);
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

/** A file of `plan.bulkBytes` bytes for the upload row. */
function uploadFile(dir: string): string {
  const file = `${dir}/upload.bin`;
  const block = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
  const body = new Uint8Array(plan.bulkBytes);
  for (let o = 0; o < body.length; o += block.length) {
    body.set(block.subarray(0, Math.min(block.length, body.length - o)), o);
  }
  writeFileSync(file, body);
  return file;
}

const toJson = (v: unknown) =>
  JSON.stringify(v, (_, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x), 2) + "\n";

async function benchRuntime(runtime: RuntimeName, env: ReturnType<typeof environment>, upFile: string) {
  const t0 = performance.now();
  const impls = implsFor(runtime);
  console.error(`${runtime}: starting ${impls.join(", ")}`);
  const ceiling = await aeadCeiling(runtime);
  // Started together (they idle at ~0 CPU until measured), measured one after the other, each stopped after.
  const starting = impls.map((impl) => startServer(runtime, impl));
  starting.forEach((p) => p.catch(() => {}));
  const results: ServerResult[] = [];
  for (let i = 0; i < impls.length; i++) results.push(await benchServer(runtime, impls[i], starting[i], upFile));
  const rs = ratios(results, ceiling);
  const version = runtime === "node" ? execFileSync("node", ["--version"]).toString().trim() : runtime;
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(`\n## ${runtime} (${version}), ${quick ? "quick" : "full"} run, ${seconds} s\n`);
  console.log(table(results));
  if (ceiling) {
    const c = ceiling;
    console.log(
      `\nAEAD alone (${c.provider}, ${c.aead}, 16 KiB records): seal ${c.sealMbPerCpuSecond.toFixed(0)}, ` +
        `open ${c.openMbPerCpuSecond.toFixed(0)} MB per CPU-second`,
    );
  }
  console.log();
  console.log(ratioTable(rs));
  const ns = notes(results);
  if (ns.length) console.log("\n" + ns.map((n) => `- ${n}`).join("\n"));
  const expected = [...rows];
  const environment = { ...env, runtime, loadAvgEnd: readFileSync("/proc/loadavg", "utf8").trim() };
  return { environment, aeadCeiling: ceiling, results, ratios: rs, notes: ns, failures: failures(results, expected) };
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
  const all: Record<string, unknown> = {};
  try {
    const upFile = uploadFile(dir);
    for (const runtime of runtimes) {
      if (!runtimeAvailable(runtime)) {
        console.log(`\n## ${runtime}: not available, skipped`);
        all[runtime] = { skipped: "not available" };
        continue;
      }
      const record = await benchRuntime(runtime, env, upFile);
      all[runtime] = record;
      if (save) {
        mkdirSync(`${ROOT}bench/results`, { recursive: true });
        const file = `${ROOT}bench/results/${env.date.slice(0, 10)}-${runtime}${quick ? "-quick" : ""}.json`;
        writeFileSync(file, toJson(record));
        console.error(`wrote ${file}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (jsonOut) writeFileSync(jsonOut, toJson(all));
  console.error(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
process.exit(0);

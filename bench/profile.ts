/**
 * CPU profiles of our server on the slow paths, summarized by function and by file:
 *
 *   deno run -A bench/profile.ts [--runtime deno|bun|node]... [--impl ours-native|ours-noble]...
 *                                [--path handshake|resume|keepalive|download|bytes|upload]... [--seconds 8] [--top 25]
 *   deno run -A bench/profile.ts --summarize bench/results/profile-....cpuprofile   (summarize a saved profile again)
 *
 * Each (runtime, impl, path) gets a fresh server on CPU 0 and one kind of load on CPU 1 (the same load generators
 * as bench/run.ts). Deno and Node: V8's sampling profiler (200 µs) through node:inspector inside the server,
 * started after a warm-up and stopped when the load ends. Bun: `bun --cpu-prof` (its node:inspector is a stub), so
 * Bun's profile also holds the start-up and warm-up, about 5 % of its samples.
 * Writes bench/results/profile-<runtime>-<impl>-<path>.md (the summary) and .cpuprofile (the raw profile, for
 * Chrome DevTools or speedscope; not committed).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { ensureDevCerts } from "../certs/generate.ts";
import { BIN, type Impl, pinned, ROOT, run, runtimeCommand, type RuntimeName, sleep, start } from "./lib.ts";

const argv: string[] = process.argv.slice(2).length ? process.argv.slice(2) : ((globalThis as any).Deno?.args ?? []);
const values = (name: string) =>
  argv.flatMap((a, i) => (a === name ? [argv[i + 1]] : a.startsWith(name + "=") ? [a.slice(name.length + 1)] : []))
    .flatMap((v) => v.split(","));
const runtimes = (values("--runtime").length ? values("--runtime") : ["deno", "bun", "node"]) as RuntimeName[];
const impls = (values("--impl").length ? values("--impl") : ["ours-native"]) as Impl[];
type PathName = "handshake" | "resume" | "keepalive" | "download" | "bytes" | "upload";
const paths =
  (values("--path").length
    ? values("--path")
    : ["handshake", "resume", "keepalive", "download", "bytes", "upload"]) as PathName[];
const seconds = Number(values("--seconds")[0] ?? 8);
const top = Number(values("--top")[0] ?? 25);
const OUT = `${ROOT}bench/results`;
const CA = `${ROOT}certs/out/ca.pem`;

const client = (args: string[]) => pinned(1, [BIN.bun, "bench/handshake_client.ts", ...args]);
const curl = (port: number) => ["curl", "-s", "--tlsv1.3", "--cacert", CA, "--resolve", `localhost:${port}:127.0.0.1`];

/** The load of one path, bounded by `secs`. */
async function load(path: PathName, port: number, secs: number, upFile: string): Promise<string> {
  switch (path) {
    case "handshake":
    case "resume":
      return (await run(
        client([path === "handshake" ? "full" : "resume", String(port), "16", String(secs)]),
        (secs + 60) * 1000,
      )).stdout
        .split("\n").at(-1) ?? "";
    case "keepalive":
      return (await run(
        pinned(1, ["wrk", "-t1", "-c32", `-d${secs}s`, `https://127.0.0.1:${port}/`]),
        (secs + 20) * 1000,
      )).stdout
        .split("\n").filter((l) => /requests in|Requests\/sec/.test(l)).join("; ");
    case "download": {
      const r = await run(
        pinned(1, [
          ...curl(port),
          "--max-time",
          String(secs),
          "-o",
          "/dev/null",
          "-w",
          "%{size_download} bytes %{speed_download} B/s",
          `https://localhost:${port}/stream/1000000000`,
        ]),
        (secs + 20) * 1000,
      );
      return r.stdout;
    }
    case "bytes": {
      // The body given whole as bytes (`new Response(bytes)`), 10 MiB, again and again on one connection.
      const t0 = performance.now();
      let got = 0;
      while ((performance.now() - t0) / 1000 < secs) {
        const url = `https://localhost:${port}/bytes/${10 << 20}`;
        const r = await run(
          pinned(1, [...curl(port), "-o", "/dev/null", "-w", "%{size_download}\n", url, "-o", "/dev/null", url]),
          60_000,
        );
        got += r.stdout.trim().split("\n").map(Number).reduce((a, b) => a + b, 0);
      }
      return `${got} bytes`;
    }
    case "upload": {
      const t0 = performance.now();
      let sent = 0;
      while ((performance.now() - t0) / 1000 < secs) {
        const r = await run(
          pinned(1, [
            ...curl(port),
            "--max-time",
            String(secs),
            "-X",
            "POST",
            "-H",
            "Expect:",
            "-T",
            upFile,
            "-o",
            "/dev/null",
            "-w",
            "%{size_upload}",
            `https://localhost:${port}/upload`,
          ]),
          (secs + 20) * 1000,
        );
        sent += Number(r.stdout.trim()) || 0;
      }
      return `${sent} bytes uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    }
  }
}

async function profileOne(runtime: RuntimeName, impl: Impl, path: PathName, upFile: string): Promise<string> {
  const name = `profile-${runtime}-${impl}-${path}`;
  const file = `${OUT}/${name}.cpuprofile`;
  const bunDir = `${OUT}/.bun-prof-${process.pid}`;
  const extra = runtime === "bun" ? ["--cpu-prof", `--cpu-prof-dir=${bunDir}`, "--cpu-prof-interval=250"] : [];
  const spawnedAt = performance.now();
  const server = start(pinned(0, runtimeCommand(runtime, "bench/server.ts", [impl, "0"], extra)));
  let summary = "";
  let window: [number, number] | undefined;
  try {
    const port = Number((await server.nextLine(/^READY \d+/, 60_000)).split(" ")[1]);
    await load(path, port, 1, upFile); // warm-up
    if (runtime !== "bun") {
      server.child.stdin!.write("profile-start\n");
      await server.nextLine(/^PROFILING/, 10_000);
    }
    const from = performance.now();
    summary = await load(path, port, seconds, upFile);
    window = [(from - spawnedAt) * 1000, (performance.now() - spawnedAt) * 1000];
    if (runtime !== "bun") {
      server.child.stdin!.write(`profile-stop ${file}\n`);
      await server.nextLine(/^PROFILED/, 30_000);
    }
  } finally {
    await server.stop(10_000);
  }
  if (runtime === "bun") {
    await sleep(200);
    const made = existsSync(bunDir) ? readdirSync(bunDir).filter((f) => f.endsWith(".cpuprofile")) : [];
    if (!made.length) throw new Error("bun wrote no profile");
    renameSync(`${bunDir}/${made[0]}`, file);
    rmSync(bunDir, { recursive: true, force: true });
  }
  const profile = JSON.parse(readFileSync(file, "utf8"));
  // Bun samples only while JS runs and from process start: count samples, inside the load's time window.
  const md = `# ${runtime} · ${impl} · ${path}\n\nload: ${summary.trim()}\n\n${
    summarize(profile, runtime === "bun" ? { byCount: true, window } : {})
  }`;
  writeFileSync(`${OUT}/${name}.md`, md);
  return md;
}

// ---- the summary ----

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, "").replace(ROOT, "");
  return u.replace(/^.*node_modules\//, "node_modules/");
}

const key = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  return url ? `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}` : functionName || "(anonymous)";
};

/** Self and inclusive shares by function, self share by file, over the non-idle samples. */
export function summarize(profile: CpuProfile, o: { byCount?: boolean; window?: [number, number] } = {}): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample weights: time deltas where present (sampling intervals vary), else hit counts.
  // With byCount, every sample weighs one interval; `window` keeps samples taken in [from, to] µs after the start.
  const weight = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    const deltas = profile.timeDeltas;
    let t = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      t += deltas[i] ?? 0;
      if (o.window && (t < o.window[0] || t > o.window[1])) continue;
      const w = o.byCount ? 1 : Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0);
      weight.set(profile.samples[i], (weight.get(profile.samples[i]) ?? 0) + w);
    }
  } else {
    for (const n of profile.nodes) weight.set(n.id, n.hitCount ?? 0);
  }
  let idle = 0, total = 0;
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, w] of weight) {
    const n = byId.get(id)!;
    total += w;
    if (n.callFrame.functionName === "(idle)") {
      idle += w;
      continue;
    }
    // A native frame (no script: node:crypto's `init`, Deno's `op_write`) is named with its nearest JS caller, and
    // counted to that caller's file.
    let caller: ProfileNode | undefined;
    if (!n.callFrame.url) {
      for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
        if (byId.get(cur)!.callFrame.url) {
          caller = byId.get(cur);
          break;
        }
      }
    }
    const vm = /^\(.*\)$/.test(n.callFrame.functionName);
    const k = caller && !vm ? `${n.callFrame.functionName || "(native)"} ← ${key(caller)}` : key(n);
    self.set(k, (self.get(k) ?? 0) + w);
    const where = n.callFrame.url ? n : vm ? undefined : caller;
    const file = where
      ? shortUrl(where.callFrame.url).replace(/^(node_modules\/(@[^/]+\/)?[^/]+)\/.*$/, "$1")
      : n.callFrame.functionName || "(native)";
    files.set(file, (files.get(file) ?? 0) + w);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = key(byId.get(cur)!);
      if (seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) ?? 0) + w);
    }
  }
  const busy = total - idle;
  const pct = (w: number) => `${((100 * w) / busy).toFixed(1)} %`;
  const rows = (m: Map<string, number>, n: number, filter: (k: string) => boolean = () => true) =>
    [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, w]) =>
      `| ${pct(w)} | \`${k}\` |`
    ).join("\n");
  const boring = (k: string) =>
    !/^\((root|program|idle)\)$/.test(k) && !/^(processTicksAndRejections|runMicrotasks|\(module\)) /.test(k);
  return [
    o.byCount
      ? `${busy} samples in the load window (Bun samples only while JS runs); shares are of the samples.`
      : `${(busy / 1000).toFixed(0)} ms of CPU sampled (${
        ((100 * idle) / total).toFixed(0)
      } % of the wall time idle); shares are of the busy time.`,
    "",
    "## Self time by function",
    "",
    "| self | function |",
    "|---:|---|",
    rows(self, top),
    "",
    "## Inclusive time by function (ours and packages)",
    "",
    "| inclusive | function |",
    "|---:|---|",
    rows(incl, top, (k) => boring(k) && /\s(src|node_modules|bench|examples)\//.test(k)),
    "",
    "## Self time by file (native calls counted to the file that made them)",
    "",
    "| self | file |",
    "|---:|---|",
    rows(files, 15),
    "",
  ].join("\n");
}

async function main() {
  const again = values("--summarize");
  if (again.length) {
    // Re-summarizes saved profiles (Deno and Node ones: Bun's need the load window, kept only in the .md).
    for (const f of again) console.log(`# ${f}\n\n${summarize(JSON.parse(readFileSync(f, "utf8")))}`);
    return;
  }
  await ensureDevCerts(undefined, { log: (l) => console.error(l) });
  mkdirSync(OUT, { recursive: true });
  const upFile = `${OUT}/.upload-${process.pid}.bin`;
  writeFileSync(upFile, new Uint8Array(50e6).map((_, i) => i & 0xff));
  try {
    for (const runtime of runtimes) {
      for (const impl of impls) {
        for (const path of paths) {
          console.error(`profiling ${runtime} ${impl} ${path} (${seconds} s)`);
          try {
            console.log(await profileOne(runtime, impl, path, upFile));
          } catch (e) {
            console.log(`# ${runtime} · ${impl} · ${path}\n\nfailed: ${(e as Error).message}\n`);
          }
        }
      }
    }
  } finally {
    rmSync(upFile, { force: true });
  }
}

if ((import.meta as any).main ?? true) {
  await main();
  process.exit(0);
}

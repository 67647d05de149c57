/**
 * The tables of bench/run.ts: one row per server with its raw numbers, and the ratios of ours against the runtime's
 * native TLS server (and lemon-tls on Node) next to the bar of issue 11.
 */
import type { Impl, RuntimeName } from "./lib.ts";
import type { BulkRow, HandshakeRow, IdleRow, KeepAliveRow, RequestKind } from "./rows.ts";

/** What the AEAD path alone does on this runtime (bench/aead_ceiling.ts). */
export interface AeadCeiling {
  provider: string;
  aead: string;
  sealMbPerCpuSecond: number;
  openMbPerCpuSecond: number;
}

export interface ServerResult {
  runtime: RuntimeName;
  impl: Impl;
  server: string;
  rssIdleKiB: number;
  rssPeakKiB: number;
  /** CPU shares (%) busy with other processes just before this server was measured, and the wait for quiet. */
  before?: { waited: number; cpu0: number; cpu1: number };
  /** VmHWM (KiB) after each phase, to tell which phase set the peak. */
  peakAfter: Record<string, number>;
  /** Keep-alive requests, one row per kind of response body. */
  requests: Partial<Record<RequestKind, KeepAliveRow>>;
  full?: HandshakeRow;
  resumed?: HandshakeRow;
  idle?: IdleRow;
  /** A streamed body (`/stream/N`) and a body given as bytes (`/bytes/N`, several times on one connection). */
  download?: BulkRow;
  downloadBytes?: BulkRow;
  upload?: BulkRow;
  error?: string;
}

const f = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : n >= 10000 && digits === 0
    ? `${(n / 1000).toFixed(1)}k`
    : n.toFixed(digits);
const mib = (kib: number) => f(kib / 1024);

export const LABEL: Record<Impl, string> = {
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

function bulkCell(b: BulkRow | undefined): string {
  if (!b) return "–";
  if (b.status !== "ok") return "failed";
  return `${f(b.mbPerCpuSecond)} (${f(b.mbPerSecond)})`;
}

function markdown(head: string[], rows: string[][]): string {
  return [head, head.map(() => "---"), ...rows].map((c) => `| ${c.join(" | ")} |`).join("\n");
}

/** Raw numbers: server CPU per unit of work first (what to compare), rates in parentheses. */
export function table(results: ServerResult[]): string {
  const head = [
    "server",
    "µs CPU / req: text (req/s)",
    "json",
    "bytes 1 KiB",
    "stream 1 KiB",
    "µs CPU / full hs (hs/s)",
    "µs CPU / resumed (/s)",
    "download stream: MB / CPU-s (MB/s)",
    "download bytes",
    "upload",
    "RSS idle / peak MiB",
    "MiB / 1k idle conns: RSS (JS heap)",
  ];
  const req = (r: ServerResult, k: RequestKind, rate = false) => {
    const row = r.requests[k];
    if (!row) return "–";
    const bad = row.errors || row.non2xx ? "!" : "";
    return rate ? `${f(row.cpuUsPerRequest, 1)}${bad} (${f(row.reqPerSec)})` : `${f(row.cpuUsPerRequest, 1)}${bad}`;
  };
  const rows = results.map((r) => [
    `${LABEL[r.impl]}: ${r.server}`,
    req(r, "text", true),
    req(r, "json"),
    req(r, "bytes"),
    req(r, "stream"),
    `${hsCell(r.full, "cpu")} (${hsCell(r.full, "rate")})`,
    `${hsCell(r.resumed, "cpu")} (${hsCell(r.resumed, "rate")})`,
    bulkCell(r.download),
    bulkCell(r.downloadBytes),
    bulkCell(r.upload),
    `${mib(r.rssIdleKiB)} / ${mib(r.rssPeakKiB)}`,
    r.idle?.status === "ok" ? `${f(r.idle.mibPer1000, 1)} (${f(r.idle.jsMibPer1000, 1)})` : "–",
  ]);
  return markdown(head, rows);
}

export interface Ratio {
  metric: string;
  impl: Impl;
  /** ours against the reference on server CPU per unit of work (bulk and memory: as the target states it). */
  ratio: number;
  target: string;
  met: boolean | null;
}

const okHs = (h?: HandshakeRow) => (h?.status === "ok" ? h.cpuUsPerConnection : NaN);
const okBulk = (b?: BulkRow) => (b?.status === "ok" ? b.mbPerCpuSecond : NaN);

/** One ratio with its target: `limit` is the largest (or, with `atLeast`, the smallest) ratio that meets it. */
function check(metric: string, impl: Impl, ratio: number, limit: number, atLeast = false): Ratio {
  const target = atLeast ? `≥ ${limit}×` : `≤ ${limit}×`;
  const met = Number.isFinite(ratio) ? (atLeast ? ratio >= limit : ratio <= limit) : null;
  return { metric, impl, ratio, target, met };
}

/**
 * The bar of issue 11, per server of ours against the runtime's native server: keep-alive CPU per request ≤ 2× (and
 * on Node ≤ 0.5× lemon-tls's), full handshake ≤ 2× (below 1× on Node), resumption below a native full handshake,
 * bulk ≥ 0.5× native MB per CPU-second (on Deno ≥ 0.8× of what the AEAD alone does), peak RSS ≤ 2×, RSS per idle
 * connection ≤ 1.5×.
 */
export function ratios(results: ServerResult[], ceiling: AeadCeiling | null): Ratio[] {
  const native = results.find((r) => r.impl === "native");
  const lemon = results.find((r) => r.impl === "lemon");
  if (!native) return [];
  const runtime = native.runtime;
  const out: Ratio[] = [];
  for (const r of results) {
    if (r.impl !== "ours-native" && r.impl !== "ours-noble") continue;
    for (const kind of Object.keys(r.requests) as RequestKind[]) {
      const ours = r.requests[kind]?.cpuUsPerRequest ?? NaN;
      out.push(
        check(
          `keep-alive ${kind}: CPU per request vs native`,
          r.impl,
          ours / (native.requests[kind]?.cpuUsPerRequest ?? NaN),
          2,
        ),
      );
      if (lemon) {
        const theirs = lemon.requests[kind]?.cpuUsPerRequest ?? NaN;
        out.push(check(`keep-alive ${kind}: CPU per request vs lemon-tls`, r.impl, ours / theirs, 0.5));
      }
    }
    out.push(
      check("full handshake: CPU vs native", r.impl, okHs(r.full) / okHs(native.full), runtime === "node" ? 1 : 2),
    );
    if (lemon) out.push(check("full handshake: CPU vs lemon-tls", r.impl, okHs(r.full) / okHs(lemon.full), 0.5));
    const resumed = r.resumed?.status === "ok" && !r.resumed.reason ? r.resumed.cpuUsPerConnection : NaN;
    out.push(check("resumed handshake: CPU vs native full", r.impl, resumed / okHs(native.full), 1));
    for (
      const [name, ours, theirs] of [
        ["download stream", r.download, native.download],
        ["download bytes", r.downloadBytes, native.downloadBytes],
        ["upload", r.upload, native.upload],
      ] as const
    ) {
      out.push(check(`${name}: MB per CPU-second vs native`, r.impl, okBulk(ours) / okBulk(theirs), 0.5, true));
      if (runtime === "deno" && ceiling) {
        const alone = name === "upload" ? ceiling.openMbPerCpuSecond : ceiling.sealMbPerCpuSecond;
        out.push(check(`${name}: MB per CPU-second vs the AEAD alone`, r.impl, okBulk(ours) / alone, 0.8, true));
      }
    }
    out.push(check("peak RSS under load vs native", r.impl, r.rssPeakKiB / native.rssPeakKiB, 2));
    const idle = (x?: IdleRow) => (x?.status === "ok" ? x.mibPer1000 : NaN);
    out.push(check("RSS per 1,000 idle connections vs native", r.impl, idle(r.idle) / idle(native.idle), 1.5));
  }
  return out;
}

export function ratioTable(rs: Ratio[]): string {
  const rows = rs.map((r) => [
    r.metric,
    LABEL[r.impl],
    f(r.ratio, 2),
    r.target,
    r.met === null ? "n/a" : r.met ? "yes" : "no",
  ]);
  return markdown(["metric", "server", "ratio", "target", "met"], rows);
}

/** Everything that went wrong or disturbed a reading, one line each. */
export function notes(results: ServerResult[]): string[] {
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
    const bulk = [["download", r.download], ["download bytes", r.downloadBytes], ["upload", r.upload], [
      "idle",
      r.idle,
    ]];
    for (const [name, row] of bulk as [string, BulkRow | IdleRow | undefined][]) {
      if (row?.reason) out.push(`${who} ${name}: ${row.reason}`);
    }
    for (const [kind, row] of Object.entries(r.requests)) {
      if (row && (row.errors || row.non2xx)) {
        out.push(`${who} keep-alive ${kind}: socket errors (${row.errorDetail}), ${row.non2xx} non-2xx`);
      }
    }
    const phases = [...Object.values(r.requests), r.full, r.resumed, r.download, r.downloadBytes, r.upload];
    const busy = phases.map((p) => p?.cpu0OtherPct ?? NaN).filter(Number.isFinite);
    if (busy.length && Math.max(...busy) > 10) {
      out.push(
        `${who}: other processes used up to ${f(Math.max(...busy))} % of CPU 0 during a phase (numbers disturbed)`,
      );
    }
  }
  return out;
}

/** Problems that mean our server did not do its work: what the bench smoke test (tests/tools) fails on. */
export function failures(results: ServerResult[], expectRows: string[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const who = `${r.runtime} ${LABEL[r.impl]}`;
    if (r.error) out.push(`${who}: ${r.error}`);
    const present: Record<string, unknown> = {
      keepalive: Object.keys(r.requests).length === 4 ? r.requests : undefined,
      full: r.full,
      resumed: r.resumed,
      idle: r.idle,
      download: r.download && r.downloadBytes,
      upload: r.upload,
    };
    for (const row of expectRows) if (!present[row]) out.push(`${who}: row ${row} did not run`);
    if (r.impl !== "ours-native" && r.impl !== "ours-noble") continue;
    for (const [kind, row] of Object.entries(r.requests)) {
      if (!row || row.requests === 0 || row.errors || row.non2xx) {
        out.push(
          `${who} keep-alive ${kind}: ${row?.requests} requests, ${row?.non2xx} non-2xx, errors: ${row?.errorDetail}`,
        );
      }
    }
    for (const [name, row] of [["full", r.full], ["resumed", r.resumed]] as const) {
      if (row && (row.status !== "ok" || row.errors > 0)) {
        out.push(`${who} ${name}: ${row.status}, ${row.errors} errors`);
      }
    }
    for (const [name, row] of [["download", r.download], ["download bytes", r.downloadBytes], ["upload", r.upload]]) {
      if (row && (row as BulkRow).status !== "ok") out.push(`${who} ${name}: ${(row as BulkRow).reason}`);
    }
    if (r.idle && r.idle.status !== "ok") out.push(`${who} idle: ${r.idle.reason}`);
  }
  return out;
}

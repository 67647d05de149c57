/**
 * The round-trip lab's results as a text table and as an SVG bar chart (bench/rtt/lab.ts writes both).
 */
import type { LabResult } from "./lab.ts";

export function formatTable(r: LabResult): string {
  const head = ["scenario", "server", "client", "RTTs", "before req", "expected", "TTFB ms", "TTFB/RTT", "check"];
  const lines = r.rows.map((x) => [
    x.label,
    x.server,
    x.client,
    x.roundTrips?.toString() ?? "-",
    x.setupRoundTrips?.toString() ?? "-",
    String(x.expected),
    x.medianTtfbMs?.toFixed(1) ?? "-",
    x.ttfbRtt?.toFixed(2) ?? "-",
    x.pending ? `pending: ${x.pending}` : x.problems.length ? x.problems.join("; ") : "ok",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [
    `one-way delay ${r.delayMs} ms (RTT ${r.rttMs} ms), median of ${r.runs} run(s)`,
    fmt(head),
    fmt(widths.map((w) => "-".repeat(w))),
    ...lines.map(fmt),
    `RTTs: ${r.counting}`,
  ].join("\n");
}

const COLORS: Record<string, string> = {
  "node-tls12": "#9e9e9e",
  "node-tls13": "#607d8b",
  full: "#2e7d32",
  resumed: "#66bb6a",
  hrr: "#f9a825",
  "0rtt": "#1565c0",
};

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A horizontal bar per measured row (median TTFB), with round-trip gridlines. Keep in step with examples/rtt.html. */
export function renderSvg(r: LabResult): string {
  const rows = r.rows.filter((x) => x.medianTtfbMs !== null);
  const [W, left, right, top, rowH] = [960, 300, 130, 64, 28];
  const H = top + rows.length * rowH + 44;
  const ticks = Math.max(1, Math.ceil(Math.max(0, ...rows.map((x) => x.medianTtfbMs!)) / r.rttMs));
  const x = (ms: number) => left + (ms / (ticks * r.rttMs)) * (W - left - right);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui,sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">Time to first response byte, ${r.delayMs} ms each way (1 RTT = ${r.rttMs} ms)</text>`,
    `<text x="16" y="44" fill="#555">median of ${r.runs} run(s), ${
      esc(r.date.slice(0, 10))
    }; label: ms · round trips counted (TCP + TLS + request)</text>`,
  ];
  for (let k = 0; k <= ticks; k++) {
    const gx = x(k * r.rttMs).toFixed(1);
    out.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${H - 36}" stroke="#ddd" stroke-dasharray="${k ? "4 3" : ""}"/>`,
    );
    out.push(`<text x="${gx}" y="${H - 20}" text-anchor="middle" fill="#555">${k} RTT</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const color = COLORS[row.server.startsWith("node") ? row.server : row.mode];
    const w = Math.max(1, x(row.medianTtfbMs!) - left);
    out.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(`${row.label} · ${row.client}`)}</text>`);
    out.push(`<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${color}" rx="2"/>`);
    const note = `${row.medianTtfbMs!.toFixed(0)} ms · ${row.roundTrips ?? "?"} RTT${
      row.problems.length ? " (!)" : ""
    }`;
    out.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 17}">${note}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

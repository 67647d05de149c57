/**
 * The round-trip lab: time to first response byte through a delay proxy (bench/rtt/delay_proxy.ts), for TLS 1.2
 * full and resumed handshakes, the runtime's native TLS 1.3, and our TLS 1.3 server's full handshake,
 * HelloRetryRequest, resumption and 0-RTT, with the round trips counted from the flights the proxy captured.
 *
 *   deno task rtt [--quick] [--delay MS] [--runs N] [--out DIR] [--only ID,ID] [--verbose]
 *
 * `--quick`: one run per scenario at 20 ms. Default: 5 runs at 50 ms. Writes `<out>/rtt-<date>.json` and `.svg`
 * (default out: bench/results/) and prints the table; `--verbose` prints the flights of each scenario's first run.
 *
 * What is measured: the clock starts when the proxy accepts the client's TCP connection (the client's connect() on
 * loopback) and stops when the client has the first byte of the HTTP response. Round trips: a client flight
 * followed by a server flight, counted in the proxy's capture up to the server flight that carried that byte. The
 * proxy emulates TCP's SYN/SYN-ACK (it holds the client's bytes for one round trip), and that counts as one; so does
 * the request/response exchange itself. "before request" is that count minus the request's own round trip: the
 * round trips spent before the request could leave the client.
 *
 * Servers: Node's `https` (the runtime's native TLS, limited to TLS 1.2 or not), and serve() with the
 * examples/hello.ts app (this file run with `--serve`). Clients: Node's `tls`, `openssl s_client`, and our
 * connectTls. Every server, client and proxy is stopped at the end, also on Ctrl-C.
 */
import process from "node:process";
import { type DevCerts, ensureDevCerts } from "../../certs/generate.ts";
import type { GroupName } from "../../src/crypto/provider.ts";
import { connectTls, type ConnectTlsOptions } from "../../src/io/tls_connect.ts";
import {
  type Capture,
  countRoundTrips,
  type DelayProxy,
  describeFlights,
  type Flight,
  flights,
  startDelayProxy,
} from "./delay_proxy.ts";

type ServerName = "node-tls12" | "node-tls13" | "ours" | "ours-p256";
type ClientName = "node" | "openssl" | "ours";
type Mode = "full" | "resumed" | "hrr" | "0rtt";

export interface Scenario {
  id: string;
  label: string;
  server: ServerName;
  client: ClientName;
  mode: Mode;
  /** Round trips to the first response byte, counting TCP's and the request's own. */
  expected: number;
  /** Why this row is not measured (yet). */
  pending?: string;
}

/** id, label, server, client, mode, expected round trips (TCP + TLS + request). */
const SCENARIOS: Scenario[] = ([
  ["tls12-full", "TLS 1.2 full (Node native)", "node-tls12", "node", "full", 4],
  ["tls12-resumed", "TLS 1.2 resumed (Node native)", "node-tls12", "node", "resumed", 3],
  ["native13-full", "TLS 1.3 full (Node native)", "node-tls13", "node", "full", 3],
  ["native13-resumed", "TLS 1.3 resumed (Node native)", "node-tls13", "node", "resumed", 3],
  ["ours-full@ours", "ours: TLS 1.3 full", "ours", "ours", "full", 3],
  ["ours-full@openssl", "ours: TLS 1.3 full", "ours", "openssl", "full", 3],
  ["ours-hrr@ours", "ours: HelloRetryRequest", "ours-p256", "ours", "hrr", 4],
  ["ours-hrr@openssl", "ours: HelloRetryRequest", "ours-p256", "openssl", "hrr", 4],
  ["ours-resumed@openssl", "ours: resumed", "ours", "openssl", "resumed", 3],
  ["ours-resumed@node", "ours: resumed", "ours", "node", "resumed", 3],
  ["ours-0rtt@openssl", "ours: 0-RTT", "ours", "openssl", "0rtt", 2],
  // Whether our client resumes and sends 0-RTT is found out when the lab runs (see ourRequest()).
  ["ours-resumed@ours", "ours: resumed", "ours", "ours", "resumed", 3],
  ["ours-0rtt@ours", "ours: 0-RTT", "ours", "ours", "0rtt", 2],
] as const).map(([id, label, server, client, mode, expected]) => ({ id, label, server, client, mode, expected }));

/** A row this machine or this version of the code cannot measure: shown as pending, with the reason. */
class NotSupported extends Error {}

const REQUEST = "GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
const enc = new TextEncoder();
const dec = new TextDecoder();

/** What the server said about the connection in its JSON body (ours: env.tls; Node: its own fields). */
interface ServerView {
  protocol: string | null;
  resumed: boolean | null;
  earlyData: boolean | null;
  group: string | null;
}

export interface Run {
  ttfbMs: number;
  roundTrips: number | null;
  flights: Flight[];
  server: ServerView | null;
  /** Why this run does not show what the scenario claims (not resumed, early data rejected, no HRR), or null. */
  problem: string | null;
}

export interface Row extends Scenario {
  runs: Run[];
  medianTtfbMs: number | null;
  /** The median TTFB in round trips: ms / (2 × delay). */
  ttfbRtt: number | null;
  /** The count seen most often over the runs. */
  roundTrips: number | null;
  setupRoundTrips: number | null;
  problems: string[];
}

export interface LabResult {
  date: string;
  delayMs: number;
  rttMs: number;
  runs: number;
  counting: string;
  versions: Record<string, string>;
  rows: Row[];
}

const COUNTING = "round trips to the first response byte, counting TCP's handshake (emulated SYN/SYN-ACK) as one and " +
  "the request/response as one; 'before request' leaves out the latter. TTFB from the proxy's accept of the client.";

// ----- processes -----

/** A child process whose stdout is kept with the time each chunk arrived. */
class Proc {
  readonly chunks: { at: number; text: string }[] = [];
  stderr = "";
  readonly exited: Promise<number>;
  readonly #proc: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #notify: (() => void)[] = [];
  static readonly all = new Set<Proc>();

  constructor(argv: string[], env: Record<string, string> = {}) {
    const proc = new Deno.Command(argv[0], {
      args: argv.slice(1),
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    })
      .spawn();
    this.#proc = proc;
    this.#stdin = proc.stdin.getWriter();
    Proc.all.add(this);
    const [outText, errText] = [new TextDecoder(), new TextDecoder()];
    const out = (async () => {
      for await (const c of proc.stdout) {
        this.chunks.push({ at: performance.now(), text: outText.decode(c, { stream: true }) });
        this.#wake();
      }
    })();
    const err = (async () => {
      for await (const c of proc.stderr) this.stderr += errText.decode(c, { stream: true });
    })();
    this.exited = Promise.all([proc.status, out, err]).then(([s]) => {
      Proc.all.delete(this);
      this.#wake();
      return s.code;
    });
  }

  get text(): string {
    return this.chunks.map((c) => c.text).join("");
  }

  /** The time the chunk holding text offset `i` arrived. */
  timeAt(i: number): number {
    let end = 0;
    for (const c of this.chunks) if ((end += c.text.length) > i) return c.at;
    return NaN;
  }

  /** Resolves with the match once stdout matches `re` (rejects after `ms`, or if the process exits first). */
  async waitFor(re: RegExp, ms = 15_000): Promise<RegExpExecArray> {
    const deadline = performance.now() + ms;
    let exited = false;
    this.exited.then(() => (exited = true));
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      if (exited || performance.now() > deadline) {
        throw new Error(`no ${re} in the output of the child:\n${this.text}\n${this.stderr}`.slice(0, 4000));
      }
      await new Promise<void>((r) => {
        this.#notify.push(r);
        setTimeout(r, 200);
      });
    }
  }

  async write(text: string): Promise<void> {
    await this.#stdin.write(enc.encode(text)).catch(() => {});
  }

  /** Waits up to `ms` for the exit, then kills. */
  async stop(ms = 0): Promise<void> {
    const timer = setTimeout(() => this.kill(), ms);
    await this.#stdin.close().catch(() => {});
    if (ms === 0) this.kill();
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    try {
      this.#proc.kill("SIGKILL");
    } catch { /* gone */ }
  }

  #wake(): void {
    for (const r of this.#notify.splice(0)) r();
  }
}

const NODE_SERVER = `
const https = require("node:https"), fs = require("node:fs");
const c = JSON.parse(process.env.RTT_CONFIG);
const srv = https.createServer({ key: fs.readFileSync(c.key), cert: fs.readFileSync(c.cert), maxVersion: c.maxVersion },
  (req, res) => {
    const body = JSON.stringify({ protocol: req.socket.getProtocol(), resumed: req.socket.isSessionReused() });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
srv.listen(0, "127.0.0.1", () => console.log("LISTENING " + srv.address().port));`;

/** Connection 0 goes straight to the server, unmeasured: it warms up the JIT and gets a session. 1..count: via proxy. */
const NODE_CLIENT = `
const tls = require("node:tls"), fs = require("node:fs");
const c = JSON.parse(process.env.RTT_CONFIG);
const ca = fs.readFileSync(c.ca);
let session;
const one = (port, n) => new Promise((resolve, reject) => {
  const s = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost", maxVersion: c.maxVersion,
    session: c.resume ? session : undefined });
  let text = "";
  s.on("session", (x) => (session = x));
  s.on("secureConnect", () => s.write(c.request));
  s.on("data", (d) => {
    if (text === "" && n > 0) console.log("FIRSTBYTE " + n + " " + JSON.stringify({ reused: s.isSessionReused() }));
    text += d;
  });
  s.on("error", reject);
  s.on("close", () => (n > 0 && console.log("BODY " + n + " " + JSON.stringify(text)), resolve()));
});
(async () => {
  await one(c.directPort, 0);
  for (let n = 1; n <= c.count; n++) await one(c.proxyPort, n);
  console.log("DONE");
})().catch((e) => { console.log("ERROR " + e.message); process.exit(1); });`;

interface Ctx {
  certs: DevCerts;
  delayMs: number;
  runs: number;
  scratch: string;
  servers: Map<ServerName, { port: number; proxy: DelayProxy }>;
}

async function startServer(name: ServerName, certs: DevCerts): Promise<number> {
  const { cert, key } = certs.server["ecdsa-p256"];
  const proc = name.startsWith("node")
    ? new Proc(["node", "-e", NODE_SERVER], {
      RTT_CONFIG: JSON.stringify({ cert, key, maxVersion: name === "node-tls12" ? "TLSv1.2" : "TLSv1.3" }),
    })
    : new Proc([Deno.execPath(), "run", "-A", new URL(import.meta.url).pathname, "--serve", name]);
  return Number((await proc.waitFor(/^LISTENING (\d+)/m, 60_000))[1]);
}

/** `--serve ours|ours-p256`: the examples/hello.ts app under serve(), tickets and 0-RTT on. */
async function serveRole(name: string): Promise<void> {
  const { serve } = await import("../../mod.ts");
  type TlsBindings = import("../../mod.ts").TlsBindings;
  const { app } = await import("../../examples/hello.ts");
  const certs = await ensureDevCerts();
  const { cert, key } = certs.server["ecdsa-p256"];
  const groups: GroupName[] | undefined = name === "ours-p256" ? ["secp256r1"] : undefined;
  const tls = { cert: { path: cert }, key: { path: key }, groups, earlyData: {} };
  const fetch = (request: Request, env: TlsBindings) => app.fetch(request, env);
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1", tls, onListen: () => {} });
  await server.ready;
  // Warm up the JIT on the paths the lab measures (a long-running server is warm), then tell the lab.
  await ourRequest(server.addr.port, certs.ca.cert, { hrr: name === "ours-p256" });
  console.log(`LISTENING ${server.addr.port}`);
}

// ----- clients -----

/** Round trips, TTFB and what the server said, for one measured connection. */
function measured(s: Scenario, capture: Capture, firstByteAt: number, output: string, extra: string | null): Run {
  const server = serverView(output);
  const problem = extra ?? checkRun(s, server);
  return {
    ttfbMs: round(firstByteAt - capture.acceptedAt),
    roundTrips: countRoundTrips(capture, firstByteAt),
    flights: flights(capture),
    server,
    problem,
  };
}

/** The JSON body of the first response in `output` (its Content-Length long: openssl prints more right after it). */
function serverView(output: string): ServerView | null {
  const end = output.indexOf("\r\n\r\n");
  const length = output.slice(0, end).match(/^content-length: *(\d+)/im);
  if (end < 0 || !length) return null;
  try {
    const b = JSON.parse(output.slice(end + 4, end + 4 + Number(length[1])));
    const t = b.tls ?? b;
    return {
      protocol: t.version ?? t.protocol ?? null,
      resumed: t.resumed ?? null,
      earlyData: t.earlyData ?? null,
      group: t.group ?? null,
    };
  } catch {
    return null;
  }
}

function checkRun(s: Scenario, v: ServerView | null): string | null {
  if (!v) return "no JSON body in the response";
  const want = s.server === "node-tls12" ? "TLSv1.2" : "TLSv1.3";
  if (v.protocol !== want) return `protocol ${v.protocol}, not ${want}`;
  if ((s.mode === "resumed" || s.mode === "0rtt") !== v.resumed) return v.resumed ? "resumed" : "not resumed";
  if (s.mode === "0rtt" && v.earlyData !== true) return "the request did not arrive as early data";
  if (s.mode !== "0rtt" && v.earlyData === true) return "the request arrived as early data";
  // The client offered an X25519 share only, so the server can have P-256 only after a HelloRetryRequest.
  if (s.mode === "hrr" && v.group !== "secp256r1") return `group ${v.group}: no HelloRetryRequest`;
  return null;
}

async function settle(capture: Capture): Promise<void> {
  await Promise.race([capture.closed, new Promise((r) => setTimeout(r, 3000))]);
}

interface OurOptions {
  /** Offer one share (X25519) to a server that only takes P-256. */
  hrr?: boolean;
  /** Use connectTls's session cache (the process-wide default); otherwise `sessionCache: false`. */
  resume?: boolean;
  /** Hand the request to connectTls as `earlyData` (0-RTT when the cached ticket allows it). */
  early?: boolean;
}

/**
 * One request over connectTls: when its first response byte arrived, the response, and what the client saw.
 * `sessionCache` and `earlyData` are newer than this lab: a connectTls without them ignores them (it then does
 * not resume, and the request goes after the handshake), and the resumed and 0-RTT rows of our client say so.
 */
async function ourRequest(port: number, ca: string, o: OurOptions = {}, onFirstByte?: (seen: object) => void) {
  const early = o.early ? enc.encode(REQUEST) : undefined;
  const conn = await connectTls({
    hostname: "127.0.0.1",
    port,
    servername: "localhost",
    ca,
    alpn: ["http/1.1"],
    keyShareGroups: o.hrr ? ["x25519"] : undefined,
    sessionCache: o.resume ? undefined : false,
    earlyData: early,
  } as ConnectTlsOptions);
  if (!early || !("earlyDataOffered" in conn.info)) {
    const writer = conn.writable.getWriter();
    await writer.write(enc.encode(REQUEST));
    writer.releaseLock();
  }
  let at = NaN;
  let text = "";
  const seen = () => ({
    hrr: conn.info.helloRetryRequest,
    resumed: conn.info.resumed,
    early: conn.info.earlyDataAccepted,
  });
  for await (const chunk of conn.readable) {
    if (Number.isNaN(at)) {
      at = performance.now();
      // The lab times this line: print it at the first byte, as the Node client does, not at the end.
      onFirstByte?.(seen());
    }
    text += dec.decode(chunk, { stream: true });
  }
  await conn.close().catch(() => {});
  return { at, text, seen: seen() };
}

/**
 * `--client JSON`: our client in its own process (so that its JavaScript crypto does not hold up the proxy's
 * timers), printing FIRSTBYTE/BODY lines as the Node client does. A first connection straight to the server warms
 * up the JIT, as a long-running client would be; to resume, one more through the proxy fills the session cache
 * (its tickets are kept per host and port), and the lab skips it ("PRIMED").
 */
async function ourClientRole(json: string): Promise<void> {
  const c = JSON.parse(json);
  await ourRequest(c.directPort, c.ca, { hrr: c.hrr });
  if (c.resume) {
    await ourRequest(c.proxyPort, c.ca, { resume: true });
    console.log("PRIMED");
  }
  for (let n = 1; n <= c.count; n++) {
    const r = await ourRequest(c.proxyPort, c.ca, { hrr: c.hrr, resume: c.resume, early: c.early }, (seen) => {
      console.log(`FIRSTBYTE ${n} ${JSON.stringify(seen)}`);
    });
    console.log(`BODY ${n} ${JSON.stringify(r.text)}`);
  }
  console.log("DONE");
}

async function runOpenssl(s: Scenario, ctx: Ctx, port: number, proxy: DelayProxy): Promise<Run> {
  const sess = `${ctx.scratch}/${s.id.replace(/\W/g, "_")}.pem`;
  const base = [
    "openssl",
    "s_client",
    "-servername",
    "localhost",
    "-verify_return_error",
    "-CAfile",
    ctx.certs.ca.cert,
  ];
  if (s.mode === "resumed" || s.mode === "0rtt") {
    const prime = new Proc([...base, "-connect", `127.0.0.1:${port}`, "-sess_out", sess]);
    await prime.write(REQUEST);
    await prime.waitFor(/^HTTP\/1\.1 \d{3}[\s\S]*\r?\n\r?\n.*\}/m);
    await prime.stop(3000);
  }
  const args = [...base, "-connect", `127.0.0.1:${proxy.port}`];
  // OpenSSL sends a key share for the first group only.
  if (s.mode === "hrr") args.push("-groups", "X25519:P-256");
  if (s.mode === "resumed") args.push("-sess_in", sess);
  if (s.mode === "0rtt") args.push("-sess_in", sess, "-early_data", `${ctx.scratch}/request.txt`);
  const index = proxy.captures.length;
  const client = new Proc(args);
  if (s.mode !== "0rtt") await client.write(REQUEST);
  const m = await client.waitFor(/^HTTP\/1\.1 \d{3}/m);
  const at = client.timeAt(m.index);
  const capture = proxy.captures[index];
  await client.waitFor(/^HTTP\/1\.1 \d{3}[\s\S]*\r?\n\r?\n.*\}/m).catch(() => {});
  await client.stop(5000);
  await settle(capture);
  const out = client.text;
  let extra: string | null = null;
  if (s.mode === "0rtt" && !/Early data was accepted/.test(out)) extra = "openssl: early data not accepted";
  if (s.mode === "resumed" && !/^Reused, /m.test(out)) extra = "openssl: not resumed";
  return measured(s, capture, at, out.slice(m.index), extra);
}

/** Runs the Node client or ours (each prints FIRSTBYTE n / BODY n lines), one process for all runs. */
async function runChild(s: Scenario, ctx: Ctx, port: number, proxy: DelayProxy): Promise<Run[]> {
  const start = proxy.captures.length;
  const config = {
    ca: ctx.certs.ca.cert,
    maxVersion: s.server === "node-tls12" ? "TLSv1.2" : "TLSv1.3",
    resume: s.mode === "resumed" || s.mode === "0rtt",
    early: s.mode === "0rtt",
    hrr: s.mode === "hrr",
    directPort: port,
    proxyPort: proxy.port,
    count: ctx.runs,
    request: REQUEST,
  };
  const client = s.client === "node"
    ? new Proc(["node", "-e", NODE_CLIENT], { RTT_CONFIG: JSON.stringify(config) })
    : new Proc([Deno.execPath(), "run", "-A", new URL(import.meta.url).pathname, "--client", JSON.stringify(config)]);
  await client.waitFor(/^(DONE|ERROR.*)$/m, 20_000 + ctx.runs * 5000);
  await client.stop(2000);
  const text = client.text;
  const runs: Run[] = [];
  const primed = /^PRIMED$/m.test(text) ? 1 : 0;
  for (const m of text.matchAll(/^FIRSTBYTE (\d+) (.*)$/gm)) {
    const capture = proxy.captures[start + primed + Number(m[1]) - 1];
    await settle(capture);
    const seen = JSON.parse(m[2]);
    let extra = seen.reused !== undefined && seen.reused !== (s.mode === "resumed")
      ? `node client: reused=${seen.reused}`
      : null;
    if (seen.hrr !== undefined && seen.hrr !== (s.mode === "hrr")) extra = `our client: helloRetryRequest=${seen.hrr}`;
    if (s.client === "ours" && s.mode === "0rtt" && !seen.early) extra = "our client: early data not accepted";
    const body = text.match(new RegExp(`^BODY ${m[1]} (.*)$`, "m"));
    runs.push(measured(s, capture, client.timeAt(m.index!), body ? JSON.parse(body[1]) : "", extra));
  }
  if (runs.length === 0) throw new Error(`${s.client} client: ${text}${client.stderr}`.slice(0, 2000));
  if (s.client === "ours" && config.resume && !text.includes(`"resumed":true`)) {
    throw new NotSupported("connectTls did not resume: no session cache in this version");
  }
  return runs;
}

async function runScenario(s: Scenario, ctx: Ctx): Promise<Run[]> {
  const { port, proxy } = ctx.servers.get(s.server)!;
  if (s.client !== "openssl") return await runChild(s, ctx, port, proxy);
  const runs: Run[] = [];
  for (let i = 0; i < ctx.runs; i++) runs.push(await runOpenssl(s, ctx, port, proxy));
  return runs;
}

// ----- summary and output -----

function summarize(s: Scenario, runs: Run[], delayMs: number): Row {
  const ms = runs.map((r) => r.ttfbMs).sort((a, b) => a - b);
  const median = ms.length === 0
    ? null
    : ms.length % 2
    ? ms[(ms.length - 1) / 2]
    : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
  const counts = runs.map((r) => r.roundTrips).filter((x): x is number => x !== null);
  const mode = counts.length === 0
    ? null
    : counts.reduce((best, x) => (counts.filter((y) =>
        y === x
      ).length > counts.filter((y) => y === best).length
      ? x
      : best)
    );
  return {
    ...s,
    runs,
    medianTtfbMs: median === null ? null : round(median),
    ttfbRtt: median === null ? null : Math.round((median / (2 * delayMs)) * 100) / 100,
    roundTrips: mode,
    setupRoundTrips: mode === null ? null : mode - 1,
    problems: [...new Set(runs.map((r) => r.problem).filter((p): p is string => p !== null))].map((p) =>
      `${runs.filter((r) => r.problem === p).length}/${runs.length} runs: ${p}`
    ),
  };
}

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

// ----- main -----

interface Options {
  delayMs: number;
  runs: number;
  out: string;
  only: string[] | null;
  verbose: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes("--quick");
  return {
    delayMs: Number(value("--delay") ?? (quick ? 20 : 50)),
    runs: Number(value("--runs") ?? (quick ? 1 : 5)),
    out: value("--out") ?? new URL("../results", import.meta.url).pathname,
    only: value("--only")?.split(",") ?? null,
    verbose: argv.includes("--verbose"),
  };
}

async function versions(): Promise<Record<string, string>> {
  const v = async (argv: string[]) => {
    try {
      const o = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "null" }).output();
      return dec.decode(o.stdout).trim().split("\n")[0];
    } catch {
      return "missing";
    }
  };
  return {
    commit: await v(["git", "describe", "--always", "--dirty"]),
    deno: Deno.version.deno,
    node: await v(["node", "--version"]),
    openssl: await v(["openssl", "version"]),
  };
}

export async function runLab(o: Options): Promise<LabResult> {
  const certs = await ensureDevCerts();
  const installed = await versions();
  const [haveNode, haveOpenssl] = [installed.node !== "missing", installed.openssl !== "missing"];
  const scenarios = SCENARIOS.filter((s) => !o.only || o.only.includes(s.id)).map((s) => {
    const missing = (s.client === "openssl" && !haveOpenssl) ||
      ((s.client === "node" || s.server.startsWith("node")) && !haveNode);
    return missing ? { ...s, pending: `${!haveNode ? "node" : "openssl"} not installed` } : { ...s };
  });
  const scratch = scratchDir = await Deno.makeTempDir({ prefix: "rtt-lab-" });
  await Deno.writeTextFile(`${scratch}/request.txt`, REQUEST);
  const ctx: Ctx = { certs, delayMs: o.delayMs, runs: o.runs, scratch, servers: new Map() };
  try {
    const needed = [...new Set(scenarios.filter((s) => !s.pending).map((s) => s.server))];
    await Promise.all(needed.map(async (name) => {
      const port = await startServer(name, certs);
      const proxy = await startDelayProxy({ target: { hostname: "127.0.0.1", port }, delayMs: o.delayMs });
      ctx.servers.set(name, { port, proxy });
    }));
    const rows: Row[] = [];
    for (const s of scenarios) {
      let runs: Run[] = [];
      if (!s.pending) {
        try {
          runs = await runScenario(s, ctx);
        } catch (e) {
          runs = [];
          const why = (e as Error).message.split("\n")[0];
          s.pending = e instanceof NotSupported ? why : `failed: ${why}`;
        }
      }
      const row = summarize(s, runs, o.delayMs);
      rows.push(row);
      console.error(`${s.id}: ${row.pending ?? `${row.roundTrips} RTT, ${row.medianTtfbMs} ms`}`);
      if (o.verbose && runs[0]) console.error(describeFlights(runs[0].flights));
    }
    const date = new Date().toISOString();
    return {
      date,
      delayMs: o.delayMs,
      rttMs: 2 * o.delayMs,
      runs: o.runs,
      counting: COUNTING,
      versions: installed,
      rows,
    };
  } finally {
    for (const { proxy } of ctx.servers.values()) await proxy.close();
    await stopAll();
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

/** The run's temporary directory (sessions, the early-data request), removed at the end or on Ctrl-C. */
let scratchDir: string | null = null;

async function stopAll(): Promise<void> {
  await Promise.all([...Proc.all].map((p) => p.stop()));
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--serve") return await serveRole(argv[1]);
  if (argv[0] === "--client") return await ourClientRole(argv[1]);
  const o = parseOptions(argv);
  Deno.addSignalListener("SIGINT", () => {
    for (const p of Proc.all) p.kill();
    if (scratchDir) Deno.removeSync(scratchDir, { recursive: true });
    Deno.exit(130);
  });
  const result = await runLab(o);
  await Deno.mkdir(o.out, { recursive: true });
  const base = `${o.out}/rtt-${result.date.slice(0, 10)}`;
  await Deno.writeTextFile(`${base}.json`, JSON.stringify(result, null, 2) + "\n");
  await Deno.writeTextFile(`${base}.svg`, renderSvg(result));
  console.log(formatTable(result));
  console.log(`wrote ${base}.json and ${base}.svg`);
  Deno.exit(0);
}

const round = (x: number) => Math.round(x * 10) / 10;

if (import.meta.main) await main(process.argv.slice(2));

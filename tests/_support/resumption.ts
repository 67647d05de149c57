/**
 * Shared by the resumption, 0-RTT and replay tests: real clients driven interactively (openssl s_client and
 * gnutls-cli: stdin stays open until the output shows what we wait for, so no test sleeps a fixed time), and
 * the early-data echo fixture (tests/fixtures/early_echo_server.ts) with its per-connection report lines.
 */
import { ensureDevCerts } from "../../certs/generate.ts";
import { type Child, startFixture } from "./processes.ts";
import type { Runtime } from "./runtimes.ts";

export const certs = await ensureDevCerts();
const enc = new TextEncoder();

export const serverCert = {
  cert: { path: certs.server["ecdsa-p256"].cert },
  key: { path: certs.server["ecdsa-p256"].key },
};

export interface ClientRun {
  output: string;
  code: number;
  /** Milliseconds from spawn to exit. */
  ms: number;
  /** True when `until` matched (false: the client exited or timed out first). */
  matched: boolean;
}

export interface InteractOptions {
  /** Written to stdin right away. */
  send?: string;
  /** Stdin is closed (the client then says goodbye and exits) once the output matches this. */
  until?: RegExp;
  /** The client is killed after this many ms. */
  timeout?: number;
}

/** Runs a client: writes `send`, waits for `until` in its output (or its exit), closes stdin, waits for exit. */
export async function interact(argv: string[], o: InteractOptions = {}): Promise<ClientRun> {
  const started = performance.now();
  const proc = new Deno.Command(argv[0], { args: argv.slice(1), stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  let output = "";
  let matched = false;
  let notify: () => void = () => {};
  const collect = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      output += chunk;
      notify();
    }
  };
  const collecting = Promise.all([collect(proc.stdout), collect(proc.stderr)]);
  const killer = setTimeout(() => {
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
  }, o.timeout ?? 15_000);
  const writer = proc.stdin.getWriter();
  let exited = false;
  const status = proc.status.then((s) => {
    exited = true;
    notify();
    return s;
  });
  try {
    if (o.send) await writer.write(enc.encode(o.send));
    while (!exited) {
      if (o.until && o.until.test(output)) {
        matched = true;
        break;
      }
      if (!o.until) break;
      await new Promise<void>((r) => (notify = r));
    }
  } catch { /* the client ended first */ }
  await writer.close().catch(() => {});
  const s = await status;
  clearTimeout(killer);
  await collecting;
  if (o.until && !matched) matched = o.until.test(output);
  return { output, code: s.code, ms: performance.now() - started, matched };
}

/** openssl s_client to 127.0.0.1:port, verifying our dev CA. */
export function sClient(port: number, args: string[], o: InteractOptions = {}): Promise<ClientRun> {
  return interact(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", certs.ca.cert, ...args], o);
}

/** gnutls-cli to 127.0.0.1:port, verifying our dev CA. */
export function gnutlsCli(port: number, args: string[], o: InteractOptions = {}): Promise<ClientRun> {
  return interact(["gnutls-cli", "-p", String(port), "127.0.0.1", "--x509cafile", certs.ca.cert, ...args], o);
}

/** A file in a fresh temporary directory (removed by `cleanup`). */
export class Scratch {
  private constructor(readonly dir: string) {}
  static async create(): Promise<Scratch> {
    return new Scratch(await Deno.makeTempDir({ prefix: "resumption-test-" }));
  }
  path(name: string): string {
    return `${this.dir}/${name}`;
  }
  async write(name: string, text: string): Promise<string> {
    await Deno.writeTextFile(this.path(name), text);
    return this.path(name);
  }
  async cleanup(): Promise<void> {
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

export type Info = {
  resumed: boolean;
  earlyDataAccepted: boolean;
  earlyDataRejectedReason?: string | null;
  alpn: string | null;
  group: string | null;
  cipherSuite: string;
};

/** What the early-echo fixture reported about one connection. */
export interface ConnectionReport {
  n: number;
  /** From HANDSHAKE (completed or 0-RTT accepted), else from FAILED (what the ClientHello led to). */
  info: Info | null;
  /** The failure, when the handshake did not complete. */
  error: string | null;
  /** Application data the app read, in order. */
  reads: { early: boolean; text: string }[];
  completed: boolean;
}

/** tests/fixtures/early_echo_server.ts under a runtime. */
export class EchoServer {
  private constructor(readonly child: Child, readonly port: number, readonly runtime: Runtime) {}

  static async start(runtime: Runtime, options: Record<string, unknown>): Promise<EchoServer> {
    const { child, port } = await startFixture(runtime, "early_echo_server.ts", [
      JSON.stringify({ ...serverCert, ...options }),
    ]);
    return new EchoServer(child, port, runtime);
  }

  /** A mark: connections accepted after it are found by `nextConnection(mark)`. */
  mark(): number {
    return this.child.lines.length;
  }

  /** The number of the first connection accepted after `mark`. */
  async connectionAfter(mark: number, timeout = 10_000): Promise<number> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const line = this.child.lines.slice(mark).find((l) => l.startsWith("ACCEPT "));
      if (line) return Number(line.split(" ")[1]);
      if (Date.now() > deadline) throw new Error(`no connection accepted:\n${this.child.lines.slice(mark).join("\n")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Waits until connection `n` has settled (CLOSED, or FAILED) and returns what the server said about it.
   */
  async report(n: number, timeout = 15_000): Promise<ConnectionReport> {
    await this.child.waitFor(new RegExp(`^(CLOSED|FAILED) ${n}( |$)`), timeout);
    // A FAILED after HANDSHAKE (read error) is followed by CLOSED; give the last lines a moment.
    await new Promise((r) => setTimeout(r, 30));
    const mine = this.child.lines.filter((l) => l.split(" ")[1] === String(n));
    const json = (prefix: string) => {
      const l = mine.find((x) => x.startsWith(prefix + " "));
      return l ? JSON.parse(l.slice(prefix.length + 1 + String(n).length + 1)) : null;
    };
    const failed = json("FAILED");
    return {
      n,
      info: json("HANDSHAKE") ?? failed?.info ?? null,
      error: failed?.error ?? null,
      reads: mine.filter((l) => l.startsWith("READ ")).map((l) => JSON.parse(l.slice(`READ ${n} `.length))),
      completed: mine.some((l) => l.startsWith("COMPLETE ")),
    };
  }

  /** Every READ line of every connection: what the application was handed, ever. */
  allReads(): { n: number; early: boolean; text: string }[] {
    return this.child.lines.filter((l) => l.startsWith("READ ")).map((l) => {
      const [, n, ...rest] = l.split(" ");
      return { n: Number(n), ...JSON.parse(rest.join(" ")) };
    });
  }

  output(): string {
    return this.child.lines.join("\n");
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}

/** Runs `fn` and reports the connection it made to `server`. */
export async function connection(server: EchoServer, fn: () => Promise<unknown>): Promise<ConnectionReport> {
  const mark = server.mark();
  await fn();
  return server.report(await server.connectionAfter(mark));
}

/** The argv runtime binary a fixture needs, for needs(). */
export function runtimeBinary(runtime: Runtime): string {
  return runtime === "node" ? "tsx" : runtime;
}

/** The s_client regex for "the ticket(s) arrived and our line came back". */
export const echoed = (text: string) => new RegExp(`^${text}$`, "m");

/**
 * Spawning peers and fixtures: a child process whose stdout lines can be awaited, and a one-shot command
 * runner with a scripted stdin and a hard timeout (no test waits forever on a peer).
 */
import { command, type Runtime } from "./runtimes.ts";

export class Child {
  readonly lines: string[] = [];
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  private readonly proc: Deno.ChildProcess;
  readonly exited: Promise<Deno.CommandStatus>;

  constructor(argv: string[], env: Record<string, string> = {}, cwd?: string) {
    this.proc = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env,
      cwd,
    }).spawn();
    this.exited = this.proc.status;
    this.collect(this.proc.stdout);
    this.collect(this.proc.stderr);
  }

  /** Resolves with the first line (past or future) matching `re`; rejects after `timeout` ms. */
  waitFor(re: RegExp, timeout = 20_000): Promise<RegExpMatchArray> {
    for (const l of this.lines) {
      const m = l.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out waiting for ${re}; output:\n${this.lines.join("\n")}`)),
        timeout,
      );
      this.waiters.push({ re, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  async stop(): Promise<void> {
    try {
      this.proc.kill("SIGTERM");
    } catch { /* already gone */ }
    await this.exited;
  }

  private async collect(stream: ReadableStream<Uint8Array>) {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          const m = line.match(w.re);
          if (m) w.resolve(m);
          return !m;
        });
      }
    }
  }
}

/** Starts tests/fixtures/<script> under `runtime` and waits for its `LISTENING <port>` line. */
export async function startFixture(
  runtime: Runtime,
  script: string,
  args: string[],
): Promise<{ child: Child; port: number }> {
  const path = new URL(`../fixtures/${script}`, import.meta.url).pathname;
  const child = new Child(command(runtime, path, args));
  const m = await child.waitFor(/^LISTENING (\d+)/, 60_000);
  return { child, port: Number(m[1]) };
}

export interface RunResult {
  code: number;
  output: string;
}

/**
 * Runs `argv` (in `cwd` if given) feeding `script` to stdin: strings are written, numbers are pauses in ms. Stdin
 * closes at the end of the script; the process is killed after `timeout` ms.
 */
export async function run(
  argv: string[],
  script: (string | number)[] = [],
  timeout = 15_000,
  cwd?: string,
): Promise<RunResult> {
  const proc = new Deno.Command(argv[0], { args: argv.slice(1), stdin: "piped", stdout: "piped", stderr: "piped", cwd })
    .spawn();
  const timer = setTimeout(() => {
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeout);
  const writer = proc.stdin.getWriter();
  (async () => {
    try {
      for (const step of script) {
        if (typeof step === "number") await new Promise((r) => setTimeout(r, step));
        else await writer.write(new TextEncoder().encode(step));
      }
      await writer.close();
    } catch { /* the process ended first */ }
  })();
  const out = await proc.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

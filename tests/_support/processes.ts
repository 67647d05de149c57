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
  /** stdout then stderr. */
  output: string;
}

/**
 * A step of `run`'s stdin script: text to write, a pause in ms, or `{ until }`: wait until stdout and stderr
 * so far match (bounded by the run's timeout). Waiting for what a step should produce, rather than for a
 * fixed time, keeps a slow machine from closing stdin before the answer came.
 */
export type Step = string | number | { until: RegExp };

/** Runs `argv` with `script` fed to its stdin (then closed); killed after `timeout` ms. */
export async function run(
  argv: string[],
  script: Step[] = [],
  timeout = 15_000,
  cwd?: string,
): Promise<RunResult> {
  const proc = new Deno.Command(argv[0], { args: argv.slice(1), stdin: "piped", stdout: "piped", stderr: "piped", cwd })
    .spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeout);
  const out = { stdout: "", stderr: "" };
  let changed = () => {};
  const collect = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      out[key] += text;
      changed();
    }
  };
  const collected = Promise.all([collect(proc.stdout, "stdout"), collect(proc.stderr, "stderr")]);
  const ended = collected.then(() => true);
  const writer = proc.stdin.getWriter();
  (async () => {
    try {
      for (const step of script) {
        if (typeof step === "number") await new Promise((r) => setTimeout(r, step));
        else if (typeof step === "string") await writer.write(new TextEncoder().encode(step));
        else {
          while (!step.until.test(out.stdout + out.stderr) && !killed) {
            const more = new Promise<boolean>((r) => (changed = () => r(false)));
            if (await Promise.race([more, ended])) break;
          }
        }
      }
      await writer.close();
    } catch { /* the process ended first */ }
  })();
  const status = await proc.status;
  await collected;
  clearTimeout(timer);
  return { code: status.code, output: out.stdout + out.stderr };
}

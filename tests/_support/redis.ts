/**
 * A private `redis-server` for one test: a free port on 127.0.0.1, no persistence (`--save "" --appendonly no`),
 * its own temporary directory. `startRedis()` resolves once the server answers PING.
 *
 * Besides `stop()`, a test can take the server away and bring it back on the same port (`stop()` then
 * `start()`), or freeze it without closing connections (`pause()`/`resume()`, SIGSTOP/SIGCONT): the case of
 * a Redis that accepts bytes and never answers.
 */
import { which } from "./peers.ts";

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Starts the server again on the same port (after `stop()`) and waits for PING. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, waits for its exit) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Freezes the server: connections stay open and nothing is answered. */
  pause(): void;
  resume(): void;
}

/** A port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** True when something on `port` answers `PING` with `+PONG`. */
async function answersPing(port: number): Promise<boolean> {
  let conn: Deno.Conn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

class PrivateRedis implements RedisServer {
  readonly url: string;
  private proc: Deno.ChildProcess | undefined;
  private dir: string | undefined;
  private output = "";
  private collecting: Promise<unknown> = Promise.resolve();
  private paused = false;

  constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    if (this.proc) throw new Error("redis-server already running");
    const bin = which("redis-server");
    if (!bin) throw new Error("redis-server not installed");
    this.dir = await Deno.makeTempDir({ prefix: "redis-test-" });
    this.output = "";
    const proc = new Deno.Command(bin, {
      args: ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.proc = proc;
    this.collecting = Promise.all([this.collect(proc.stdout), this.collect(proc.stderr)]);
    let exited = false;
    proc.status.then(() => (exited = true));
    const deadline = Date.now() + timeoutMs;
    while (!exited && Date.now() < deadline) {
      if (await answersPing(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.stop();
    throw new Error(`redis-server on port ${this.port} did not answer PING:\n${this.output}`);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc) {
      if (this.paused) this.resume(proc);
      try {
        proc.kill("SIGTERM");
      } catch { /* already gone */ }
      await proc.status;
      await this.collecting;
    }
    if (this.dir) await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    this.dir = undefined;
  }

  pause(): void {
    this.proc?.kill("SIGSTOP");
    this.paused = true;
  }

  resume(proc = this.proc): void {
    proc?.kill("SIGCONT");
    this.paused = false;
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) this.output += chunk;
  }
}

/** Starts a private redis-server on a free port; tries another port if the first was taken meanwhile. */
export async function startRedis(): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = new PrivateRedis(freePort());
    try {
      await server.start();
      return server;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/**
 * Real servers for client tests: a process whose output lines can be awaited and whose stdin stays open (openssl
 * s_server takes commands there: `k`/`K` for KeyUpdate, and it quits on EOF), `sServer()` on a free port with a
 * development certificate, and `freePort()` for servers that cannot report the port they bound.
 */
import { ensureDevCerts } from "../../certs/generate.ts";

const enc = new TextEncoder();
const certs = await ensureDevCerts();
const keyFiles = { ecdsa: certs.server["ecdsa-p256"], ed25519: certs.server.ed25519, rsa: certs.server.rsa };

/** A server process whose stdout lines can be awaited and whose stdin we write (s_server reads commands there). */
export class Peer {
  readonly lines: string[] = [];
  private buffer = "";
  private readonly proc: Deno.ChildProcess;
  private readonly stdin: WritableStreamDefaultWriter<Uint8Array>;
  private waiters: (() => void)[] = [];
  private exited = false;

  constructor(argv: string[]) {
    this.proc = new Deno.Command(argv[0], { args: argv.slice(1), stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
    this.stdin = this.proc.stdin.getWriter();
    this.collect(this.proc.stdout);
    this.collect(this.proc.stderr);
    this.proc.status.then(() => (this.exited = true));
  }

  /** The first line (past or future) matching `re`, after line index `from`. */
  async waitFor(re: RegExp, from = 0, timeout = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const l of this.lines.slice(from)) {
        const m = l.match(re);
        if (m) return m;
      }
      const partial = this.buffer.match(re);
      if (partial) return partial;
      if (Date.now() > deadline || this.exited) {
        throw new Error(`${this.exited ? "exited" : "timed out"} waiting for ${re}:\n${this.lines.join("\n")}`);
      }
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  async send(text: string): Promise<void> {
    await this.stdin.write(enc.encode(text));
  }

  async stop(): Promise<void> {
    try {
      this.proc.kill("SIGTERM");
    } catch { /* gone */ }
    await this.stdin.close().catch(() => {});
    await this.proc.status;
  }

  private async collect(stream: ReadableStream<Uint8Array>) {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.buffer += chunk;
      let i;
      while ((i = this.buffer.indexOf("\n")) >= 0) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 1);
      }
      const w = this.waiters;
      this.waiters = [];
      w.forEach((r) => r());
    }
  }
}

/** openssl s_server on a free port, TLS 1.3 only, our dev certificate; stdin stays open for commands. */
export async function sServer(
  args: string[],
  key: keyof typeof keyFiles = "ecdsa",
): Promise<{ peer: Peer; port: number }> {
  // A later -cert/-key in `args` replaces the default pair.
  const pair = args.includes("-cert") ? [] : ["-cert", keyFiles[key].cert, "-key", keyFiles[key].key];
  const version = args.some((a) => /^-tls1(_\d)?$/.test(a)) ? [] : ["-tls1_3"];
  const peer = new Peer(["openssl", "s_server", "-accept", "127.0.0.1:0", ...version, ...pair, ...args]);
  const m = await peer.waitFor(/^ACCEPT .*:(\d+)$/);
  return { peer, port: Number(m[1]) };
}

/** A free TCP port (for servers that cannot report the one they bound). */
export function freePort(): number {
  // Below Linux's ephemeral range (32768-60999): a port the kernel hands out for port 0 can be taken by any
  // process's next outgoing connection before the test listens on it; one from this range only by a listener.
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch { /* in use: try another */ }
  }
  throw new Error("no free port between 20000 and 32000");
}

/** Reads until `text` has arrived. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
  timeout = 10_000,
): Promise<string> {
  let got = "";
  const deadline = Date.now() + timeout;
  while (!got.includes(text)) {
    if (Date.now() > deadline) throw new Error(`did not receive ${JSON.stringify(text)}; got ${JSON.stringify(got)}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`EOF before ${JSON.stringify(text)}; got ${JSON.stringify(got)}`);
    got += new TextDecoder().decode(value);
  }
  return got;
}

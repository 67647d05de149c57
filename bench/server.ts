/**
 * One benchmark server, started by bench/run.ts under `taskset -c 0`:
 *
 *   <runtime> bench/server.ts <impl> <port>
 *
 * impl: "ours-noble" | "ours-native" (our serve() with that crypto provider), "native" (Deno.serve with cert/key,
 * Bun.serve with tls, Node https + @hono/node-server), "lemon" (lemon-tls under node:http, Node only).
 * Prints one line `READY <port> <description>` on stdout once listening; exits on SIGTERM or when stdin closes.
 */
import { fstatSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import process from "node:process";
import { app } from "./app.ts";
import { nativeProvider, nobleProvider, serve } from "../mod.ts";
import { currentRuntime } from "../src/runtime.ts";

const [impl, portArg] = process.argv.slice(2).length ? process.argv.slice(2) : ((globalThis as any).Deno?.args ?? []);
const port = Number(portArg ?? 0);
const hostname = "127.0.0.1";
const certPath = new URL("../certs/out/server-ecdsa.pem", import.meta.url);
const keyPath = new URL("../certs/out/server-ecdsa-key.pem", import.meta.url);
const cert = readFileSync(certPath, "utf8");
const key = readFileSync(keyPath, "utf8");
const runtime = currentRuntime();
const ready = (p: number, what: string) => console.log(`READY ${p} ${what}`);

/**
 * A full collection (Bun.gc, or V8's gc() exposed by --expose-gc), then a turn of the event loop. On V8 it is the
 * memory-reducing kind ("last-resort", what V8 runs under memory pressure and its memory reducer once a process
 * idles): it also shrinks the young generation, which a burst of handshakes grows to tens of MiB whatever the
 * number of connections, so that RSS per idle connection measures what connections hold. Node 20's V8 ignores the
 * flavor (a plain full collection).
 */
async function collectGarbage(): Promise<boolean> {
  const g = globalThis as any;
  let ok = true;
  if (g.Bun) g.Bun.gc(true);
  else if (typeof g.gc === "function") {
    const full = { type: "major", execution: "sync", flavor: "last-resort" };
    g.gc(full);
    await new Promise((r) => setTimeout(r, 10));
    g.gc(full);
  } else ok = false;
  await new Promise((r) => setTimeout(r, 50));
  return ok;
}

const profiler = (() => {
  let session: any = null;
  const post = (method: string, params: object = {}) =>
    new Promise<any>((resolve, reject) =>
      session.post(method, params, (e: Error | null, r: any) => (e ? reject(e) : resolve(r)))
    );
  return {
    async start() {
      const { Session } = await import("node:inspector");
      session = new Session();
      session.connect();
      await post("Profiler.enable");
      await post("Profiler.setSamplingInterval", { interval: Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 200) });
      await post("Profiler.start");
    },
    async stop(file: string) {
      const { profile } = await post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
})();

async function start(): Promise<void> {
  switch (impl) {
    case "ours-noble":
    case "ours-native": {
      const provider = impl === "ours-noble" ? nobleProvider : nativeProvider();
      const server = serve({
        fetch: app.fetch,
        port,
        hostname,
        // BENCH_SUITES (comma-separated suite names) overrides the suite preference, for experiments.
        tls: {
          cert,
          key,
          provider,
          cipherSuites: process.env.BENCH_SUITES ? process.env.BENCH_SUITES.split(",") : undefined,
        },
        // The default body limit is 8 MiB; the upload row sends 100 MB.
        http: { maxBodySize: 1 << 30 },
        onListen: () => {},
        onError: () => {},
      });
      await server.ready;
      ready(server.addr.port, `serve() ${provider.name}`);
      return;
    }
    case "native": {
      if (runtime === "deno") {
        const Deno = (globalThis as any).Deno;
        await new Promise<void>((resolve) => {
          Deno.serve({
            port,
            hostname,
            cert,
            key,
            onListen: (a: { port: number }) => {
              ready(a.port, `Deno.serve (rustls) Deno ${Deno.version.deno}`);
              resolve();
            },
          }, app.fetch);
        });
      } else if (runtime === "bun") {
        const Bun = (globalThis as any).Bun;
        const s = Bun.serve({ port, hostname, tls: { cert, key }, fetch: app.fetch, maxRequestBodySize: 1 << 30 });
        ready(s.port, `Bun.serve (BoringSSL) Bun ${Bun.version}`);
      } else {
        const https = await import("node:https");
        const { getRequestListener } = await import("@hono/node-server");
        const s = https.createServer({ cert, key, minVersion: "TLSv1.3" }, getRequestListener(app.fetch));
        await new Promise<void>((r) => s.listen(port, hostname, r));
        ready(
          (s.address() as { port: number }).port,
          `node:https (OpenSSL ${process.versions.openssl}) Node ${process.version}`,
        );
      }
      return;
    }
    case "lemon": {
      if (runtime !== "node") throw new Error("lemon-tls runs on Node only");
      const http = await import("node:http");
      const { getRequestListener } = await import("@hono/node-server");
      const lemon: any = (await import("lemon-tls")).default;
      const httpServer = http.createServer(getRequestListener(app.fetch));
      const s = lemon.createServer({ cert, key }, (socket: any) => httpServer.emit("connection", socket));
      s.on("error", () => {});
      await new Promise<void>((r) => s.listen(port, hostname, r));
      const version =
        JSON.parse(readFileSync(new URL("../node_modules/lemon-tls/package.json", import.meta.url), "utf8")).version;
      ready((s.address() as { port: number }).port, `lemon-tls ${version} under node:http, Node ${process.version}`);
      return;
    }
    default:
      throw new Error(`unknown impl ${impl}`);
  }
}

process.on("SIGTERM", () => process.exit(0));
// The runner holds our stdin open (a pipe): when it goes away, so do we. bench/profile.ts also sends commands on it:
// `profile-start` and `profile-stop <file>` (V8's sampling profiler through node:inspector, on Deno and Node).
if (fstatSync(0).isFIFO()) {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("close", () => process.exit(0));
  createInterface({ input: process.stdin }).on("line", (line) => {
    const [command, file] = line.trim().split(" ");
    if (command === "profile-start") profiler.start().then(() => console.log("PROFILING"));
    if (command === "profile-stop") profiler.stop(file).then(() => console.log(`PROFILED ${file}`));
    if (command === "gc") collectGarbage().then((ok) => console.log(ok ? "GC" : "GC unavailable"));
    if (command === "mem") collectGarbage().then(() => console.log(`MEM ${JSON.stringify(process.memoryUsage())}`));
  });
}
await start();

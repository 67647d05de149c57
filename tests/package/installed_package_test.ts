/**
 * Claims about the package as a user installs it: `npm pack` of this tree (which builds it), installed with `hono`
 * into a fresh directory outside the repository, gives
 * - a six-line Hono app, importing `tls13-hono` by name, that serves HTTPS under plain `node app.mjs` (no TypeScript
 *   loader), `bun app.mjs` and `deno run -A app.mjs`, with curl's request over it answered on each;
 * - a working `tls13-hono` command: `npx tls13-hono certs` makes the certificates the app uses, and
 *   `npx tls13-hono probe` verifies the server against them;
 * - types: a TypeScript file using every entry point type-checks against the published declarations alone;
 * - small entry points: `tls13-hono` loads neither `redis` nor the certificate generator's packages, and
 *   `tls13-hono/redis` without `redis` installed fails closed with a clear error instead of crashing;
 * - `tls13-hono/ws`: a Hono app's WebSocket route upgrades under node, bun and deno (openssl s_client reads the
 *   101 and the app's first message), and only that entry point loads `hono/ws`.
 */
import assert from "node:assert/strict";
import { Child, run } from "../_support/processes.ts";
import { needs } from "../_support/peers.ts";

const repo = new URL("../..", import.meta.url).pathname;
const deno = Deno.execPath();
const bun = `${repo}node_modules/.bin/bun`;
const tsc = `${repo}node_modules/typescript/bin/tsc`;
const pkg = JSON.parse(Deno.readTextFileSync(`${repo}package.json`));

const app = `import { Hono } from "hono";
import { serve } from "tls13-hono";
const app = new Hono();
app.get("/", (c) => c.json({ tls: c.env.tls.version, runtime: globalThis.Deno ? "deno" : process.versions.bun ? "bun" : "node" }));
const tls = { cert: { path: "certs/server.pem" }, key: { path: "certs/server-key.pem" } };
serve({ fetch: app.fetch, port: 0, tls, onListen: (addr) => console.log(\`LISTENING \${addr.port}\`) });
`;

/** A WebSocket route, from the installed package: its first message says what TLS negotiated. */
const wsApp = `import { Hono } from "hono";
import { serve } from "tls13-hono";
import { upgradeWebSocket } from "tls13-hono/ws";
const app = new Hono();
app.get("/ws", upgradeWebSocket((c) => ({ onOpen: (_event, ws) => ws.send(\`hello over \${c.env.tls.version}\`) })));
const tls = { cert: { path: "certs/server.pem" }, key: { path: "certs/server-key.pem" } };
serve({ fetch: app.fetch, port: 0, tls, onListen: (addr) => console.log(\`LISTENING \${addr.port}\`) });
`;

/** Uses something from every entry point, with the types a user writes against. */
const typed = `import { Hono } from "hono";
import { clientCertificate, getConnInfo, type Server, serve, type ServeOptions, type TlsBindings } from "tls13-hono";
import { connectTls, listenTls, type TlsClientConnection } from "tls13-hono/tls";
import { httpsRequest, type HttpsResponse } from "tls13-hono/client";
import { RedisReplayStore } from "tls13-hono/redis";
import { ensureHostCerts, type HostCerts } from "tls13-hono/certs";
import { probe, type ProbeReport } from "tls13-hono/probe";
import { upgradeWebSocket } from "tls13-hono/ws";

const app = new Hono<{ Bindings: TlsBindings }>();
app.use("/secure/*", clientCertificate());
app.get("/ws", upgradeWebSocket((c) => ({ onMessage: (e, ws) => ws.send(\`\${c.env.tls.cipherSuite} \${e.data}\`) })));
app.get("/", (c) => c.json({ group: c.env.tls.group, early: c.env.tls.earlyData, remote: getConnInfo(c).remote }));
const certs: HostCerts = await ensureHostCerts("certs");
const options: ServeOptions = {
  fetch: app.fetch,
  tls: { cert: { path: certs.server.cert }, key: { path: certs.server.key }, earlyData: { maxSize: 16384 } },
};
const server: Server = serve(options);
await server.ready;
const response: HttpsResponse = await httpsRequest(server.url, { ca: { path: certs.ca.cert }, earlyData: true });
const resumed: boolean = response.tls.resumed;
const report: ProbeReport = await probe("localhost:443");
const conn: TlsClientConnection = await connectTls({ hostname: "localhost", port: 443 });
const listener = await listenTls({ port: 0, cert: { path: certs.server.cert }, key: { path: certs.server.key } });
const store = new RedisReplayStore("redis://127.0.0.1:6379");
export { conn, listener, report, resumed, store };
`;

const dir = await Deno.makeTempDir({ prefix: "tls13-hono-consumer-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const setupNeeds = needs("npm", "npx", "node", "curl");

/** npm pack of this tree (its prepack builds dist/), installed with hono into `dir`, and certificates made. */
async function setUp(): Promise<void> {
  const packed = await run(["npm", "pack", "--pack-destination", dir, "--loglevel=error"], [], 180_000, repo);
  assert.equal(packed.code, 0, packed.output);
  const tarball = `${dir}/${packed.output.trim().split("\n").at(-1)}`;
  Deno.writeTextFileSync(`${dir}/package.json`, JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const hono = `hono@${pkg.devDependencies.hono}`;
  const types = `@types/node@${pkg.devDependencies["@types/node"]}`;
  const installed = await run(
    ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", tarball, hono, types],
    [],
    180_000,
    dir,
  );
  assert.equal(installed.code, 0, installed.output);
  Deno.writeTextFileSync(`${dir}/app.mjs`, app);
  const certs = await run(["npx", "--no", "tls13-hono", "certs"], [], 60_000, dir);
  assert.equal(certs.code, 0, certs.output);
  assert.match(certs.output, /wrote 7 files in certs\//);
}

let ready: Promise<void> | undefined;
const setUpOnce = () => ready ??= setUp();
const options = { ...setupNeeds, sanitizeResources: false, sanitizeOps: false };

const runtimes: Record<string, string[]> = {
  node: ["node", "app.mjs"],
  bun: [bun, "app.mjs"],
  deno: [deno, "run", "-A", "app.mjs"],
};

for (const [runtime, argv] of Object.entries(runtimes)) {
  Deno.test(`the installed package serves HTTPS from a six-line Hono app under ${runtime}`, options, async () => {
    await setUpOnce();
    assert.equal(app.trim().split("\n").length, 6);
    const child = new Child(argv, { PATH: Deno.env.get("PATH") ?? "", HOME: dir }, dir);
    try {
      const port = Number((await child.waitFor(/^LISTENING (\d+)/, 30_000))[1]);
      const url = `https://localhost:${port}/`;
      const curl = await run(["curl", "-sS", "--max-time", "10", "--cacert", "certs/ca.pem", url], [], 15_000, dir);
      assert.equal(curl.code, 0, curl.output);
      assert.deepEqual(JSON.parse(curl.output), { tls: "TLSv1.3", runtime });
      if (runtime === "node") {
        const probe = await run(
          ["npx", "--no", "tls13-hono", "probe", `localhost:${port}`, "--ca", "certs/ca.pem", "--json"],
          [],
          30_000,
          dir,
        );
        assert.equal(probe.code, 0, probe.output);
        const report = JSON.parse(probe.output);
        assert.equal(report.verified, true);
        assert.equal(report.version, "TLSv1.3");
      }
    } finally {
      await child.stop();
    }
  });
}

Deno.test("a TypeScript user of every entry point type-checks against the declarations", options, async () => {
  await setUpOnce();
  Deno.writeTextFileSync(`${dir}/typed.ts`, typed);
  const config = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ["node"],
    },
    files: ["typed.ts"],
  };
  Deno.writeTextFileSync(`${dir}/tsconfig.json`, JSON.stringify(config));
  const checked = await run(["node", tsc, "-p", "tsconfig.json"], [], 120_000, dir);
  assert.equal(checked.code, 0, checked.output);
  // The claim can fail: a wrong type is reported.
  Deno.writeTextFileSync(`${dir}/typed.ts`, typed.replace("const resumed: boolean", "const resumed: string"));
  const wrong = await run(["node", tsc, "-p", "tsconfig.json"], [], 120_000, dir);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.output, /typed\.ts.*Type 'boolean' is not assignable to type 'string'/);
});

/** Every bare import reachable through static imports from `entry`, following the package's own files. */
function staticPackages(entry: string): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = Deno.readTextFileSync(file);
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".")) visit(new URL(spec, `file://${file}`).pathname);
      else found.add(spec);
    }
  };
  visit(entry);
  return found;
}

Deno.test(
  "tls13-hono loads neither redis, acme-client nor the certificate generator; /redis without redis fails closed",
  options,
  async () => {
    await setUpOnce();
    const dist = `${dir}/node_modules/tls13-hono/dist`;
    for (const entry of ["mod", "tls", "client", "probe", "ws"]) {
      const packages = [...staticPackages(`${dist}/${entry}.js`)];
      assert.deepEqual(
        packages.filter((p) => /^(redis|acme-client|@peculiar\/x509|reflect-metadata)$/.test(p)),
        [],
        entry,
      );
      assert.equal(packages.includes("hono/ws"), entry === "ws", `${entry} and hono/ws`);
      if (entry !== "ws") {
        assert.ok(packages.some((p) => p.startsWith("@noble/")), `${entry} does reach its dependencies`);
      }
    }
    assert.ok(staticPackages(`${dist}/certs.js`).has("@peculiar/x509"), "the check sees what certs loads");
    const script = `import { RedisReplayStore } from "tls13-hono/redis";
const store = new RedisReplayStore("redis://127.0.0.1:1");
try { await store.claim("k", 1000); console.log("claimed?"); } catch (e) { console.log(e.name + ": " + e.message); }
process.exit(0);`;
    Deno.writeTextFileSync(`${dir}/redis.mjs`, script);
    const r = await run(["node", "redis.mjs"], [], 30_000, dir);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /ReplayStoreUnavailableError: .*Cannot find package 'redis'/);
  },
);

for (const [runtime, argv] of Object.entries(runtimes)) {
  Deno.test(`the installed tls13-hono/ws upgrades a Hono route under ${runtime}`, {
    ...options,
    ...needs("openssl"),
  }, async () => {
    await setUpOnce();
    Deno.writeTextFileSync(`${dir}/ws.mjs`, wsApp);
    const child = new Child(
      [argv[0], ...argv.slice(1, -1), "ws.mjs"],
      { PATH: Deno.env.get("PATH") ?? "", HOME: dir },
      dir,
    );
    try {
      const port = Number((await child.waitFor(/^LISTENING (\d+)/, 30_000))[1]);
      const request = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
      const s = await run(
        ["openssl", "s_client", "-quiet", "-connect", `localhost:${port}`, "-CAfile", "certs/ca.pem"],
        [request, 3000],
        20_000,
        dir,
      );
      assert.match(s.output, /^HTTP\/1\.1 101 Switching Protocols\r$/m, s.output);
      assert.match(s.output, /^sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r$/m);
      // The server's text frame: 0x81 (FIN, text; not UTF-8, so it prints as U+FFFD), unmasked length 18, the text.
      assert.ok(s.output.includes("\r\n\r\n\ufffd\u0012hello over TLSv1.3"), JSON.stringify(s.output));
    } finally {
      await child.stop();
    }
  });
}

/**
 * The JSR side of the package, as far as this machine can reach it (the JSR registry is not reachable from here).
 *
 * `deno publish --dry-run` says which files JSR would receive. Exactly those files (with the JSR part of deno.json:
 * name, version, exports) become a member of a fresh Deno workspace outside the repository, and a Deno app beside it
 * imports `@tls13-hono/tls13-hono` and `@tls13-hono/tls13-hono/certs` by name. Bare npm specifiers are mapped to
 * `npm:` specifiers at the versions of package.json, which is what `deno publish` writes into the files it uploads,
 * and there is no node_modules: Deno fetches the npm packages itself, as for a JSR user.
 *
 * What it proves: the exports map resolves by package name, the published file set is complete (nothing outside it
 * is imported), and the entry points serve HTTPS through Deno's own npm resolution (curl's request succeeds); the
 * dry run itself type-checks the package and refuses slow types and warnings. What it does not: JSR's registry and
 * its own rewriting of the specifiers are not exercised.
 */
import assert from "node:assert/strict";
import { Child, run } from "../_support/processes.ts";
import { needs } from "../_support/peers.ts";

const repo = new URL("../..", import.meta.url).pathname;
const deno = Deno.execPath();
const config = JSON.parse(Deno.readTextFileSync(`${repo}deno.json`));
const pkg = JSON.parse(Deno.readTextFileSync(`${repo}package.json`));
const dir = await Deno.makeTempDir({ prefix: "tls13-hono-jsr-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const app = `import { Hono } from "hono";
import { serve, type TlsBindings } from "@tls13-hono/tls13-hono";
import { ensureHostCerts } from "@tls13-hono/tls13-hono/certs";

const certs = await ensureHostCerts("certs");
const app = new Hono<{ Bindings: TlsBindings }>();
app.get("/", (c) => c.json({ tls: c.env.tls.version, resumed: c.env.tls.resumed }));
serve({
  fetch: app.fetch,
  port: 0,
  tls: { cert: { path: certs.server.cert }, key: { path: certs.server.key } },
  onListen: (addr) => console.log(\`LISTENING \${addr.port}\`),
});
`;

/** The files `deno publish` would upload, relative to the repository. */
async function publishedFiles(): Promise<string[]> {
  const r = await run([deno, "publish", "--dry-run", "--allow-dirty"], [], 300_000, repo);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Success.*Dry run complete/);
  assert.doesNotMatch(r.output, /warning/i, "no warnings either");
  const files = [...r.output.matchAll(/file:\/\/(\S+) \(/g)].map((m) => m[1].replace(repo, ""));
  assert.ok(files.includes("mod.ts") && files.some((f) => f.startsWith("src/tls/")), files.join("\n"));
  return files;
}

/** Bare specifier (and its subpaths) → npm: specifier, for every npm package the published code or the app names. */
function npmImports(): Record<string, string> {
  const versions: Record<string, string> = { ...pkg.devDependencies, ...pkg.dependencies };
  const imports: Record<string, string> = {};
  for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]) {
    imports[name] = `npm:${name}@${versions[name]}`;
    imports[`${name}/`] = `npm:/${name}@${versions[name]}/`;
  }
  return imports;
}

Deno.test(
  "a Deno app imports the JSR package's entry points by name and serves HTTPS",
  { ...needs("curl"), sanitizeResources: false, sanitizeOps: false },
  async () => {
    for (const file of await publishedFiles()) {
      const target = `${dir}/tls13-hono/${file}`;
      Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      Deno.copyFileSync(`${repo}${file}`, target);
    }
    const member = { name: config.name, version: config.version, exports: config.exports };
    Deno.writeTextFileSync(`${dir}/tls13-hono/deno.json`, JSON.stringify(member, null, 2));
    Deno.mkdirSync(`${dir}/app`);
    Deno.writeTextFileSync(`${dir}/app/deno.json`, JSON.stringify({ name: "@consumer/app", exports: "./main.ts" }));
    Deno.writeTextFileSync(`${dir}/app/main.ts`, app);
    const root = { workspace: ["./tls13-hono", "./app"], nodeModulesDir: "none", imports: npmImports() };
    Deno.writeTextFileSync(`${dir}/deno.json`, JSON.stringify(root, null, 2));

    const child = new Child([deno, "run", "-A", "app/main.ts"], {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? dir,
      NO_COLOR: "1",
    }, dir);
    try {
      const port = Number((await child.waitFor(/^LISTENING (\d+)/, 120_000))[1]);
      const url = `https://localhost:${port}/`;
      const curl = await run(["curl", "-sS", "--max-time", "10", "--cacert", "certs/ca.pem", url], [], 15_000, dir);
      assert.equal(curl.code, 0, curl.output);
      assert.deepEqual(JSON.parse(curl.output), { tls: "TLSv1.3", resumed: false });
    } finally {
      await child.stop();
    }
  },
);

/**
 * `deno task build` (and `npm pack`, through package.json's prepack): the npm package's files in dist/.
 *
 * - JavaScript: esbuild bundles each entry point of package.json's `exports` (and the CLI) into one ES module for
 *   Node 20 and later, with code shared between entry points split into dist/chunks/, and every npm package left
 *   as an import: `tls13-hono` alone loads neither `redis` nor `@peculiar/x509`.
 * - Types: tsc emits a .d.ts per source file the entry points reach (scripts/tsconfig.types.json).
 *
 * Bun and Deno use the same files. Nothing here is committed: dist/ is git-ignored.
 */
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;

/** Output name (dist/<name>.js) → source. The keys match package.json's `exports` and `bin`. */
export const entryPoints: Record<string, string> = {
  mod: "mod.ts",
  tls: "tls.ts",
  client: "client.ts",
  redis: "redis.ts",
  acme: "acme.ts",
  probe: "probe.ts",
  ws: "ws.ts",
  certs: "certs/mod.ts",
  cli: "cli/main.ts",
};

async function buildJavaScript(): Promise<void> {
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir: "dist",
    entryNames: "[name]",
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
    metafile: true,
  });
  const outputs = Object.keys(result.metafile.outputs);
  console.log(`esbuild: ${outputs.length} files in dist/`);
}

async function buildTypes(): Promise<void> {
  const tsc = new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname;
  const run = spawnSync("node", [tsc, "-p", "scripts/tsconfig.types.json"], { cwd: root, stdio: "inherit" });
  if (run.status !== 0) throw new Error(`tsc exited with ${run.status}`);
  const files = await rewriteSpecifiers(`${root}dist/types`);
  console.log(`tsc: ${files} declaration files in dist/types/`);
}

/**
 * tsc keeps the sources' `./x.ts` specifiers in declarations; a consumer's TypeScript looks for `./x.js` (which it
 * maps to `./x.d.ts`), so relative `.ts` specifiers become `.js`. Returns how many files it went through.
 */
async function rewriteSpecifiers(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace(/(["'])(\.\.?\/[^"']+)\.ts\1/g, "$1$2.js$1"));
    count++;
  }
  return count;
}

if (import.meta.main) {
  await rm(`${root}dist`, { recursive: true, force: true });
  await buildJavaScript();
  await buildTypes();
}

/**
 * Claims about where runtimes are named: only src/transport/ touches `Deno`, `Bun` or `node:net`, and mod.ts loads
 * each adapter lazily so that a runtime never loads another runtime's adapter.
 */
import assert from "node:assert/strict";
import { currentRuntime, currentTransport, loadTransport } from "../../src/transport/mod.ts";
import { contract } from "../fixtures/transport_echo.ts";

const root = new URL("../..", import.meta.url).pathname;

function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`${root}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...sources(path));
    else if (/\.(ts|js|mjs|tsx)$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** The code of a file without its comments (roughly: enough not to trip on prose that names a runtime). */
function code(path: string): string {
  return Deno.readTextFileSync(`${root}${path}`).replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

Deno.test("only src/transport/ names Deno, Bun or node:net", () => {
  const files = [...sources("src"), ...(exists("mod.ts") ? ["mod.ts"] : [])].filter((f) =>
    !f.startsWith("src/transport/")
  );
  const offenders = files.flatMap((file) => {
    const text = code(file);
    const hits = [/\bDeno\.\w/, /\bBun\.\w/, /["']node:net["']/, /globalThis\.(Deno|Bun)\b/].filter((re) =>
      re.test(text)
    );
    return hits.length > 0 ? [`${file}: ${hits.map(String).join(", ")}`] : [];
  });
  assert.deepEqual(offenders, []);
});

Deno.test("mod.ts imports no adapter statically", () => {
  const text = code("src/transport/mod.ts");
  const staticImports = [...text.matchAll(/^\s*import\s+(?!type\b)[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
  assert.deepEqual(staticImports.filter((s) => /\/(deno|bun|node)\.ts$/.test(s)), []);
});

Deno.test("on Deno, mod.ts picks the Deno adapter", async () => {
  assert.equal(currentRuntime(), "deno");
  assert.equal((await currentTransport()).runtime, "deno");
});

Deno.test("the Node adapter keeps its contract on Deno's node:net too", async () => {
  assert.deepEqual(await contract(await loadTransport("node")), []);
});

function exists(path: string): boolean {
  try {
    Deno.statSync(`${root}${path}`);
    return true;
  } catch {
    return false;
  }
}

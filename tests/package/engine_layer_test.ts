/**
 * Claims about the engine's layer (DESIGN.md, issue 12): src/tls takes bytes and nothing else. No file system, no
 * environment, no Redis: reading PEM files and the system trust store is src/io/pki_files.ts's job, and the Redis
 * replay store lives in src/stores/ behind the package's `./redis` entry point.
 */
import assert from "node:assert/strict";

const root = new URL("../..", import.meta.url).pathname;

function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`${root}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...sources(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

/** The code of a file without its comments, so that prose naming a forbidden thing does not count. */
function code(path: string): string {
  return Deno.readTextFileSync(`${root}${path}`).replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

const forbidden: [string, RegExp][] = [
  ["file system", /["']node:fs(\/promises)?["']|\breadFile(Sync)?\(|\bDeno\.(readFile|readTextFile|open)/],
  ["environment", /["']node:process["']|\bprocess\.env\b|\bDeno\.env\b/],
  ["Redis", /["']redis["']|\bcreateClient\(/],
];

Deno.test("src/tls reads no file, no environment variable and loads no Redis client", () => {
  const offenders = sources("src/tls").flatMap((file) => {
    const text = code(file);
    return forbidden.filter(([, re]) => re.test(text)).map(([what]) => `${file}: ${what}`);
  });
  assert.deepEqual(offenders, []);
});

Deno.test("the claim above can fail: the patterns catch what they are for", () => {
  const samples = [
    'import { readFile } from "node:fs/promises";',
    "const p = process.env.SSL_CERT_FILE;",
    'import("redis")',
  ];
  samples.forEach((sample, i) => assert.ok(forbidden[i][1].test(sample), sample));
});

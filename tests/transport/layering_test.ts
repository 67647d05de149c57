/**
 * Claims about which layer may import which (DESIGN.md, "Data flows one way"; issue 12), read from the
 * import statements of src/: the TLS engine stays sans-IO, the crypto layer below it, and the HTTP codec
 * runs over the neutral Duplex of src/net without knowing about transports, TLS sockets or the engine.
 * (tests/transport/isolation_test.ts enforces the other half: only src/transport names a runtime.)
 */
import assert from "node:assert/strict";

import { root, sources } from "../_support/source_files.ts";

interface Rule {
  /** Files under this folder (or this file)... */
  layer: string;
  /** ...import nothing under these folders or files, and none of these modules. */
  forbidden: string[];
  why: string;
}

const rules: Rule[] = [
  {
    layer: "src/tls/",
    forbidden: [
      "src/io/",
      "src/http/",
      "src/transport/",
      "src/hono/",
      "src/serve.ts",
      "node:fs",
      "node:fs/promises",
      "node:net",
      "node:process",
      "redis",
    ],
    why: "the engine is sans-IO: no sockets, files, environment or stores with I/O, and nothing above it",
  },
  { layer: "src/crypto/", forbidden: ["src/tls/"], why: "the crypto provider sits below the engine" },
  {
    layer: "src/http/",
    forbidden: ["src/transport/", "src/io/", "src/tls/"],
    why: "the HTTP codec runs over any Duplex (src/net), plain TCP or TLS alike",
  },
];

/** Every module a file imports, statically, for types, re-exported or dynamically; relative paths resolved. */
function importsOf(file: string, text = Deno.readTextFileSync(`${root}${file}`)): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const specifiers = [
    ...code.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gm),
    ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]);
  return specifiers.map((s) => s.startsWith(".") ? new URL(s, `file:///${file}`).pathname.slice(1) : s);
}

function matches(target: string, forbidden: string): boolean {
  return forbidden.endsWith("/") ? target.startsWith(forbidden) : target === forbidden;
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sources("src")) {
    for (const rule of rules) {
      if (!(rule.layer.endsWith("/") ? file.startsWith(rule.layer) : file === rule.layer)) continue;
      for (const target of importsOf(file)) {
        if (rule.forbidden.some((f) => matches(target, f))) found.push(`${file} -> ${target}`);
      }
    }
  }
  return [...new Set(found)].sort();
}

Deno.test("layers import only downwards: no violation of the import rules", () => {
  const why = (v: string) => rules.find((r) => v.startsWith(r.layer))?.why;
  assert.deepEqual(violations().map((v) => `${v} (${why(v)})`), []);
});

/** Leaf modules every layer may share (byte helpers, runtime detection): they import nothing at all. */
const leaves = ["src/bytes.ts", "src/runtime.ts"];

Deno.test("the shared leaf modules import nothing, so any layer may use them", () => {
  assert.deepEqual(leaves.flatMap((f) => importsOf(f).map((t) => `${f} -> ${t}`)), []);
});

Deno.test("src/crypto imports only its own files, the shared leaves, node:crypto/node:buffer and the audited primitives", () => {
  const allowed = [
    /^src\/crypto\/[\w.]+\.ts$/,
    ...leaves.map((f) => new RegExp(`^${f.replace(".", "\\.")}$`)),
    /^node:(crypto|buffer)$/,
    /^@noble\/(hashes|ciphers|curves|post-quantum)\//,
  ];
  const files = sources("src/crypto");
  assert.ok(files.length >= 8, `read ${files.length} files`);
  const offenders = files.flatMap((f) =>
    importsOf(f).filter((t) => !allowed.some((re) => re.test(t))).map((t) => `${f} -> ${t}`)
  );
  assert.deepEqual(offenders, []);
});

/** Code without comments, so that prose naming a forbidden thing does not count. */
function code(file: string): string {
  return Deno.readTextFileSync(`${root}${file}`).replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

/** What the engine may not use even without an import (a global, a dynamic require). */
const sansIo: [string, RegExp][] = [
  ["file system", /["']node:fs(\/promises)?["']|\breadFile(Sync)?\(|\bDeno\.(readFile|readTextFile|open)/],
  ["environment", /["']node:process["']|\bprocess\.env\b|\bDeno\.env\b/],
  ["Redis", /["']redis["']|\bcreateClient\(/],
];

Deno.test("src/tls reads no file, no environment variable and loads no Redis client, imported or global", () => {
  const offenders = sources("src/tls").flatMap((file) => {
    const text = code(file);
    return sansIo.filter(([, re]) => re.test(text)).map(([what]) => `${file}: ${what}`);
  });
  assert.deepEqual(offenders, []);
  const samples = [
    'import { readFile } from "node:fs/promises";',
    "const p = process.env.SSL_CERT_FILE;",
    'import("redis")',
  ];
  samples.forEach((sample, i) => assert.ok(sansIo[i][1].test(sample), `the pattern catches ${sample}`));
});

Deno.test("the import reader sees static, type-only, multi-line, re-exported and dynamic imports", () => {
  const text = [
    `import { a } from "./a.ts";`,
    `import type { B } from "../b/b.ts";`,
    `import {\n  c,\n  d,\n} from "node:fs";`,
    `export { e } from "./e.ts";`,
    `export type * from "../f.ts";`,
    `import "./side_effect.ts";`,
    `const g = await import("redis");`,
    `// import { no } from "./comment.ts";`,
    `/* import { no } from "./block.ts"; */`,
    `const url = "https://example.com/"; // import("./after_url.ts")`,
  ].join("\n");
  assert.deepEqual(importsOf("src/x/y.ts", text).sort(), [
    "node:fs",
    "redis",
    "src/b/b.ts",
    "src/f.ts",
    "src/x/a.ts",
    "src/x/e.ts",
    "src/x/side_effect.ts",
  ]);
});

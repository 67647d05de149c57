/**
 * Claims about the size of src/ (STYLE.md: files of 600 lines or less, functions of 80 lines or less; issue 12): a file
 * or function that grows past its limit fails here, so it is split when it is written rather than in a later clean-up.
 * Functions are found in `deno fmt` output, where a body ends at the first line that starts, at the indentation of its
 * opening line, with `}`; `fmt --check` in the suite keeps the tree in that form.
 */
import assert from "node:assert/strict";

import { root, sources } from "../_support/source_files.ts";
const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 80;

/**
 * Places allowed past a limit because splitting them would make them harder to read, each with the reason.
 * Keyed `path` (a file) or `path:name` (a function). Empty: nothing needs it today.
 */
const allowed = new Map<string, string>();

/** Words that open a block the way a method's name would (`if (x) {`), and so never name a function. */
const notNames = new Set(["if", "for", "while", "switch", "catch", "with", "return", "function", "else", "do"]);

/** Opening lines of a function: captures the indentation and the name. */
const openings = [
  // function declarations, exported, async or generators
  /^(\s*)(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([\w$]+)\s*[<(]/,
  // methods, accessors and object-literal methods, with their parameters on the line or on the lines below
  /^(\s*)(?:(?:static|private|public|protected|readonly|override|async|get|set)\s+)*\*?(#?[\w$]+)\s*(?:<[^>]*>)?\((?:.*\{)?$/,
  // arrow functions bound to a name
  /^(\s*)(?:export\s+)?(?:const|let)\s+([\w$]+)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:<[^>]*>)?\((?:.*=>\s*\{)?$/,
];

interface Span {
  name: string;
  line: number;
  lines: number;
}

/** The functions of one file, with their length in lines (signature to closing brace). */
export function functionSpans(text: string): Span[] {
  const lines = text.split("\n");
  const spans: Span[] = [];
  lines.forEach((line, i) => {
    const m = openings.map((re) => line.match(re)).find((found) => found && !notNames.has(found[2]));
    if (!m) return;
    const [, indent, name] = m;
    for (let j = i + 1; j < lines.length; j++) {
      if (lines[j].startsWith(`${indent}}`)) return void spans.push({ name, line: i + 1, lines: j - i + 1 });
      // Back at or above the opening's indentation without a closing brace: not a function body after all.
      const deeper = lines[j].startsWith(`${indent} `) || lines[j].startsWith(`${indent})`);
      if (lines[j].trim() !== "" && !deeper) return;
    }
  });
  return spans;
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sources("src")) {
    const text = Deno.readTextFileSync(`${root}${file}`);
    const count = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    if (count > MAX_FILE_LINES && !allowed.has(file)) found.push(`${file}: ${count} lines`);
    for (const span of functionSpans(text)) {
      if (span.lines > MAX_FUNCTION_LINES && !allowed.has(`${file}:${span.name}`)) {
        found.push(`${file}:${span.line} ${span.name}: ${span.lines} lines`);
      }
    }
  }
  return found;
}

Deno.test(`files in src/ have at most ${MAX_FILE_LINES} lines and functions at most ${MAX_FUNCTION_LINES}`, () => {
  assert.deepEqual(violations(), []);
});

Deno.test("the function finder sees declarations, methods, arrows and multi-line signatures, and measures them", () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `    x += ${i};`).join("\n");
  const text = [
    "export async function declared(a: number): Promise<void> {",
    body(3),
    "}",
    "class C {",
    "  async #method(",
    "    a: number,",
    "  ): Promise<void> {",
    "    if (a) {",
    body(90),
    "    }",
    "  }",
    "}",
    "const arrow = (a: number) => {",
    body(1),
    "};",
  ].join("\n");
  assert.deepEqual(functionSpans(text), [
    { name: "declared", line: 1, lines: 5 },
    { name: "#method", line: 7, lines: 96 },
    { name: "arrow", line: 104, lines: 3 },
  ]);
});

Deno.test("every allow-list entry names a file or function that still exists and still needs it", () => {
  for (const key of allowed.keys()) {
    const [file, name] = key.split(":");
    const text = Deno.readTextFileSync(`${root}${file}`);
    if (name === undefined) assert.ok(text.split("\n").length > MAX_FILE_LINES, `${file} no longer needs its entry`);
    else assert.ok(functionSpans(text).some((s) => s.name === name && s.lines > MAX_FUNCTION_LINES), key);
  }
});

/**
 * The whole-suite runner behind `deno task test`:
 *
 *   deno run -A tests/run.ts [FILE|DIR ...] [--filter PATTERN] [other `deno test` flags]
 *
 * 1. Type-checks the test files (and all they import) with `deno check`. Each file the checker reports errors in
 *    counts as one failure, but the tests still run, so that one half-written file does not hide everyone's results.
 *    Run without arguments (the whole suite), it also type-checks the rest of the tree and runs `deno lint` and
 *    `deno fmt --check`, as `deno task check` does, and `deno doc --lint` of every module deno.json exports; each
 *    of those that fails counts as one failure.
 * 2. Runs them in one `deno test --no-check` (already checked), streaming its output, and reads the counts from
 *    the reporter's summary line. Deno's JUnit file is kept in tests/output/junit.xml, but its counts are not used:
 *    it leaves out a test file that dies while loading, which the summary line counts.
 * 3. If that run ends without a summary (a file that cannot load stops the whole run), each file runs on its own and
 *    a file that again ends without a summary counts as one failure.
 *
 * The last line printed is always `N passed, N failed` (top-level tests, as Deno counts them); ignored tests, steps
 * and filtered-out counts go on the line before. The exit code is non-zero when anything failed.
 */

const root = new URL("..", import.meta.url).pathname;
const testsDir = new URL(".", import.meta.url).pathname;
const outputDir = `${testsDir}output`;
/** The package's entry points (deno.json `exports`), type-checked with the tree. */
const entryPoints = ["mod.ts", "tls.ts", "client.ts", "redis.ts", "acme.ts", "probe.ts", "ws.ts"];
/** Every module deno.json exports, for `deno doc --lint`: what JSR documents must be documented. */
const exportedModules = [...entryPoints, "certs/mod.ts"];
/**
 * `deno doc --lint` errors accepted, each with its reason. `upgradeWebSocket` has Hono's own type, so that Hono's
 * router and client see a WebSocket route as on Deno or Bun; documenting it would mean re-exporting Hono's
 * `Context` and everything it references, which is Hono's to document.
 */
const docLintAccepted = [/public type 'upgradeWebSocket' references private type 'UpgradeWebSocket'/];
/** `deno test` flags that take the next argument as their value. */
const flagsWithValue = new Set(["--filter", "--seed", "--coverage", "--parallel-jobs", "--location", "--env-file"]);

interface Counts {
  passed: number;
  failed: number;
  ignored: number;
  filtered: number;
  steps: { passed: number; failed: number; ignored: number };
}

const zero = (): Counts => ({
  passed: 0,
  failed: 0,
  ignored: 0,
  filtered: 0,
  steps: { passed: 0, failed: 0, ignored: 0 },
});

function add(a: Counts, b: Counts): Counts {
  return {
    passed: a.passed + b.passed,
    failed: a.failed + b.failed,
    ignored: a.ignored + b.ignored,
    filtered: a.filtered + b.filtered,
    steps: {
      passed: a.steps.passed + b.steps.passed,
      failed: a.steps.failed + b.steps.failed,
      ignored: a.steps.ignored + b.steps.ignored,
    },
  };
}

// deno-lint-ignore no-control-regex
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

/**
 * Reads Deno's summary line, e.g. `FAILED | 1 passed (1 step) | 3 failed (1 step) | 1 ignored | 4 filtered out`.
 * The last such line wins; null when there is none.
 */
export function parseSummary(output: string): Counts | null {
  const lines = stripAnsi(output).split("\n").filter((l) => /^(ok|FAILED) \| \d+ passed/.test(l.trim()));
  const line = lines.at(-1)?.trim();
  if (!line) return null;
  const field = (name: string) => {
    const m = line.match(new RegExp(`(\\d+) ${name}(?: \\((\\d+) steps?\\))?`));
    return { count: Number(m?.[1] ?? 0), steps: Number(m?.[2] ?? 0) };
  };
  const [passed, failed, ignored] = [field("passed"), field("failed"), field("ignored")];
  return {
    passed: passed.count,
    failed: failed.count,
    ignored: ignored.count,
    filtered: field("filtered out").count,
    steps: { passed: passed.steps, failed: failed.steps, ignored: ignored.steps },
  };
}

/** The files `deno check` reported errors in (any file of the graph, not only test files). */
export function filesWithTypeErrors(output: string): string[] {
  const files = new Set<string>();
  for (const m of stripAnsi(output).matchAll(/^\s+at (file:\/\/\S+?):\d+:\d+\s*$/gm)) {
    files.add(decodeURIComponent(new URL(m[1]).pathname).replace(root, ""));
  }
  return [...files];
}

/** Runs `deno args`, copying its output through as it comes and returning it too. */
async function run(args: string[]): Promise<{ code: number; output: string }> {
  const env: Record<string, string> = Deno.stdout.isTerminal() ? {} : { NO_COLOR: "1" };
  const child = new Deno.Command(Deno.execPath(), { args, cwd: root, env, stdout: "piped", stderr: "piped" }).spawn();
  let output = "";
  const tee = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      await writeAll(sink, chunk);
      output += decoder.decode(chunk, { stream: true });
    }
  };
  await Promise.all([tee(child.stdout, Deno.stdout), tee(child.stderr, Deno.stderr)]);
  return { code: (await child.status).code, output };
}

async function writeAll(sink: typeof Deno.stdout, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await sink.write(data.subarray(off));
}

/** Every `*_test.ts` under `dir`, sorted, leaving out test artifacts. */
function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir.replace(/\/$/, "")}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "output" && entry.name !== "node_modules") found.push(...findTests(path));
    else if (entry.isFile && entry.name.endsWith("_test.ts")) found.push(path);
  }
  return found.sort();
}

/** Splits our argv into test files (from file and directory arguments) and flags for `deno test`. */
function parseArgs(args: string[]): { files: string[]; flags: string[] } {
  const paths: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-")) paths.push(arg);
    else if (flagsWithValue.has(arg) && i + 1 < args.length) flags.push(arg, args[++i]);
    else flags.push(arg);
  }
  const files = paths.length === 0 ? findTests(testsDir) : paths.flatMap((p) => {
    const abs = p.startsWith("/") ? p : `${Deno.cwd()}/${p}`;
    return Deno.statSync(abs).isDirectory ? findTests(abs) : [abs];
  });
  return { files: files.map((f) => f.replace(root, "")), flags };
}

async function typeCheck(files: string[]): Promise<string[]> {
  console.log(`== type check: ${files.length} test files and what they import`);
  const { code, output } = await run(["check", ...files]);
  if (code === 0) return [];
  const broken = filesWithTypeErrors(output);
  if (broken.length > 0) return broken;
  const error = stripAnsi(output).split("\n").find((l) => l.startsWith("error:"));
  return [`(no file named) ${error?.slice(0, 200) ?? `deno check exited with ${code}`}`];
}

/**
 * For the whole suite, what `deno task check` checks too: the type check of everything outside the tests'
 * graph (examples, bench, certs), `deno lint` and `deno fmt --check` over the tree, and `deno doc --lint` of each
 * exported module. Each that fails counts as one failure.
 */
async function treeChecks(): Promise<string[]> {
  console.log(
    "== deno check of the entry points, src/, cli/, scripts/, examples/, bench/, certs/, deno lint, fmt --check, doc --lint",
  );
  const failures: string[] = [];
  const check = await run(["check", ...entryPoints, "src/", "cli/", "scripts/", "examples/", "bench/", "certs/"]);
  if (check.code !== 0) {
    failures.push(`deno check: ${filesWithTypeErrors(check.output).join(", ") || `exit ${check.code}`}`);
  }
  const lint = await run(["lint"]);
  if (lint.code !== 0) failures.push("deno lint reported problems (printed above)");
  const fmt = await run(["fmt", "--check"]);
  if (fmt.code !== 0) {
    failures.push("deno fmt --check: files not formatted (printed above; `deno task fmt` fixes them)");
  }
  for (const module of exportedModules) {
    const errors = await docLintErrors(module);
    if (errors.length > 0) {
      console.log(errors.join("\n\n"));
      failures.push(`deno doc --lint ${module}: ${errors.length} errors (printed above)`);
    }
  }
  return failures;
}

/**
 * The `deno doc --lint` errors of one exported module that `docLintAccepted` does not accept, each with its
 * location. Its output is read rather than streamed: type resolution warnings about node_modules are noise here.
 */
export async function docLintErrors(module: string): Promise<string[]> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", module],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const text = stripAnsi(new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr));
  const blocks = text.split(/\n(?=error\[)/).filter((b) => b.startsWith("error["));
  const errors = blocks.map((b) => b.split("\n").filter((l) => /^error\[|-->/.test(l.trim())).join("\n"));
  const counted = errors.filter((e) => !docLintAccepted.some((re) => re.test(e)));
  if (code !== 0 && blocks.length === 0) {
    counted.push(`deno doc --lint ${module} exited ${code}:\n${text.slice(-2000)}`);
  }
  return counted;
}

async function runTests(files: string[], flags: string[]): Promise<{ counts: Counts; notes: string[] }> {
  const base = ["test", "-A", "--no-check", ...flags];
  console.log(`== deno test: ${files.length} files`);
  const all = await run([...base, `--junit-path=${outputDir}/junit.xml`, ...files]);
  const counts = parseSummary(all.output);
  if (counts) {
    const notes = counts.failed === 0 && all.code !== 0 ? [`deno test exited with ${all.code}`] : [];
    return { counts: { ...counts, failed: counts.failed + notes.length }, notes };
  }
  console.log("== the run ended without a summary; running each file on its own");
  let total = zero();
  const notes: string[] = [];
  for (const file of files) {
    const one = await run([...base, file]);
    const c = parseSummary(one.output);
    if (c) total = add(total, c);
    else {
      notes.push(`${file} did not run (exit ${one.code})`);
      total.failed++;
    }
  }
  return { counts: total, notes };
}

async function main(): Promise<number> {
  const { files, flags } = parseArgs(Deno.args);
  Deno.mkdirSync(outputDir, { recursive: true });
  if (files.length === 0) {
    console.log("no test files found");
    console.log("0 passed, 0 failed");
    return 0;
  }
  const typeErrors = await typeCheck(files);
  const treeFailures = Deno.args.length === 0 ? await treeChecks() : [];
  const { counts, notes: testNotes } = await runTests(files, flags);
  const notes = [...treeFailures, ...testNotes];
  const failed = counts.failed + typeErrors.length + treeFailures.length;
  console.log("");
  for (const file of typeErrors) console.log(`type errors: ${file}`);
  for (const note of notes) console.log(`failed: ${note}`);
  const s = counts.steps;
  const checked = typeErrors.length === 0 ? "ok" : `${typeErrors.length} files with errors`;
  console.log(
    `skipped: ${counts.ignored} ignored, ${counts.filtered} filtered out; ` +
      `steps: ${s.passed} ok, ${s.failed} failing, ${s.ignored} ignored; type check: ${checked}`,
  );
  console.log(`${counts.passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());

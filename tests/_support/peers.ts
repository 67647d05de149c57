/**
 * Which real peers (binaries) exist on this machine. A test that needs a missing peer is skipped with a
 * printed reason locally; under CI (`CI=true`) a missing peer fails the test instead, because CI installs them.
 */

const cache = new Map<string, string | null>();

/** Absolute path of `name` on PATH (or in node_modules/.bin), or null. */
export function which(name: string): string | null {
  if (cache.has(name)) return cache.get(name)!;
  const dirs = [
    new URL("../../node_modules/.bin", import.meta.url).pathname,
    ...(Deno.env.get("PATH") ?? "").split(":"),
  ];
  let found: string | null = null;
  for (const dir of dirs) {
    try {
      const path = `${dir}/${name}`;
      const info = Deno.statSync(path);
      if (info.isFile || info.isSymlink) {
        found = path;
        break;
      }
    } catch { /* not here */ }
  }
  cache.set(name, found);
  return found;
}

export const inCI = Deno.env.get("CI") === "true";

/**
 * Options for Deno.test: `ignore` when a peer is missing outside CI (printing why once), and a clear failure
 * inside CI.
 */
export function needs(...names: string[]): { ignore: boolean } {
  const missing = names.filter((n) => which(n) === null);
  if (missing.length === 0) return { ignore: false };
  if (inCI) throw new Error(`CI must provide: ${missing.join(", ")}`);
  console.warn(`skipping: ${missing.join(", ")} not installed (CI installs it)`);
  return { ignore: true };
}

const pythons = new Map<string, string | null>();

/**
 * A Python 3 interpreter that can import `module` (e.g. "websockets", Debian's python3-websockets), or null: the
 * `python3` on PATH first, then Debian's /usr/bin/python3 (a pyenv on PATH does not see Debian's packages).
 */
export function pythonWith(module: string): string | null {
  if (pythons.has(module)) return pythons.get(module)!;
  let found: string | null = null;
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const r = new Deno.Command(python, { args: ["-c", `import ${module}`], stdout: "null", stderr: "null" })
        .outputSync();
      if (r.success) {
        found = python;
        break;
      }
    } catch { /* not installed */ }
  }
  pythons.set(module, found);
  return found;
}

/** Like `needs`, for a Python module (installed with apt in CI). */
export function needsPython(module: string): { ignore: boolean } {
  if (pythonWith(module) !== null) return { ignore: false };
  if (inCI) throw new Error(`CI must provide the Python module ${module}`);
  console.warn(`skipping: Python module ${module} not installed (CI installs it)`);
  return { ignore: true };
}

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

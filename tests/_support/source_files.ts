/** The repository's source files, for the tests that read the tree (import rules, sizes). */

/** The repository root, ending in "/". */
export const root = new URL("../..", import.meta.url).pathname;

/** Every .ts, .js and .mjs file below `dir` (a path from the root, e.g. "src"), as paths from the root. */
export function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`${root}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...sources(path));
    else if (/\.(ts|js|mjs)$/.test(entry.name)) found.push(path);
  }
  return found;
}

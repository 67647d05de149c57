/**
 * Which JavaScript runtime this process runs on, in one leaf module that imports nothing: the transport picks its
 * adapter by it and the native crypto provider its primitives (DESIGN.md: each runtime lacks different ones).
 */

/** The runtimes the package runs on. */
export type Runtime = "deno" | "bun" | "node";

/** The runtime this process runs on. Bun and Deno both provide `process`, so they are tested first. */
export function currentRuntime(): Runtime {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

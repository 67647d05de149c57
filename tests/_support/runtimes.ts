/**
 * The runtime matrix: how to run one of our TypeScript entry points under Deno, Bun or Node.
 * Binaries come from node_modules/.bin (the `deno`, `bun` and `tsx` npm packages).
 */
import type { Runtime } from "../../src/runtime.ts";

export type { Runtime };

const bin = (name: string) => new URL(`../../node_modules/.bin/${name}`, import.meta.url).pathname;

export const runtimes: Runtime[] = ["deno", "bun", "node"];

/** argv that runs `script` (a path) with `args` under `runtime`. */
export function command(runtime: Runtime, script: string, args: string[] = []): string[] {
  switch (runtime) {
    case "deno":
      return [Deno.execPath(), "run", "-A", script, ...args];
    case "bun":
      return [bin("bun"), "run", script, ...args];
    case "node":
      return [bin("tsx"), script, ...args];
  }
}

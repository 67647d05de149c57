/**
 * The `tls13-hono` command: `certs` (a development CA and certificates) and `probe` (what a TLS server negotiates).
 * The package's `bin` runs it with plain Node; `deno run -A cli/main.ts` and `bun cli/main.ts` run it too.
 */
import process from "node:process";
import { certsCommand, certsUsage } from "./certs_command.ts";
import { probeCommand, probeUsage } from "./probe_command.ts";
import { UsageError } from "./usage_error.ts";

const usage = `usage: tls13-hono <command> [options]\n\n${certsUsage}\n\n${probeUsage}`;

/** Runs the command line `argv` (without the program name); resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "certs":
        return await certsCommand(rest);
      case "probe":
        return await probeCommand(rest);
      case undefined:
      case "help":
      case "-h":
      case "--help":
        console.log(usage);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command ${command}`, usage);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) console.error(e.message);
    console.error(e.usage);
    return 1;
  }
}

const meta = import.meta as ImportMeta & { main?: boolean };
if (meta.main) process.exitCode = await main(process.argv.slice(2));

/**
 * deno task probe HOST[:PORT] [--json] [--ca FILE] [--servername NAME] [--alpn h2,http/1.1] [--timeout MS]
 *
 * The CLI's probe command (`npx tls13-hono probe`, cli/probe_command.ts) run from the repository.
 * Runs on Bun and Node too: `bun examples/probe.ts ...`, `npx tsx examples/probe.ts ...`.
 */
import process from "node:process";
import { main } from "../cli/main.ts";

process.exitCode = await main(["probe", ...process.argv.slice(2)]);

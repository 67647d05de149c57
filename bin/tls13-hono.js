#!/usr/bin/env node
// The `tls13-hono` command of the npm package: cli/main.ts, built into dist/cli.js by scripts/build.ts.
import process from "node:process";
import { main } from "../dist/cli.js";

process.exitCode = await main(process.argv.slice(2));

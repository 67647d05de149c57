/**
 * deno task probe HOST[:PORT] [--json] [--ca FILE] [--servername NAME] [--alpn h2,http/1.1] [--timeout MS]
 *
 * Connects with our TLS 1.3 client and prints whether the chain verified (and if not, why), the protocol, cipher
 * suite, group, ALPN, the chain with days left, and how long the handshake took. IPv6: `[::1]:8443`.
 * Exit status: 0 verified, 2 connected but not verified, 1 no TLS 1.3 handshake at all.
 * Runs on Bun and Node too: `bun examples/probe.ts ...`, `npx tsx examples/probe.ts ...`.
 */
import process from "node:process";
import { formatProbeReport, probe, type ProbeOptions } from "../src/probe.ts";

const usage = "usage: probe HOST[:PORT] [--json] [--ca FILE] [--servername NAME] [--alpn h2,http/1.1] [--timeout MS]";

function parseArgs(argv: string[]): { target: string; json: boolean; options: ProbeOptions } {
  let target: string | undefined;
  let json = false;
  const options: ProbeOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new TypeError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--json") json = true;
    else if (arg === "--ca") options.ca = { path: value() };
    else if (arg === "--servername") options.servername = value();
    else if (arg === "--alpn") options.alpn = value().split(",").filter(Boolean);
    else if (arg === "--timeout") options.timeout = Number(value());
    else if (arg === "-h" || arg === "--help") throw new TypeError(usage);
    else if (arg.startsWith("-")) throw new TypeError(`unknown option ${arg}\n${usage}`);
    else if (target === undefined) target = arg;
    else throw new TypeError(`one target only\n${usage}`);
  }
  if (!target) throw new TypeError(usage);
  return { target, json, options };
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}

try {
  const report = await probe(args.target, args.options);
  console.log(args.json ? JSON.stringify(report, null, 2) : formatProbeReport(report));
  process.exit(report.verified === true ? 0 : 2);
} catch (e) {
  const error = e as Error & { alertName?: string };
  if (args.json) {
    console.log(
      JSON.stringify(
        { target: args.target, error: { alert: error.alertName ?? null, message: error.message } },
        null,
        2,
      ),
    );
  } else console.error(`probe ${args.target}: ${error.message}`);
  process.exit(1);
}

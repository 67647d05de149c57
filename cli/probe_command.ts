/**
 * `tls13-hono probe HOST[:PORT] [--json] [--ca FILE] [--servername NAME] [--alpn h2,http/1.1] [--timeout MS]`
 *
 * Connects with our TLS 1.3 client and prints whether the chain verified (and if not, why), the protocol, cipher
 * suite, group, ALPN, the chain with days left, and how long the handshake took. IPv6: `[::1]:8443`.
 * Exit status: 0 verified, 2 connected but not verified, 1 no TLS 1.3 handshake at all (or a usage error).
 */
import { formatProbeReport, probe, type ProbeOptions } from "../src/probe.ts";
import { UsageError } from "./usage_error.ts";

export const probeUsage =
  "usage: tls13-hono probe HOST[:PORT] [--json] [--ca FILE] [--servername NAME] [--alpn h2,http/1.1] [--timeout MS]";

interface ProbeArgs {
  target: string;
  json: boolean;
  options: ProbeOptions;
}

function parseProbeArgs(argv: readonly string[]): ProbeArgs {
  let target: string | undefined;
  let json = false;
  const options: ProbeOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`, probeUsage);
      return v;
    };
    if (arg === "--json") json = true;
    else if (arg === "--ca") options.ca = { path: value() };
    else if (arg === "--servername") options.servername = value();
    else if (arg === "--alpn") options.alpn = value().split(",").filter(Boolean);
    else if (arg === "--timeout") options.timeout = Number(value());
    else if (arg === "-h" || arg === "--help") throw new UsageError("", probeUsage);
    else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`, probeUsage);
    else if (target === undefined) target = arg;
    else throw new UsageError("one target only", probeUsage);
  }
  if (!target) throw new UsageError("", probeUsage);
  return { target, json, options };
}

/** Runs the probe command; resolves with the exit status. */
export async function probeCommand(argv: readonly string[]): Promise<number> {
  const args = parseProbeArgs(argv);
  try {
    const report = await probe(args.target, args.options);
    console.log(args.json ? JSON.stringify(report, null, 2) : formatProbeReport(report));
    return report.verified === true ? 0 : 2;
  } catch (e) {
    const error = e as Error & { alertName?: string };
    if (args.json) {
      const failure = { target: args.target, error: { alert: error.alertName ?? null, message: error.message } };
      console.log(JSON.stringify(failure, null, 2));
    } else console.error(`probe ${args.target}: ${error.message}`);
    return 1;
  }
}

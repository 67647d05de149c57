/**
 * The probe: connects to a TLS server with our client and reports whether its chain verifies (and why not), the
 * version, suite, group, ALPN, the chain with days left, and timings. The CLI's `tls13-hono probe` prints it.
 *
 * ```ts
 * import { formatProbeReport, probe } from "tls13-hono/probe";
 *
 * console.log(formatProbeReport(await probe("example.com:443")));
 * ```
 *
 * @module
 */
export {
  type ChainEntry,
  formatProbeReport,
  parseTarget,
  probe,
  type ProbeOptions,
  type ProbeReport,
} from "./src/probe.ts";
export type { CaSource } from "./src/io/tls_connect.ts";
export type { OcspReport } from "./src/probe.ts";

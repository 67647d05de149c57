/**
 * A development CA and certificates, in the spirit of mkcert: what `npx tls13-hono certs` makes, as functions.
 *
 * ```ts
 * import { ensureHostCerts } from "tls13-hono/certs";
 *
 * const certs = await ensureHostCerts("certs", { hosts: ["localhost", "127.0.0.1"] });
 * // serve({ fetch, tls: { cert: { path: certs.server.cert }, key: { path: certs.server.key } } })
 * ```
 *
 * Trust `ca.pem` in the clients you test with; it is a real CA for whoever holds `ca-key.pem`, so keep that private.
 *
 * @module
 */
export { DEFAULT_HOSTS, ensureHostCerts, type HostCerts, type HostCertsOptions } from "./hosts.ts";
export {
  type CertKeyPaths,
  type DevCerts,
  ensureDevCerts,
  type EnsureOptions,
  type ServerKeyType,
} from "./generate.ts";
export type { DevKeyType } from "./issue.ts";

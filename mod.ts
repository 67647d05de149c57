/**
 * HTTPS for Hono apps on Deno, Bun and Node, over a TLS 1.3 stack written in TypeScript.
 *
 * ```ts
 * import { Hono } from "hono";
 * import { serve, type TlsBindings } from "tls13-hono";
 *
 * const app = new Hono<{ Bindings: TlsBindings }>();
 * app.get("/", (c) => c.json(c.env.tls));
 * serve({ fetch: app.fetch, port: 8443, tls: { cert: { path: "cert.pem" }, key: { path: "key.pem" } } });
 * ```
 *
 * This entry point is what a server needs: `serve()`, `getConnInfo()`, the Hono middlewares for client certificates
 * and early data, and the types of their options. Lower levels have their own entry points: `./tls` (TLS sockets,
 * the engine), `./client` (HTTPS requests), `./redis` (a shared 0-RTT replay store), `./certs` (a development CA)
 * and `./probe`.
 *
 * @module
 */
export { type FetchHandler, serve, type ServeOptions, type Server } from "./src/serve.ts";
export { describeClientCertificate } from "./src/hono/tls_env.ts";
export { type BudgetLimits, ConnectionsReclaimed } from "./src/io/connection_budget.ts";
export {
  type ClientCertificateInfo,
  type ConnInfo,
  getConnInfo,
  type TlsBindings,
  type TlsInfo,
} from "./src/hono/bindings.ts";
export { rejectEarlyData, SAFE_METHODS, tooEarlyResponse } from "./src/hono/early_data.ts";
export {
  clientCertificate,
  type ClientCertificateOptions,
  type Context as ClientCertificateContext,
} from "./src/hono/client_certificate.ts";
export { ClientCertificateError, type ClientCertificateFailure } from "./src/io/client_certificate.ts";
export type { EarlyDataOptions, TicketOptions, TlsServerOptions } from "./src/io/tls_server_config.ts";
export type { ListenTlsOptions } from "./src/io/tls_listener.ts";
export type { HttpLimits, ServerOptions as HttpServerOptions, ServerTimeouts } from "./src/http/limits.ts";
export type { ClientAuthMode } from "./src/tls/server/client_auth.ts";
export type { CertifiedKeyInput, PemSource } from "./src/io/pki_files.ts";
export type { ReplayStore } from "./src/tls/tickets/replay_store.ts";
export { MemoryReplayStore, type MemoryReplayStoreOptions } from "./src/tls/tickets/memory_replay_store.ts";
export {
  defaultProvider,
  type NativePlan,
  type NativeProvider,
  nativeProvider,
  nobleProvider,
  type RuntimeName,
} from "./src/crypto/mod.ts";
export type { DhGroupName, Path as ProviderPath } from "./src/crypto/native.ts";
export type * from "./src/crypto/provider.ts";
export { AlertDescription, type AlertName, type AlertSource, TlsAlert } from "./src/tls/alert.ts";
export { TlsUsageError, type UsageErrorCode } from "./src/tls/usage_error.ts";
export { type FailureName, failures } from "./src/tls/failures.ts";
export { LoadError, type LoadErrorCode } from "./src/tls/pki/load_error.ts";
export type { NetAddr } from "./src/transport/types.ts";
export type { CertificateResolver } from "./src/tls/server/certificate_resolver.ts";
export type { Duplex } from "./src/net/duplex.ts";
export type { ServerCertificate } from "./src/tls/server/server_config.ts";

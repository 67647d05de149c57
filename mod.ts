/**
 * Public API: HTTPS for Hono apps on Deno, Bun and Node over a TLS 1.3 stack written in TypeScript.
 * Everything else under src/ is internal and may change.
 */
export { listenTls, type ListenTlsOptions, type ServerTlsSocket, TlsListener } from "./src/io/tls_listener.ts";
export { type BudgetLimits, ConnectionsReclaimed } from "./src/io/connection_budget.ts";
export type { TlsServerOptions } from "./src/io/tls_server_config.ts";
export { TlsSocket } from "./src/io/tls_socket.ts";
export type { ConnectionInfo } from "./src/tls/connection_info.ts";
export { AlertDescription, TlsAlert } from "./src/tls/alert.ts";
export { CertificateError } from "./src/tls/pki/certificate_error.ts";
export { defaultProvider, nativeProvider, nobleProvider } from "./src/crypto/mod.ts";
export type { CryptoProvider, GroupName } from "./src/crypto/provider.ts";
export { type FetchHandler, serve, type ServeOptions, type Server } from "./src/serve.ts";
export { describeClientCertificate } from "./src/hono/tls_env.ts";
export {
  type ClientCertificateInfo,
  type ConnInfo,
  getConnInfo,
  type TlsBindings,
  type TlsInfo,
} from "./src/hono/bindings.ts";
export { rejectEarlyData, SAFE_METHODS, tooEarlyResponse } from "./src/hono/early_data.ts";
export { clientCertificate, type ClientCertificateOptions } from "./src/hono/client_certificate.ts";
export {
  ClientCertificateError,
  type ClientCertificateFailure,
  requestClientCertificate,
} from "./src/io/client_certificate.ts";
export {
  type CertificateSummary,
  connect,
  connectTls,
  type ConnectTlsOptions,
  type TlsClientConnection,
  type TlsClientInfo,
} from "./src/io/tls_connect.ts";
export { formatProbeReport, probe, type ProbeOptions, type ProbeReport } from "./src/probe.ts";
export { request as httpRequest } from "./src/http/client.ts";
export type { ReplayStore } from "./src/tls/tickets/replay_store.ts";
export { MemoryReplayStore } from "./src/tls/tickets/memory_replay_store.ts";
export { RedisReplayStore } from "./src/tls/tickets/redis_replay_store.ts";
export type { EarlyDataOptions, TicketOptions } from "./src/io/tls_server_config.ts";
export { ClientSessionCache, defaultSessionCache } from "./src/tls/client/session_cache.ts";
export { httpsRequest, type HttpsRequestOptions, type HttpsResponse } from "./src/io/https_request.ts";

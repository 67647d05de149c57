/**
 * TLS 1.3 sockets for any protocol, server and client, and the sans-IO engine underneath.
 *
 * ```ts
 * import { listenTls } from "tls13-hono/tls";
 *
 * const listener = await listenTls({ port: 8443, cert: { path: "cert.pem" }, key: { path: "key.pem" } });
 * for await (const socket of listener) {
 *   // socket is a byte duplex of application data: read(), write(), close()
 * }
 * ```
 *
 * @module
 */
export { listenTls, type ListenTlsOptions, type ServerTlsSocket, TlsListener } from "./src/io/tls_listener.ts";
export type { EarlyDataOptions, TicketOptions, TlsServerOptions } from "./src/io/tls_server_config.ts";
export { TlsSocket, type TlsSocketOptions } from "./src/io/tls_socket.ts";
export {
  ClientCertificateError,
  type ClientCertificateFailure,
  type RequestCertificateOptions,
  requestClientCertificate,
} from "./src/io/client_certificate.ts";
export {
  type CaSource,
  type CertificateSummary,
  connect,
  connectTls,
  type ConnectTlsOptions,
  type TlsClientConnection,
  type TlsClientInfo,
} from "./src/io/tls_connect.ts";
export {
  type CertifiedKeyInput,
  loadCertifiedKey,
  loadTrustStore,
  type PemSource,
  systemTrustStore,
} from "./src/io/pki_files.ts";
export type { ConnectionInfo } from "./src/tls/connection_info.ts";
export { AlertDescription, type AlertName, type AlertSource, TlsAlert } from "./src/tls/alert.ts";
export {
  CertificateError,
  certificateErrorAlerts,
  type CertificateErrorCode,
} from "./src/tls/pki/certificate_error.ts";
export { LoadError, type LoadErrorCode } from "./src/tls/pki/load_error.ts";
export { TrustStore } from "./src/tls/pki/trust_store.ts";
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
export type { ReplayStore } from "./src/tls/tickets/replay_store.ts";
export { MemoryReplayStore, type MemoryReplayStoreOptions } from "./src/tls/tickets/memory_replay_store.ts";
export { ClientSessionCache, defaultSessionCache } from "./src/tls/client/session_cache.ts";
export { ServerConnection } from "./src/tls/server/server_connection.ts";
export { ClientConnection } from "./src/tls/client/client_connection.ts";
export type { Duplex, NetAddr } from "./src/transport/types.ts";
export { type Side, TlsConnection } from "./src/tls/connection.ts";
export type { TlsEvent } from "./src/tls/events.ts";
export type { ServerCertificate, ServerConfig, TicketConfig } from "./src/tls/server/server_config.ts";
export type { ClientSession } from "./src/tls/client/session.ts";
export type { CertificateStatus } from "./src/tls/client/server_auth.ts";
export type { CertificatePurpose, VerifiedPath } from "./src/tls/pki/verify_chain.ts";
export type {
  AlgorithmIdentifier,
  Certificate,
  DistinguishedName,
  Extension,
  SubjectAltNames,
} from "./src/tls/pki/certificate.ts";
export type { ClientConfig, ServerCertificateVerifier, VerifyContext } from "./src/tls/client/client_config.ts";
export type { PublicKeyAlgorithm, PublicKeyInfo } from "./src/tls/pki/public_key.ts";
export type { Tlv } from "./src/tls/pki/der.ts";
export type { CertifiedKey, LeafInfo, NamedPem } from "./src/tls/pki/certified_key.ts";
export type { HttpLimits } from "./src/http/limits.ts";
export type { ClientAuthConfig, ClientAuthMode } from "./src/tls/server/client_auth.ts";
export type { SessionCacheOptions, TakeOptions } from "./src/tls/client/session_cache.ts";
export type { CertificateResolver } from "./src/tls/server/certificate_resolver.ts";
export type { CookieState, RetryCookieCodec } from "./src/tls/server/hello_retry.ts";
export {
  type BudgetLimits,
  type ConnectionBudget,
  ConnectionsReclaimed,
  type Reclaimable,
} from "./src/io/connection_budget.ts";
export type { EarlyDataStatus } from "./src/tls/client/early_data.ts";
export type { OcspCheck } from "./src/tls/client/ocsp_staple.ts";
export { OcspError, ocspErrorAlerts, type OcspErrorCode, type OcspStatus } from "./src/tls/pki/ocsp.ts";
export type { TicketSealer } from "./src/tls/tickets/ticket_keys.ts";
export type { Extension as TlsExtension } from "./src/tls/wire/extensions/extension_list.ts";
export type { HandshakeMessage } from "./src/tls/wire/handshake.ts";
export { type FailureName, failures } from "./src/tls/failures.ts";

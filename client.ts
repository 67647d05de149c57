/**
 * An HTTPS client over our TLS 1.3 stack, with a session cache for resumption and 0-RTT early data.
 *
 * ```ts
 * import { httpsRequest } from "tls13-hono/client";
 *
 * const res = await httpsRequest("https://localhost:8443/", { ca: { path: "ca.pem" }, earlyData: true });
 * console.log(res.status, res.tls.resumed, res.tls.earlyDataAccepted);
 * ```
 *
 * @module
 */
export { httpsRequest, type HttpsRequestOptions, type HttpsResponse } from "./src/io/https_request.ts";
export type { CaSource, CertificateSummary, ConnectTlsOptions, TlsClientInfo } from "./src/io/tls_connect.ts";
export {
  ClientSessionCache,
  defaultSessionCache,
  type SessionCacheOptions,
  type TakeOptions,
} from "./src/tls/client/session_cache.ts";
export { type ClientOptions as HttpClientOptions, request as httpRequest } from "./src/http/client.ts";
export { AlertDescription, type AlertName, type AlertSource, TlsAlert } from "./src/tls/alert.ts";
export {
  CertificateError,
  certificateErrorAlerts,
  type CertificateErrorCode,
} from "./src/tls/pki/certificate_error.ts";

// Types that the options and results above refer to.
export type { PemSource } from "./src/io/pki_files.ts";
export type { ConnectionInfo } from "./src/tls/connection_info.ts";
export type { Duplex, NetAddr } from "./src/transport/types.ts";
export type { HttpLimits } from "./src/http/limits.ts";
export type * from "./src/crypto/provider.ts";
export type { ClientSession } from "./src/tls/client/session.ts";
export type { CertificateStatus } from "./src/tls/client/server_auth.ts";
export type { ServerCertificateVerifier, VerifyContext } from "./src/tls/client/client_config.ts";
export type { CertificatePurpose, VerifiedPath } from "./src/tls/pki/verify_chain.ts";
export type {
  AlgorithmIdentifier,
  Certificate,
  DistinguishedName,
  Extension,
  SubjectAltNames,
} from "./src/tls/pki/certificate.ts";
export type { PublicKeyAlgorithm, PublicKeyInfo } from "./src/tls/pki/public_key.ts";
export type { Tlv } from "./src/tls/pki/der.ts";
export { type FailureName, failures } from "./src/tls/failures.ts";
export type { OcspCheck } from "./src/tls/client/ocsp_staple.ts";
export { OcspError, ocspErrorAlerts, type OcspErrorCode, type OcspStatus } from "./src/tls/pki/ocsp.ts";

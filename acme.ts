/**
 * Certificates in production: ACME (RFC 8555) with the tls-alpn-01 challenge (RFC 8737) answered by our own TLS
 * stack, renewal and hot swap, and OCSP stapling (RFC 6960, RFC 8446 §4.4.2.1) for certificates from ACME or from
 * files. ACME needs the `acme-client` package, an optional peer dependency: install it next to this one. Servers
 * that do not import this entry point never load it.
 *
 * ```ts
 * import { serve } from "tls13-hono";
 * import { AcmeManager } from "tls13-hono/acme";
 *
 * const acme = new AcmeManager({ directoryUrl, domains: ["example.com"], email: "ops@example.com" });
 * serve({ fetch, port: 443, tls: { resolver: acme.resolver } });
 * await acme.start();
 * ```
 *
 * @module
 */
export { AcmeManager, type AcmeOptions } from "./src/acme/manager.ts";
export { type CertificateStorage, DirectoryStorage } from "./src/acme/storage.ts";
export { CertificateSet } from "./src/acme/certificate_set.ts";
export { type CertificateEvent, formatEvent } from "./src/acme/events.ts";
export { stapleCertificates, type StapledCertificates } from "./src/acme/stapled_certificates.ts";
export type { CertificateResolver } from "./src/tls/server/certificate_resolver.ts";
export { OcspError } from "./src/tls/pki/ocsp.ts";
export type { CaSource } from "./src/io/tls_connect.ts";
export type { CertifiedKeyInput, PemSource } from "./src/io/pki_files.ts";
export type * from "./src/crypto/provider.ts";
export type { EventSink } from "./src/acme/events.ts";
export { ocspErrorAlerts, type OcspErrorCode } from "./src/tls/pki/ocsp.ts";
export { type FailureName, failures } from "./src/tls/failures.ts";
export type { ServerCertificate } from "./src/tls/server/server_config.ts";
export { AlertDescription, type AlertName, type AlertSource, TlsAlert } from "./src/tls/alert.ts";

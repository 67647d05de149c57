/**
 * Where a server's certificates come from. The engine asks once per full handshake, with the client's SNI
 * (RFC 6066 §3), so certificates can be replaced while the server runs: the next handshake gets the new one,
 * and a handshake in flight finishes on the one it chose. Renewal, storage and OCSP refresh live outside the
 * engine (src/acme/) and publish their results through this interface.
 */
import { orderBySni } from "./negotiate.ts";
import type { ServerCertificate } from "./server_config.ts";

/** Where the engine gets its certificates, once per full handshake, so they can change while the server runs. */
export interface CertificateResolver {
  /** Candidates for `serverName` (lowercase, no trailing dot), best first; the engine takes the first it can sign with. */
  certificates(serverName: string | undefined): readonly ServerCertificate[];
  /**
   * RFC 8737 §3: the tls-alpn-01 certificate for a pending challenge on `serverName`, or null. Only a
   * ClientHello offering exactly the ALPN protocol "acme-tls/1" is ever answered with it.
   */
  acmeChallenge?(serverName: string): ServerCertificate | null | Promise<ServerCertificate | null>;
}

/** A fixed list: exact SNI match, then a wildcard, then the rest in order (the first is the default). */
export function staticResolver(list: readonly ServerCertificate[]): CertificateResolver {
  if (list.length === 0) throw new TypeError("a TLS server needs at least one certificate");
  return { certificates: (serverName) => orderBySni(list, serverName) };
}

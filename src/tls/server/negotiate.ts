/**
 * The server's choices from a ClientHello (RFC 8446 §4.1.1): cipher suite, key exchange group, certificate
 * and signature scheme, ALPN. Pure functions over the hello and the config; each refusal is the alert the
 * RFC names.
 */
import { failure } from "../failures.ts";
import type { GroupName } from "../../crypto/provider.ts";
import { type SuiteParams, suiteParams } from "../cipher_suite.ts";
import type { ClientHello } from "../wire/client_hello.ts";
import { CipherSuite, isGrease, NamedGroup } from "../wire/constants.ts";
import type { KeyShareEntry } from "../wire/extensions/key_share.ts";
import type { ServerCertificate, ServerConfig } from "./server_config.ts";

/**
 * Server preference, except that a client listing ChaCha20-Poly1305 first (typically one without AES
 * hardware) gets it when we allow it, as BoringSSL and Go do; and a resuming client gets its ticket's suite
 * when both sides allow it, because 0-RTT needs the same suite (RFC 8446 §4.2.10) and a fleet's nodes may
 * prefer different ones.
 */
export function chooseCipherSuite(hello: ClientHello, config: ServerConfig, ticketSuite?: number): SuiteParams {
  const offered = hello.cipherSuites.filter((s) => !isGrease(s));
  if (ticketSuite !== undefined && offered.includes(ticketSuite) && config.cipherSuites.includes(ticketSuite)) {
    return suiteParams(ticketSuite)!;
  }
  const chacha = CipherSuite.TLS_CHACHA20_POLY1305_SHA256;
  if (offered[0] === chacha && config.cipherSuites.includes(chacha)) return suiteParams(chacha)!;
  for (const s of config.cipherSuites) if (offered.includes(s)) return suiteParams(s)!;
  throw failure("no_common_cipher_suite");
}

/** A group's NamedGroup code point: the table's names are our GroupNames. */
export const groupCode: Readonly<Record<GroupName, number>> = NamedGroup;

export interface GroupChoice {
  group: GroupName;
  /** The client's share for that group, or undefined when a HelloRetryRequest must ask for one. */
  share?: KeyShareEntry;
}

/**
 * A group for which the client already sent a share wins (saves a round trip), in our preference order;
 * otherwise our most preferred group among the client's supported_groups, which needs a HelloRetryRequest.
 */
export function chooseGroup(hello: ClientHello, config: ServerConfig): GroupChoice {
  const supported = hello.supportedGroups!;
  const shares = hello.keyShares!;
  // RFC 8446 §4.2.8: each KeyShareEntry MUST correspond to a group offered in supported_groups.
  for (const s of shares) {
    if (!supported.includes(s.group)) {
      throw failure("key_share_unsupported_group");
    }
  }
  for (const g of config.groups) {
    const share = shares.find((s) => s.group === groupCode[g]);
    if (share) return { group: g, share };
  }
  for (const g of config.groups) if (supported.includes(groupCode[g])) return { group: g };
  throw failure("no_common_group");
}

export interface CertificateChoice {
  certificate: ServerCertificate;
  scheme: number;
}

/**
 * SNI picks the certificate (exact name, then wildcard, then the default); among certificates that fit the
 * name, the first whose key can sign a scheme the client accepts. RFC 8446 §4.2.3: if none can, we fail
 * with handshake_failure before sending anything.
 */
export function chooseCertificate(hello: ClientHello, config: ServerConfig): CertificateChoice {
  const accepted = hello.signatureAlgorithms ?? [];
  const candidates = config.certificates.certificates(hello.serverName);
  // A resolver may hold nothing yet (an ACME certificate still being obtained).
  if (candidates.length === 0) throw failure("no_certificate_yet");
  for (const certificate of candidates) {
    const scheme = certificate.schemes.find((s) => accepted.includes(s));
    if (scheme !== undefined) return { certificate, scheme };
  }
  throw failure("no_certificate_for_schemes");
}

/** RFC 8737 §6.2: the ALPN protocol of tls-alpn-01 validation. */
export const ACME_TLS_ALPN = "acme-tls/1";

/**
 * RFC 8737 §3: a ClientHello offering only "acme-tls/1" is an ACME server validating a tls-alpn-01 challenge.
 * It gets the challenge certificate for its SNI name and nothing else (no resumption, no other certificate).
 */
export function isAcmeValidation(hello: ClientHello): boolean {
  return hello.alpn?.length === 1 && hello.alpn[0] === ACME_TLS_ALPN;
}

/**
 * The challenge certificate for an ACME validation (`isAcmeValidation`); without a pending challenge for the
 * SNI name the hello is refused (no_application_protocol). Asynchronous: a fleet may keep challenges in a store.
 */
export async function chooseAcmeChallenge(hello: ClientHello, config: ServerConfig): Promise<CertificateChoice> {
  const certificate = hello.serverName ? await config.certificates.acmeChallenge?.(hello.serverName) : null;
  if (!certificate) throw failure("acme_challenge_unknown", `no challenge for ${hello.serverName ?? "(no SNI)"}`);
  const scheme = certificate.schemes.find((s) => (hello.signatureAlgorithms ?? []).includes(s));
  if (scheme === undefined) throw failure("no_certificate_for_schemes", "the validator accepts no scheme of our key");
  return { certificate, scheme };
}

export function orderBySni(
  certs: readonly ServerCertificate[],
  name: string | undefined,
): readonly ServerCertificate[] {
  if (!name) return certs;
  const exact = certs.filter((c) => c.names.some((n) => n.toLowerCase() === name));
  const wild = certs.filter((c) => !exact.includes(c) && c.names.some((n) => wildcardMatches(n, name)));
  return [...exact, ...wild, ...certs.filter((c) => !exact.includes(c) && !wild.includes(c))];
}

function wildcardMatches(pattern: string, name: string): boolean {
  if (!pattern.startsWith("*.")) return false;
  const dot = name.indexOf(".");
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2).toLowerCase();
}

/** RFC 7301 §3.2: server preference; no overlap is no_application_protocol. */
export function chooseAlpn(hello: ClientHello, config: ServerConfig): string | null {
  if (!hello.alpn || config.alpnProtocols.length === 0) return null;
  for (const p of config.alpnProtocols) if (hello.alpn.includes(p)) return p;
  throw failure("no_common_alpn", `client offered ${hello.alpn.join(", ")}`);
}

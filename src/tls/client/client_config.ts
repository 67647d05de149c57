/**
 * Client configuration, resolved once and shared by the connections made with it.
 *
 * Defaults follow what browsers and Go send: key shares for X25519MLKEM768, x25519 and secp256r1, supported_groups
 * X25519MLKEM768, x25519, secp256r1, secp384r1 (see DEFAULT_KEY_SHARE_GROUPS), the server's suite list (AES-GCM, ChaCha20; CCM only when asked for), the
 * CertificateVerify schemes the provider verifies, middlebox compatibility mode. Everything that shapes the
 * ClientHello can be overridden, so that a test can reproduce a recorded ClientHello byte for byte.
 */
import type { CryptoProvider, GroupName } from "../../crypto/provider.ts";
import { DEFAULT_SUITES } from "../cipher_suite.ts";
import { CertificateError } from "../pki/certificate_error.ts";
import type { CertifiedKey } from "../pki/certified_key.ts";
import { parseIpAddress } from "../pki/hostname.ts";
import { TrustStore } from "../pki/trust_store.ts";
import { type VerifiedPath, verifyCertificateChain } from "../pki/verify_chain.ts";
import { MAX_PLAINTEXT } from "../record/framing.ts";
import { NamedGroup, PskKeyExchangeMode, SignatureScheme } from "../wire/constants.ts";
import type { Extension } from "../wire/extensions/extension_list.ts";

/** Judges the server's certificate chain (RFC 8446 §4.4.2.4). Throws a CertificateError (a TlsAlert) to refuse. */
export interface ServerCertificateVerifier {
  /** Resolves with the verified path for `chain` (DER, leaf first), or throws a CertificateError. */
  verify(chain: readonly Uint8Array[], context: VerifyContext): Promise<VerifiedPath>;
}

/** What a verifier checks a chain against. */
export interface VerifyContext {
  /** The configured server name (DNS name or IP literal), or null when none was given. */
  serverName: string | null;
  /** The time to check validity at. */
  now: Date;
}

/** Path building to `anchors`, purpose serverAuth, host name per RFC 9525: the verifier every client uses. */
export function webPkiVerifier(
  anchors: TrustStore | readonly Uint8Array[],
  provider: Pick<CryptoProvider, "verify">,
): ServerCertificateVerifier {
  const store = anchors instanceof TrustStore ? anchors : TrustStore.fromDer(anchors);
  return {
    verify(chain, { serverName, now }) {
      // RFC 9525 §6: without a reference identity there is nothing to check the certificate against.
      if (serverName === null) {
        return Promise.reject(new CertificateError("hostname_mismatch", "no server name to check the certificate for"));
      }
      return verifyCertificateChain(chain, {
        anchors: store,
        hostname: serverName,
        purpose: "serverAuth",
        now,
        provider,
      });
    },
  };
}

/** Client configuration, resolved once by `clientConfig()` and shared by the connections made with it. */
export interface ClientConfig {
  /** The crypto provider every primitive goes through. */
  provider: CryptoProvider;
  /** The name the certificate must cover: a DNS name (also sent as SNI) or an IP literal (not sent). */
  serverName: string | null;
  /** ALPN protocols in our preference order; empty sends no ALPN extension. */
  alpnProtocols: readonly string[];
  /** Groups we send a key share for in the first ClientHello. */
  keyShareGroups: readonly GroupName[];
  /** Groups we can complete a key exchange with: a HelloRetryRequest may pick any of these. */
  groups: readonly GroupName[];
  /** NamedGroup code points in supported_groups, in order. Defaults to `groups`; extra codes are only advertised. */
  advertisedGroups: readonly number[];
  /** Cipher suites in our preference order. */
  cipherSuites: readonly number[];
  /** SignatureSchemes offered in signature_algorithms: the only ones a CertificateVerify may use. */
  signatureSchemes: readonly number[];
  /** null only with `dangerouslyDisableCertificateVerification`. */
  verifier: ServerCertificateVerifier | null;
  /**
   * "abort" (always, for connections that carry data): a chain that does not verify ends the handshake with
   * the error's alert. "record": the handshake goes on and the error is kept in `certificateStatus`, which is
   * what a diagnostic tool (the probe) needs to show a chain that did not verify. The CertificateVerify
   * signature and Finished are checked either way.
   */
  certificateErrors: "abort" | "record";
  /** Milliseconds since the epoch: the time certificates are checked at. */
  now: () => number;
  /** Receives NSS key log lines (SSLKEYLOGFILE) for Wireshark; secrets go nowhere else. */
  keyLog?: (line: string) => void;
  /** Largest handshake message accepted from the server; certificate chains can be long. */
  maxHandshakeMessageSize: number;
  /** RFC 8446 Appendix D.4: a random legacy_session_id and a change_cipher_spec before our second flight. */
  compatibilityMode: boolean;
  /** record_size_limit to announce (RFC 8449), counting the content type byte; null sends none. */
  recordSizeLimit: number | null;
  /** psk_key_exchange_modes to announce; servers only send tickets to clients that list one (RFC 8446 §4.2.9). */
  pskModes: readonly number[];
  /** Extensions sent as they are (e.g. GREASE, or a recorded ClientHello's legacy extensions). */
  extraExtensions: readonly Extension[];
  /** ExtensionType order on the wire; types not listed follow in our default order. */
  extensionOrder: readonly number[] | null;
  /** RFC 7685 padding: a ClientHello of 256 to 511 bytes is padded to 512 (a workaround for old middleboxes). */
  padding: boolean;
  /**
   * Our certificate and key, for servers that ask (RFC 8446 §4.3.2). With one we also offer post_handshake_auth
   * (§4.2.6) and answer CertificateRequests after the handshake; without, a handshake request gets an empty
   * Certificate and a post-handshake one is unexpected_message.
   */
  certificate: CertifiedKey | null;
  /** Ask for an OCSP staple (RFC 6066 §8 status_request) and check the one that comes (client/ocsp_staple.ts). */
  statusRequest: boolean;
}

export interface ClientConfigOptions {
  provider: CryptoProvider;
  serverName?: string;
  alpnProtocols?: readonly string[];
  keyShareGroups?: readonly GroupName[];
  groups?: readonly GroupName[];
  advertisedGroups?: readonly number[];
  cipherSuites?: readonly number[];
  signatureSchemes?: readonly number[];
  /** Trust anchors (DER certificates or a store); required unless `verifier` or the dangerous option is given. */
  anchors?: TrustStore | readonly Uint8Array[];
  /** Replaces path building altogether (e.g. pinning). */
  verifier?: ServerCertificateVerifier;
  /**
   * Accepts any certificate chain from anyone: a man in the middle reads and changes everything. For local
   * development against a server whose certificate you cannot get, never in production.
   */
  dangerouslyDisableCertificateVerification?: boolean;
  certificateErrors?: "abort" | "record";
  now?: () => number;
  keyLog?: (line: string) => void;
  maxHandshakeMessageSize?: number;
  compatibilityMode?: boolean;
  recordSizeLimit?: number | null;
  pskModes?: readonly number[];
  extraExtensions?: readonly Extension[];
  extensionOrder?: readonly number[];
  padding?: boolean;
  certificate?: CertifiedKey | null;
  statusRequest?: boolean;
}

/**
 * The hybrid post-quantum share first, as Chrome, Firefox, Safari and Go send it, so that a recorded session stays
 * confidential against a future quantum computer. Its cost, paid on every connection: 1,216 more bytes of
 * ClientHello (which then spans two TCP segments) and an ML-KEM-768 key generation and decapsulation (noble: about
 * 0.5-0.9 ms each, DESIGN.md). The x25519 and secp256r1 shares keep servers without ML-KEM at one round trip.
 */
export const DEFAULT_KEY_SHARE_GROUPS: readonly GroupName[] = ["X25519MLKEM768", "x25519", "secp256r1"];
export const DEFAULT_CLIENT_GROUPS: readonly GroupName[] = ["X25519MLKEM768", "x25519", "secp256r1", "secp384r1"];

/**
 * RFC 8446 §4.2.3: the schemes a CertificateVerify may use and the provider verifies. RSASSA-PKCS1-v1_5 is not
 * among them ("MUST NOT be used in signed TLS handshake messages").
 */
export const DEFAULT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ed25519,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed448,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
];

/** A group's NamedGroup code point: the table's names are our GroupNames. */
export const groupCodes: Readonly<Record<GroupName, number>> = NamedGroup;

export function clientConfig(o: ClientConfigOptions): ClientConfig {
  const groups = o.groups ?? DEFAULT_CLIENT_GROUPS;
  const keyShareGroups = o.keyShareGroups ?? DEFAULT_KEY_SHARE_GROUPS.filter((g) => groups.includes(g));
  const advertisedGroups = o.advertisedGroups ?? groups.map((g) => groupCodes[g]);
  // RFC 8446 §4.2.8: every share must be for a group in supported_groups.
  for (const g of keyShareGroups) {
    if (!advertisedGroups.includes(groupCodes[g])) {
      throw new TypeError(`key share group ${g} is not in supported_groups`);
    }
  }
  if (keyShareGroups.length === 0 && groups.length === 0) {
    throw new TypeError("a TLS client needs a key exchange group");
  }
  return {
    provider: o.provider,
    serverName: o.serverName ?? null,
    alpnProtocols: o.alpnProtocols ?? [],
    keyShareGroups,
    groups,
    advertisedGroups,
    cipherSuites: o.cipherSuites ?? DEFAULT_SUITES,
    signatureSchemes: o.signatureSchemes ?? DEFAULT_SIGNATURE_SCHEMES,
    verifier: chooseVerifier(o),
    certificateErrors: o.certificateErrors ?? "abort",
    now: o.now ?? Date.now,
    keyLog: o.keyLog,
    maxHandshakeMessageSize: o.maxHandshakeMessageSize ?? 256 * 1024,
    compatibilityMode: o.compatibilityMode ?? true,
    recordSizeLimit: o.recordSizeLimit === undefined ? MAX_PLAINTEXT + 1 : o.recordSizeLimit,
    pskModes: o.pskModes ?? [PskKeyExchangeMode.psk_dhe_ke],
    extraExtensions: o.extraExtensions ?? [],
    extensionOrder: o.extensionOrder ?? null,
    padding: o.padding ?? false,
    certificate: o.certificate ?? null,
    statusRequest: o.statusRequest ?? false,
  };
}

function chooseVerifier(o: ClientConfigOptions): ServerCertificateVerifier | null {
  if (o.dangerouslyDisableCertificateVerification) {
    if (o.anchors || o.verifier) throw new TypeError("trust anchors given with certificate verification disabled");
    return null;
  }
  if (o.verifier) return o.verifier;
  if (!o.anchors) {
    throw new TypeError("a TLS client needs trust anchors (or a verifier) to verify the server's certificate");
  }
  // RFC 9525: without a name there is nothing to check the certificate against.
  if (!o.serverName) throw new TypeError("certificate verification needs the server's name (serverName)");
  return webPkiVerifier(o.anchors, o.provider);
}

/** RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName"; a trailing dot is dropped. */
export function sniName(serverName: string | null): string | null {
  if (serverName === null || parseIpAddress(serverName) !== null) return null;
  return serverName.replace(/\.$/, "").toLowerCase();
}

/**
 * Client authentication on the server (RFC 8446 §4.3.2, §4.4.2, §4.4.3, §4.6.2): the CertificateRequest we
 * send, and the checks on the client's Certificate and CertificateVerify. Used both in the handshake (mTLS)
 * and after it (post-handshake authentication); only the context and the transcript differ.
 */
import { bytesEqual } from "../../bytes.ts";
import { alertFor, failure } from "../failures.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { CertificateError } from "../pki/certificate_error.ts";
import { parseCertificate } from "../pki/certificate.ts";
import type { TrustStore } from "../pki/trust_store.ts";
import { verifyCertificateChain } from "../pki/verify_chain.ts";
import { decodeCertificate } from "../wire/certificate.ts";
import { encodeCertificateRequest } from "../wire/certificate_request.ts";
import { certificateVerifyContent, CLIENT_CONTEXT, decodeCertificateVerify } from "../wire/certificate_verify.ts";
import { ExtensionType, SignatureScheme } from "../wire/constants.ts";
import type { Extension } from "../wire/extensions/extension_list.ts";
import { encodeSignatureSchemes } from "../wire/extensions/signature_algorithms.ts";
import { Writer } from "../wire/writer.ts";

/** When the server asks for a client certificate at the handshake (RFC 8446 §4.3.2): never, asking, or demanding one. */
export type ClientAuthMode = "none" | "request" | "require";

/** Client certificates (RFC 8446 §4.3.2, §4.6.2): whether to ask at the handshake, and what to trust. */
export interface ClientAuthConfig {
  /** At the handshake: don't ask, ask, or ask and refuse a client without a certificate. */
  mode: ClientAuthMode;
  /** Trust anchors for client certificates. */
  anchors: TrustStore;
}

/**
 * The schemes we accept in a client's CertificateVerify, in preference order: every scheme the provider
 * verifies (the same as a server's may use), so that a client whose key is P-521, Ed448 or RSA-PSS is asked too.
 */
export const CLIENT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed448,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
];

/**
 * RFC 8446 §4.3.2: signature_algorithms is required; certificate_authorities (§4.2.4) names our anchors so
 * that a client with several certificates picks one we can verify.
 */
export function certificateRequestBody(context: Uint8Array, config: ClientAuthConfig): Uint8Array {
  const names = config.anchors.anchors.map((a) => a.subject.der);
  const extensions: Extension[] = [
    { type: ExtensionType.signature_algorithms, data: encodeSignatureSchemes(CLIENT_SIGNATURE_SCHEMES) },
  ];
  const authorities = new Writer().vec16((w) => {
    for (const n of names) w.opaque16(n);
  }).finish();
  if (names.length > 0 && authorities.length <= 0xffff) {
    extensions.push({ type: ExtensionType.certificate_authorities, data: authorities });
  }
  return encodeCertificateRequest({ requestContext: context, extensions });
}

/**
 * Reads the client's Certificate message. Returns the DER chain (possibly empty); the context must be the
 * one we sent (illegal_parameter otherwise, RFC 8446 §4.4.2).
 */
export function readClientCertificate(body: Uint8Array, context: Uint8Array): Uint8Array[] {
  const msg = decodeCertificate(body);
  if (!bytesEqual(msg.requestContext, context)) {
    throw failure("certificate_context_mismatch");
  }
  return msg.entries.map((e) => e.certData);
}

/** Verifies the chain for client authentication; throws CertificateError with the alert to send. */
export async function verifyClientChain(
  chain: Uint8Array[],
  config: ClientAuthConfig,
  provider: CryptoProvider,
  now: number,
): Promise<void> {
  await verifyCertificateChain(chain, { anchors: config.anchors, purpose: "clientAuth", now: new Date(now), provider });
}

/**
 * RFC 8446 §4.4.3: the client's signature over the transcript through its Certificate, under one of the
 * schemes we offered (illegal_parameter otherwise); a bad signature is decrypt_error.
 */
export async function verifyClientCertificateVerify(
  body: Uint8Array,
  leaf: Uint8Array,
  transcriptHash: Uint8Array,
  provider: CryptoProvider,
): Promise<number> {
  const cv = decodeCertificateVerify(body);
  if (!CLIENT_SIGNATURE_SCHEMES.includes(cv.scheme)) {
    throw failure("certificate_verify_scheme", "the client signed with a scheme we did not offer");
  }
  let spki: Uint8Array;
  try {
    spki = parseCertificate(leaf).publicKey.spki;
  } catch {
    throw failure("certificate_unparsable", "the client certificate does not parse");
  }
  const ok = await provider.verify(
    spki,
    cv.scheme,
    certificateVerifyContent(CLIENT_CONTEXT, transcriptHash),
    cv.signature,
  );
  if (!ok) throw failure("certificate_verify_invalid", "the client CertificateVerify signature does not verify");
  return cv.scheme;
}

/** Why a post-handshake certificate was refused: the certificate rule, else the alert its failure names. */
export function certificateErrorCode(err: unknown): { code: string; reason: string } {
  if (err instanceof CertificateError) return { code: err.code, reason: err.reason };
  const alert = alertFor(err);
  return { code: alert.alertName, reason: alert.message };
}

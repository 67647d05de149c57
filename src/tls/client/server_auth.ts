/**
 * How the client authenticates the server (RFC 8446 §4.4.2, §4.4.3): the Certificate message, the chain's
 * verdict, and the CertificateVerify signature under the leaf's key.
 */
import type { TlsAlert } from "../alert.ts";
import { failure } from "../failures.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { isHandshakeScheme } from "../../crypto/schemes.ts";
import { type Certificate, parseCertificate } from "../pki/certificate.ts";
import type { CertificateError } from "../pki/certificate_error.ts";
import { DerError } from "../pki/der.ts";
import type { VerifiedPath } from "../pki/verify_chain.ts";
import { schemeName } from "../wire/constants.ts";
import { decodeCertificate } from "../wire/certificate.ts";
import { type CertificateVerify, certificateVerifyContent, SERVER_CONTEXT } from "../wire/certificate_verify.ts";
import { checkServerExtensions, findExtension } from "./extension_rules.ts";
import { ExtensionType } from "../wire/constants.ts";
import { decodeBody } from "../wire/extensions/extension_list.ts";
import { decodeCertificateStatus } from "../wire/extensions/status_request.ts";

/** What the client concluded about the server's chain. */
export type CertificateStatus =
  | { verified: true; path: VerifiedPath }
  /** Only with `certificateErrors: "record"`: the handshake went on, for diagnostics. */
  | { verified: false; error: CertificateError | TlsAlert }
  | { verified: false; disabled: true };

/**
 * RFC 8446 §4.4.2: the server's Certificate message, as a DER chain (leaf first), and the OCSP staple in the
 * leaf's entry when we sent status_request (§4.4.2.1), else null.
 */
export function readServerCertificate(
  body: Uint8Array,
  sent: ReadonlySet<number>,
): { chain: Uint8Array[]; staple: Uint8Array | null } {
  const msg = decodeCertificate(body);
  // RFC 8446 §4.4.2: "In the case of server authentication, this field SHALL be zero length."
  if (msg.requestContext.length !== 0) {
    throw failure("server_certificate_context");
  }
  // RFC 8446 §4.4.2.4: "If the server supplies an empty Certificate message, the client MUST abort the
  // handshake with a "decode_error" alert."
  if (msg.entries.length === 0) throw failure("server_certificate_empty");
  // RFC 8446 §4.4.2: entry extensions answer status_request or signed_certificate_timestamp; only the first
  // (status_request, when we sent it) is ours to receive, and only on the leaf (§4.4.2.1).
  const leafAllowed = new Set([...sent].filter((t) => t === ExtensionType.status_request));
  msg.entries.forEach((e, i) => checkServerExtensions("Certificate", e.extensions, i === 0 ? leafAllowed : new Set()));
  const status = findExtension(msg.entries[0].extensions, ExtensionType.status_request);
  const staple = status ? decodeBody(status, decodeCertificateStatus) : null;
  return { chain: msg.entries.map((e) => e.certData), staple };
}

/** The leaf, parsed: a leaf that does not parse is bad_certificate (RFC 8446 §6.2), verification or not. */
export function parseLeaf(chain: readonly Uint8Array[]): Certificate {
  try {
    return parseCertificate(chain[0]);
  } catch (e) {
    if (e instanceof DerError) {
      throw failure("certificate_unparsable", `the server's certificate does not parse: ${e.message}`);
    }
    throw e;
  }
}

/**
 * RFC 8446 §4.4.3: the signature must use a scheme we offered ("If the CertificateVerify message is sent by a
 * server, the signature algorithm MUST be one offered in the client's "signature_algorithms" extension")
 * and that fits the leaf's key (illegal_parameter), and it must verify over the transcript hash through
 * Certificate ("If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error"
 * alert").
 */
export async function checkCertificateVerify(
  provider: Pick<CryptoProvider, "verify">,
  leaf: Certificate,
  cv: CertificateVerify,
  offered: readonly number[],
  transcriptHash: Uint8Array,
): Promise<void> {
  // RFC 8446 §4.2.3: PKCS#1 v1.5, SHA-1 and certificate-only schemes never sign a CertificateVerify.
  if (!offered.includes(cv.scheme) || !isHandshakeScheme(cv.scheme)) {
    throw failure("certificate_verify_scheme", `CertificateVerify uses ${schemeName(cv.scheme)}`);
  }
  const content = certificateVerifyContent(SERVER_CONTEXT, transcriptHash);
  const ok = await provider.verify(leaf.publicKey.spki, cv.scheme, content, cv.signature);
  if (!ok) {
    throw failure("certificate_verify_invalid", `the server's ${schemeName(cv.scheme)} signature`);
  }
}

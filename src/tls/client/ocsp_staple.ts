/**
 * What the client makes of the server's OCSP staple (RFC 8446 §4.4.2.1, RFC 6066 §8, RFC 6960): a staple that
 * is present must verify and say "good"; a must-staple certificate (RFC 7633) must come with one. The staple
 * is checked against the issuer of the verified path, so it can only be judged once the chain was.
 */
import type { CryptoProvider } from "../../crypto/provider.ts";
import { type Certificate, parseCertificate } from "../pki/certificate.ts";
import { DerError } from "../pki/der.ts";
import { OcspError, type OcspStatus, requireGood, requiresStaple, verifyOcspResponse } from "../pki/ocsp.ts";
import type { CertificateStatus } from "./server_auth.ts";

/** The OCSP verdict on a connection, for `info.ocsp` and the probe. */
export type OcspCheck =
  /** No staple, and the certificate did not demand one. */
  | { stapled: false }
  /** A staple we believe, saying "good". */
  | { stapled: true; status: OcspStatus }
  /** A staple arrived, but certificate verification is disabled: nothing about the server was checked. */
  | { stapled: true; unchecked: true }
  /** Only with `certificateErrors: "record"`: what was wrong, for diagnostics. */
  | { stapled: boolean; error: OcspError };

export interface StapleContext {
  readonly chain: readonly Uint8Array[];
  readonly chainStatus: CertificateStatus;
  readonly now: Date;
  readonly provider: Pick<CryptoProvider, "verify">;
  /** Whether we sent status_request: a client that did not ask enforces no must-staple either. */
  readonly requested: boolean;
}

/**
 * Judges `staple` (a DER OCSPResponse, or null when none came). Throws OcspError when the staple is bad,
 * says revoked or unknown, or is missing for a must-staple certificate; the caller decides whether to abort.
 */
export async function checkStaple(staple: Uint8Array | null, c: StapleContext): Promise<OcspCheck> {
  // With verification off nothing about the server is checked, its staple included.
  if ("disabled" in c.chainStatus) return staple ? { stapled: true, unchecked: true } : { stapled: false };
  const leaf = parseCertificate(c.chain[0]);
  if (!staple) {
    // RFC 7633 §4.2.3.1: a certificate with the status_request feature is invalid without a staple.
    if (c.requested && requiresStaple(leaf)) {
      throw new OcspError("staple_required", `"${leaf.subject.text}" is must-staple and the server sent no staple`);
    }
    return { stapled: false };
  }
  const issuer = issuerOf(c);
  if (!issuer) throw new OcspError("wrong_signer", "no issuer certificate to check the OCSP staple against");
  const status = await verifyOcspResponse(staple, leaf, issuer, { now: c.now, provider: c.provider });
  return { stapled: true, status: requireGood(status, leaf) };
}

/** The issuer from the verified path; when the chain did not verify (record mode), the next certificate sent. */
function issuerOf(c: StapleContext): Certificate | null {
  if (c.chainStatus.verified) return c.chainStatus.path.certificates[1] ?? null;
  try {
    return c.chain[1] ? parseCertificate(c.chain[1]) : null;
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

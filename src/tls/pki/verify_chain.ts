/**
 * Certificate path building and validation for TLS peers (RFC 5280 §6, as profiled for the web by RFC 9525
 * for names and by RFC 8446 §4.4.2.4 for the chain a peer sends).
 *
 * RFC 8446 §4.4.2: the peer's list should be leaf first, then each issuer, but "a prior version of this
 * specification only allowed this order"; so beyond the leaf we treat the list as an unordered bag of
 * candidates, may skip extra certificates, and search issuers among the supplied certificates and the trust
 * anchors by name (and key identifier when both sides have one). The search is depth-first with backtracking,
 * so a cross-signed or stale intermediate does not hide a good path, and it is bounded in depth and in work.
 *
 * What is not done: revocation (CRL, OCSP), name constraints (a certificate that marks them critical is
 * refused as an unknown critical extension), certificate policies. Trust anchors are taken as they are: their
 * validity dates and self-signatures are not checked; their basicConstraints and keyUsage are honoured if present.
 */
import type { CryptoProvider } from "../../crypto/provider.ts";
import { type Certificate, hasKeyUsage, isSelfIssued, KeyUsageBit, parseCertificate } from "./certificate.ts";
import { CertificateError } from "./certificate_error.ts";
import { verifyCertificateSignature } from "./certificate_signature.ts";
import { bytesEqual } from "../../bytes.ts";
import { DerError } from "./der.ts";
import { formatIpAddress, matchesHostname } from "./hostname.ts";
import { Oid } from "./oids.ts";
import { TrustStore } from "./trust_store.ts";

/** What a certificate must be good for (extended key usage, RFC 5280 §4.2.1.12). */
export type CertificatePurpose = "serverAuth" | "clientAuth";

export interface VerifyChainOptions {
  /** Trust anchors: a store, or DER certificates. */
  readonly anchors: TrustStore | readonly Uint8Array[];
  /** The name the client asked for (DNS name or IP literal); omitted for client certificates. */
  readonly hostname?: string;
  readonly purpose: CertificatePurpose;
  /** The time to check validity at: injected, so that tests and replays are reproducible. */
  readonly now: Date;
  readonly provider: Pick<CryptoProvider, "verify">;
  /** The most certificates a path may hold, anchor included. Default 10. */
  readonly maxDepth?: number;
}

/** A chain that verified: the path from the leaf to a trust anchor. */
export interface VerifiedPath {
  /** DER certificates from the leaf to the trust anchor (both included; one entry when the leaf is an anchor). */
  readonly path: readonly Uint8Array[];
  /** The same path, parsed. */
  readonly certificates: readonly Certificate[];
}

export const DEFAULT_MAX_DEPTH = 10;
/** Signature checks allowed while searching, so that a crafted bag of look-alike CAs cannot make us spin. */
const SIGNATURE_BUDGET = 64;

/** RFC 5280 §4.2: extensions we process, so that they may be critical. */
const understoodExtensions = new Set<string>([
  Oid.basicConstraints,
  Oid.keyUsage,
  Oid.extKeyUsage,
  Oid.subjectAltName,
  Oid.subjectKeyIdentifier,
  Oid.authorityKeyIdentifier,
  Oid.certificatePolicies,
]);

interface Search {
  readonly pool: readonly Certificate[];
  readonly store: TrustStore;
  readonly options: VerifyChainOptions;
  readonly maxDepth: number;
  budget: number;
}

/**
 * Verifies `chainDer` (leaf first, as sent in a TLS Certificate message) and returns the path it builds to a
 * trust anchor. Throws CertificateError, whose `code` names the reason and whose alert is the one to send.
 */
export async function verifyCertificateChain(
  chainDer: readonly Uint8Array[],
  options: VerifyChainOptions,
): Promise<VerifiedPath> {
  if (chainDer.length === 0) throw new CertificateError("empty_chain", "no certificate was sent");
  const supplied = chainDer.map(parseOrThrow);
  const leaf = supplied[0];
  const store = options.anchors instanceof TrustStore ? options.anchors : TrustStore.fromDer(options.anchors);
  checkValidity(leaf, options.now, 0);
  checkCriticalExtensions(leaf, 0);
  checkLeafPurpose(leaf, options.purpose);
  const search: Search = {
    pool: supplied.slice(1),
    store,
    options,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    budget: SIGNATURE_BUDGET,
  };
  const certificates = await extendPath([leaf], search);
  if (options.hostname !== undefined) checkHostname(leaf, options.hostname);
  return { path: certificates.map((c) => c.der), certificates };
}

function parseOrThrow(der: Uint8Array, index: number): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    if (e instanceof DerError) {
      const which = index === 0 ? "the leaf certificate" : `certificate ${index} of the chain`;
      throw new CertificateError("malformed", `${which} does not parse (${e.message})`, index);
    }
    throw e;
  }
}

/** Depth-first: finds an issuer for the last certificate of `path`, until a trust anchor is reached. */
async function extendPath(path: Certificate[], search: Search): Promise<Certificate[]> {
  const current = path[path.length - 1];
  if (search.store.contains(current)) return path;
  if (path.length >= search.maxDepth) {
    throw new CertificateError("chain_too_long", `no trust anchor within ${search.maxDepth} certificates`);
  }
  const depth = path.length - 1;
  const candidates = issuerCandidates(current, path, search);
  if (candidates.length === 0) throw noIssuer(current, path, search);
  let firstError: CertificateError | undefined;
  for (const candidate of candidates) {
    try {
      if (--search.budget < 0) {
        throw new CertificateError("chain_too_long", "too many candidate issuers to try", depth);
      }
      await verifyCertificateSignature(current, candidate, search.options.provider, depth);
      const isAnchor = search.store.contains(candidate);
      checkIssuer(candidate, path, isAnchor, search.options);
      return isAnchor ? [...path, candidate] : await extendPath([...path, candidate], search);
    } catch (e) {
      if (!(e instanceof CertificateError)) throw e;
      firstError ??= e;
      if (e.code === "chain_too_long") throw e;
    }
  }
  throw firstError!;
}

/**
 * Certificates that may have issued `cert`: subject equal to its issuer name and, when both carry one, a
 * subjectKeyIdentifier equal to its authorityKeyIdentifier (RFC 5280 §4.2.1.1). Anchors first, so that the
 * shortest path to a trusted root is tried first; never a certificate already on the path.
 */
function issuerCandidates(cert: Certificate, path: Certificate[], search: Search): Certificate[] {
  const onPath = (c: Certificate) => path.some((p) => bytesEqual(p.der, c.der));
  const keyIdFits = (c: Certificate) =>
    !cert.authorityKeyId || !c.subjectKeyId || bytesEqual(cert.authorityKeyId, c.subjectKeyId);
  const anchors = search.store.bySubject(cert.issuer.key);
  const supplied = search.pool.filter((c) =>
    c.subject.key === cert.issuer.key && !anchors.some((a) => bytesEqual(a.der, c.der))
  );
  return [...anchors, ...supplied].filter((c) => !onPath(c) && keyIdFits(c));
}

/** The error for a certificate none of whose possible issuers we have. */
function noIssuer(cert: Certificate, path: Certificate[], search: Search): CertificateError {
  const depth = path.length - 1;
  const issuer = cert.issuer.text;
  if (isSelfIssued(cert)) {
    if (depth === 0) {
      return new CertificateError("self_signed", `self-signed certificate not in the trust store: "${issuer}"`, 0);
    }
    const why = `the chain ends at the self-signed "${issuer}", which is not in the trust store`;
    return new CertificateError("unknown_issuer", why, depth);
  }
  const named = [
    ...search.store.bySubject(cert.issuer.key),
    ...search.pool.filter((c) => c.subject.key === cert.issuer.key),
  ];
  if (named.length > 0) {
    const why =
      `unknown issuer: no certificate named "${issuer}" with the right key identifier issued "${cert.subject.text}"`;
    return new CertificateError("unknown_issuer", why, depth);
  }
  const why = `missing intermediate: no certificate for the issuer "${issuer}" of "${cert.subject.text}" was sent, ` +
    `and no trust anchor has that name`;
  return new CertificateError("missing_intermediate", why, depth);
}

/** RFC 5280 §4.1.2.5: validity is inclusive at both ends. */
function checkValidity(cert: Certificate, now: Date, depth: number): void {
  const at = now.getTime();
  const who = depth === 0 ? "certificate" : `issuing certificate "${cert.subject.text}"`;
  if (at > cert.notAfter.getTime()) {
    throw new CertificateError("expired", `${who} expired on ${cert.notAfter.toISOString()}`, depth);
  }
  if (at < cert.notBefore.getTime()) {
    throw new CertificateError("not_yet_valid", `${who} is not valid before ${cert.notBefore.toISOString()}`, depth);
  }
}

/** RFC 5280 §4.2: "A certificate-using system MUST reject the certificate if it encounters a critical
 * extension it does not recognize". */
function checkCriticalExtensions(cert: Certificate, depth: number): void {
  for (const ext of cert.extensions) {
    if (ext.critical && !understoodExtensions.has(ext.oid)) {
      const why = `"${cert.subject.text}" has a critical extension we do not process (${ext.oid})`;
      throw new CertificateError("unknown_critical_extension", why, depth);
    }
  }
}

const purposeText = { serverAuth: "server authentication", clientAuth: "client authentication" } as const;
const purposeCode = { serverAuth: "not_for_server_auth", clientAuth: "not_for_client_auth" } as const;

/** RFC 5280 §4.2.1.12: if extendedKeyUsage is present, the purpose (or anyExtendedKeyUsage) must be in it. */
function ekuAllows(cert: Certificate, purpose: CertificatePurpose): boolean {
  const eku = cert.extKeyUsage;
  return !eku || eku.includes(Oid[purpose]) || eku.includes(Oid.anyExtendedKeyUsage);
}

function checkLeafPurpose(leaf: Certificate, purpose: CertificatePurpose): void {
  if (!ekuAllows(leaf, purpose)) {
    const listed = leaf.extKeyUsage!.map((o) =>
      o === Oid.serverAuth ? "serverAuth" : o === Oid.clientAuth ? "clientAuth" : o
    );
    const why = `certificate is not for ${purposeText[purpose]} (extendedKeyUsage: ${listed.join(", ") || "none"})`;
    throw new CertificateError(purposeCode[purpose], why, 0);
  }
  // RFC 8446 §4.4.2.2 and RFC 5280 §4.2.1.3: TLS 1.3 signs with the leaf key, so it needs digitalSignature.
  if (!hasKeyUsage(leaf, KeyUsageBit.digitalSignature)) {
    const why = `certificate's keyUsage lacks digitalSignature, which TLS 1.3 ${purposeText[purpose]} needs`;
    throw new CertificateError(purposeCode[purpose], why, 0);
  }
}

/** Checks on a certificate about to be used as the issuer of path[path.length - 1]. */
function checkIssuer(issuer: Certificate, path: Certificate[], isAnchor: boolean, options: VerifyChainOptions): void {
  const depth = path.length;
  const name = `"${issuer.subject.text}"`;
  if (!isAnchor) {
    checkValidity(issuer, options.now, depth);
    checkCriticalExtensions(issuer, depth);
    // RFC 5280 §6.1.4 (k): an intermediate must say it is a CA. Anchors without basicConstraints (v1 roots) pass.
    if (!issuer.basicConstraints?.ca) {
      throw new CertificateError(
        "not_a_ca",
        `${name} issued a certificate but is not a CA (basicConstraints cA)`,
        depth,
      );
    }
    // Like Go and webpki, an intermediate's extendedKeyUsage also limits what it may issue for.
    if (!ekuAllows(issuer, options.purpose)) {
      const why = `intermediate ${name} is restricted to other purposes than ${purposeText[options.purpose]}`;
      throw new CertificateError(purposeCode[options.purpose], why, depth);
    }
  } else if (issuer.basicConstraints && !issuer.basicConstraints.ca) {
    throw new CertificateError("not_a_ca", `trust anchor ${name} has basicConstraints cA false`, depth);
  }
  // RFC 5280 §6.1.4 (n): a keyUsage on a CA must include keyCertSign.
  if (!hasKeyUsage(issuer, KeyUsageBit.keyCertSign)) {
    throw new CertificateError("not_a_ca", `${name} has keyUsage without keyCertSign`, depth);
  }
  // RFC 5280 §6.1.4 (l), (m): pathLenConstraint counts the non-self-issued intermediates below this CA.
  const limit = issuer.basicConstraints?.pathLength;
  if (limit !== undefined) {
    const below = path.slice(1).filter((c) => !isSelfIssued(c)).length;
    if (below > limit) {
      const why =
        `${name} allows ${limit} intermediate certificate(s) below it (pathLenConstraint), the chain has ${below}`;
      throw new CertificateError("path_length", why, depth);
    }
  }
}

/** RFC 9525 §6: subjectAltName only; the Common Name is never used. */
function checkHostname(leaf: Certificate, hostname: string): void {
  const sans = leaf.subjectAltNames ?? { dns: [], ip: [] };
  if (matchesHostname(sans, hostname)) return;
  const names = [...sans.dns, ...sans.ip.map(formatIpAddress)];
  const why = names.length === 0
    ? `certificate has no subjectAltName (its Common Name is never used), so it is not for ${hostname}`
    : `certificate is for ${names.slice(0, 5).join(", ")}${names.length > 5 ? ", …" : ""}, not ${hostname}`;
  throw new CertificateError("hostname_mismatch", why, 0);
}

/**
 * A server's (or client's) own certificate chain with the private key that goes with it, loaded once at
 * start-up: everything the handshake needs to send Certificate and sign CertificateVerify (RFC 8446 §4.4.2,
 * §4.4.3), plus the names used to pick a chain by SNI (RFC 6066 §3).
 *
 * Loading fails early and says which file is wrong and why: unreadable, no certificate, a key that does not
 * belong to the leaf, a key type TLS 1.3 signing does not cover here.
 */
import type { CryptoProvider, KeyKind, SigningKey } from "../../crypto/provider.ts";
import { readSpki } from "../../crypto/key_der.ts";
import { signatureSchemesFor } from "../../crypto/schemes.ts";
import { type Certificate, parseCertificate } from "./certificate.ts";
import { bytesEqual } from "../../bytes.ts";
import { DerError } from "./der.ts";
import { formatIpAddress, matchesDnsName, normalizeDnsName } from "./hostname.ts";
import { LoadError } from "./load_error.ts";
import { decodePem, looksLikePem, PemError } from "./pem.ts";
import { parsePrivateKey, type PrivateKey } from "./private_key.ts";
import { describeAlgorithm } from "./public_key.ts";

/**
 * PEM text or PEM/DER bytes, already read: the engine never opens files (src/io/pki_files.ts does). `name` is what
 * error messages call the input: its file path, or "cert"/"key" for input given in memory.
 */
export interface NamedPem {
  /** The PEM text, or PEM or DER bytes. */
  readonly data: string | Uint8Array;
  /** What error messages call it. */
  readonly name: string;
}

/** A chain and its key, as bytes. */
export interface CertifiedKeyBytes {
  /** The chain, leaf first. */
  readonly cert: NamedPem;
  /** The leaf's private key: PKCS#8, SEC1 or PKCS#1. */
  readonly key: NamedPem;
}

/** What the leaf says about itself, for logs and `env.tls`. */
export interface LeafInfo {
  /** Subject distinguished name. */
  readonly subject: string;
  /** subjectAltName dNSName entries. */
  readonly dnsNames: readonly string[];
  /** subjectAltName iPAddress entries, formatted. */
  readonly ipAddresses: readonly string[];
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** Serial number, hex. */
  readonly serial: string;
}

/** A certificate chain with the private key of its leaf, checked to belong together. */
export interface CertifiedKey {
  /** DER certificates, leaf first, as they go into the Certificate message. */
  readonly chain: readonly Uint8Array[];
  /** The leaf's private key, imported into the crypto provider. */
  readonly signingKey: SigningKey;
  /** The key's algorithm. */
  readonly kind: KeyKind;
  /**
   * The SignatureSchemes this key can sign CertificateVerify with, preferred first (RFC 8446 §4.2.3: an ECDSA
   * scheme names its curve; RSA signs with PSS only, rsa_pss_rsae_* for rsaEncryption keys).
   */
  readonly schemes: readonly number[];
  /** What the leaf says about itself. */
  readonly leaf: LeafInfo;
  /** The leaf's dNSName entries, lowercased without trailing dot: what SNI selection matches against. */
  readonly names: readonly string[];
}

/** Parses and cross-checks a chain and its key. Throws LoadError naming the input and the reason. */
export async function parseCertifiedKey(
  input: CertifiedKeyBytes,
  provider: Pick<CryptoProvider, "importSigningKey" | "verify">,
): Promise<CertifiedKey> {
  const { cert: certSource, key: keySource } = input;
  const certificates = readChain(certSource.data, certSource.name);
  const leaf = certificates[0];
  const privateKey = parsePrivateKey(keySource.data, keySource.name);
  checkKeyKind(leaf, privateKey, keySource.name, certSource.name);
  let signingKey: SigningKey;
  try {
    signingKey = await provider.importSigningKey(privateKey.pkcs8, privateKey.kind);
  } catch (e) {
    throw new LoadError("bad_key", keySource.name, `the crypto provider refused the key (${e})`, { cause: e });
  }
  // RFC 8446 §4.2.3: an id-RSASSA-PSS key whose parameters name a hash signs with that hash's scheme only.
  const schemes = signatureSchemesFor(privateKey.kind, readSpki(leaf.publicKey.spki)?.pssHash);
  if (schemes.length === 0) {
    throw new LoadError("unsupported_key", certSource.name, "the RSA-PSS key's parameters allow no TLS 1.3 scheme");
  }
  await checkKeyMatches(leaf, privateKey, signingKey, schemes[0], provider, keySource.name, certSource.name);
  const names = [...new Set((leaf.subjectAltNames?.dns ?? []).map(sniName))];
  return {
    chain: certificates.map((c) => c.der),
    signingKey,
    kind: privateKey.kind,
    schemes,
    leaf: {
      subject: leaf.subject.text,
      dnsNames: leaf.subjectAltNames?.dns ?? [],
      ipAddresses: (leaf.subjectAltNames?.ip ?? []).map(formatIpAddress),
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      serial: leaf.serial,
    },
    names,
  };
}

/** Every CERTIFICATE block, in order (or one DER certificate). */
function readChain(data: string | Uint8Array, source: string): Certificate[] {
  let ders: Uint8Array[];
  if (typeof data !== "string" && !looksLikePem(data)) {
    ders = [data];
  } else {
    let labels: string[];
    try {
      const blocks = decodePem(data);
      labels = blocks.map((b) => b.label);
      ders = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
    } catch (e) {
      if (e instanceof PemError) throw new LoadError("bad_pem", source, e.message, { cause: e });
      throw e;
    }
    if (ders.length === 0) {
      const found = labels.length ? `found only ${labels.map((l) => `"${l}"`).join(", ")}` : "found no PEM block";
      throw new LoadError("no_certificate", source, `no CERTIFICATE block: ${found}`);
    }
  }
  return ders.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      if (!(e instanceof DerError)) throw e;
      const which = ders.length === 1 ? "the certificate" : `certificate ${i + 1} of ${ders.length}`;
      throw new LoadError("bad_certificate", source, `${which} is not valid X.509 (${e.message})`, { cause: e });
    }
  });
}

const signingKinds = new Set<string>(["ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "ed25519", "ed448", "rsa", "rsa-pss"]);

function checkKeyKind(leaf: Certificate, key: PrivateKey, keyName: string, certName: string): void {
  const leafKind = leaf.publicKey.algorithm;
  const leafText = describeAlgorithm(leafKind, leaf.publicKey.curve);
  if (!signingKinds.has(leafKind)) {
    throw new LoadError(
      "unsupported_key",
      certName,
      `the certificate holds a ${leafText} key, which we cannot sign with`,
    );
  }
  if (leafKind !== key.kind) {
    const why = `the key is ${describeAlgorithm(key.kind)} but the certificate in ${certName} holds a ${leafText} key`;
    throw new LoadError("key_mismatch", keyName, why);
  }
}

/**
 * The private key must be the one the leaf certifies. When the key file carries its public half (always for
 * RSA, usually for EC) the two are compared; otherwise (Ed25519 and EC keys without it) a test message is
 * signed and checked against the leaf's SubjectPublicKeyInfo.
 */
async function checkKeyMatches(
  leaf: Certificate,
  key: PrivateKey,
  signingKey: SigningKey,
  scheme: number,
  provider: Pick<CryptoProvider, "verify">,
  keyName: string,
  certName: string,
): Promise<void> {
  const mismatch = () =>
    new LoadError(
      "key_mismatch",
      keyName,
      `the key does not match the certificate in ${certName} ("${leaf.subject.text}")`,
    );
  const leafKey = leaf.publicKey;
  if (key.rsa && leafKey.rsa) {
    if (!bytesEqual(key.rsa.modulus, leafKey.rsa.modulus) || !bytesEqual(key.rsa.exponent, leafKey.rsa.exponent)) {
      throw mismatch();
    }
    return;
  }
  // EC points compare when both are uncompressed (SEC 1 §2.3.3: first byte 4); a compressed point in the
  // certificate is checked by signing instead.
  const comparable = key.kind === "ed25519" || key.kind === "ed448" ||
    (key.publicKey?.[0] === 4 && leafKey.key[0] === 4);
  if (key.publicKey && comparable) {
    if (!bytesEqual(key.publicKey, leafKey.key)) throw mismatch();
    return;
  }
  const message = new TextEncoder().encode("tls13-hono: does this key belong to this certificate?");
  const signature = await signingKey.sign(scheme, message);
  if (!(await provider.verify(leafKey.spki, scheme, message, signature))) throw mismatch();
}

function sniName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/**
 * Picks the chain for a ClientHello's server_name (RFC 6066 §3): an exact dNSName first, then a wildcard that
 * covers the name, else the first chain (the default, also used when the client sent no SNI).
 */
export function selectCertificate<T extends { readonly names: readonly string[] }>(
  keys: readonly T[],
  serverName: string | undefined | null,
): T | undefined {
  if (keys.length === 0) return undefined;
  const host = serverName ? normalizeDnsName(serverName) : null;
  if (host) {
    const exact = keys.find((k) => k.names.includes(host));
    if (exact) return exact;
    const wildcard = keys.find((k) => k.names.some((n) => n.startsWith("*.") && matchesDnsName(n, host)));
    if (wildcard) return wildcard;
  }
  return keys[0];
}

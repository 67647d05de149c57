/**
 * The certificates ACME needs us to make: the tls-alpn-01 challenge certificate (RFC 8737 §3) and the CSR for
 * the real one (RFC 8555 §7.4), both with @peculiar/x509 over WebCrypto, which Deno, Bun and Node all have.
 */
import type { CryptoProvider } from "../crypto/provider.ts";
import { signatureSchemesFor } from "../crypto/schemes.ts";
import { encodePem } from "../tls/pki/pem.ts";
import type { ServerCertificate } from "../tls/server/server_config.ts";

/** @peculiar/x509, loaded on first use: servers without ACME never pay its start-up cost (about 170 ms). */
let loaded: Promise<typeof import("@peculiar/x509")> | undefined;
function x509Module(): Promise<typeof import("@peculiar/x509")> {
  loaded ??= (async () => {
    await import("reflect-metadata");
    const x509 = await import("@peculiar/x509");
    x509.cryptoProvider.set(globalThis.crypto);
    return x509;
  })();
  return loaded;
}

/** RFC 8737 §6.1: id-pe-acmeIdentifier. */
export const ACME_IDENTIFIER_OID = "1.3.6.1.5.5.7.1.31";

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/**
 * RFC 8737 §3: a self-signed certificate whose only dNSName is `name`, with the critical acmeIdentifier
 * extension holding the SHA-256 digest of the key authorization (an OCTET STRING, §6.1). A fresh key each time.
 */
export async function challengeCertificate(
  name: string,
  keyAuthorization: string,
  provider: Pick<CryptoProvider, "importSigningKey">,
): Promise<ServerCertificate> {
  const x509 = await x509Module();
  const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(keyAuthorization)));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${name}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 7 * 86400_000),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: name }], false),
      new x509.Extension(ACME_IDENTIFIER_OID, true, Uint8Array.of(0x04, 0x20, ...digest)),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    chain: [new Uint8Array(cert.rawData)],
    signingKey: await provider.importSigningKey(pkcs8, "ecdsa-p256"),
    schemes: signatureSchemesFor("ecdsa-p256"),
    names: [name],
  };
}

/** A new ECDSA P-256 key (PKCS#8 PEM) and a CSR for `name` signed with it. */
export async function keyAndCsr(name: string): Promise<{ keyPem: string; csrPem: string }> {
  const x509 = await x509Module();
  const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: EC,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: name }], false)],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { keyPem: encodePem("PRIVATE KEY", pkcs8), csrPem: csr.toString("pem") };
}

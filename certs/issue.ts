/**
 * Issuing certificates for the development CA with @peculiar/x509 over WebCrypto (Deno, Bun and Node all have
 * it), and writing keys in the three formats the key loader reads.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { DerReader, encodeOctetString, encodeSequence, encodeTlv, parseDer, Tag } from "../src/tls/pki/der.ts";
import { encodePem } from "../src/tls/pki/pem.ts";
import { toHex } from "../src/bytes.ts";

x509.cryptoProvider.set(globalThis.crypto);

/** Key types the development CA issues certificates for. */
export type DevKeyType = "ecdsa-p256" | "ecdsa-p384" | "ed25519" | "rsa";

const keyGenParams: Record<DevKeyType, EcKeyGenParams | Algorithm | RsaHashedKeyGenParams> = {
  "ecdsa-p256": { name: "ECDSA", namedCurve: "P-256" } as EcKeyGenParams,
  "ecdsa-p384": { name: "ECDSA", namedCurve: "P-384" } as EcKeyGenParams,
  ed25519: { name: "Ed25519" },
  rsa: {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  } as RsaHashedKeyGenParams,
};

const signingParams: Record<DevKeyType, Algorithm | EcdsaParams> = {
  "ecdsa-p256": { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
  "ecdsa-p384": { name: "ECDSA", hash: "SHA-384" } as EcdsaParams,
  ed25519: { name: "Ed25519" },
  rsa: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as Algorithm,
};

/** A certificate with the key that can sign under it. */
export interface Signer {
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
  readonly type: DevKeyType;
}

export interface IssueOptions {
  readonly subject: string;
  readonly keys: CryptoKeyPair;
  /** Omitted: self-signed with `keys`. */
  readonly issuer?: Signer;
  readonly type: DevKeyType;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Makes a CA certificate (basicConstraints cA, keyCertSign). */
  readonly ca?: { readonly pathLength?: number };
  /** basicConstraints cA=false, written explicitly. */
  readonly notCa?: boolean;
  readonly eku?: readonly string[];
  readonly keyUsage?: number;
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
  /** Overrides the issuer's default signature algorithm (for example RSA-PSS, or SHA-1 in tests). */
  readonly signingAlgorithm?: Algorithm | EcdsaParams | RsaPssParams;
  /** Added as they are, after the standard ones. */
  readonly extraExtensions?: readonly x509.Extension[];
}

export function generateKeys(type: DevKeyType): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(keyGenParams[type], true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

/** Issues one certificate (RFC 5280 profile: SKI on every certificate, AKI on every one not self-signed). */
export async function issue(o: IssueOptions): Promise<x509.X509Certificate> {
  const U = x509.KeyUsageFlags;
  const extensions: x509.Extension[] = [];
  if (o.ca) {
    extensions.push(new x509.BasicConstraintsExtension(true, o.ca.pathLength, true));
    extensions.push(new x509.KeyUsagesExtension(o.keyUsage ?? (U.keyCertSign | U.cRLSign), true));
  } else {
    if (o.notCa) extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(o.keyUsage ?? U.digitalSignature, true));
  }
  if (o.eku) extensions.push(new x509.ExtendedKeyUsageExtension([...o.eku], false));
  const sans = [
    ...(o.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(o.keys.publicKey));
  const issuerKey = o.issuer ? o.issuer.cert.publicKey : o.keys.publicKey;
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerKey));
  extensions.push(...(o.extraExtensions ?? []));
  return await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: o.subject,
    issuer: o.issuer ? o.issuer.cert.subject : o.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    publicKey: o.keys.publicKey,
    signingKey: o.issuer ? o.issuer.privateKey : o.keys.privateKey,
    signingAlgorithm: o.signingAlgorithm ?? signingParams[o.issuer ? o.issuer.type : o.type],
    extensions,
  });
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random bytes with the top bit clear. */
export function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return toHex(bytes);
}

export async function exportPkcs8Pem(key: CryptoKey): Promise<string> {
  return encodePem("PRIVATE KEY", new Uint8Array(await crypto.subtle.exportKey("pkcs8", key)));
}

/** RFC 5915 SEC1 "EC PRIVATE KEY" from a PKCS#8 EC key, with the curve in [0] as OpenSSL writes it. */
export function pkcs8ToSec1Pem(pkcs8: Uint8Array): string {
  const info = DerReader.of(parseDer(pkcs8), Tag.SEQUENCE, "PrivateKeyInfo");
  info.next(Tag.INTEGER, "version");
  const alg = DerReader.of(info.next(Tag.SEQUENCE, "algorithm"), Tag.SEQUENCE, "algorithm");
  alg.next(Tag.OID, "ecPublicKey");
  const curve = alg.next(Tag.OID, "namedCurve");
  const ec = DerReader.of(parseDer(info.next(Tag.OCTET_STRING, "privateKey").value), Tag.SEQUENCE, "ECPrivateKey");
  const version = ec.next(Tag.INTEGER, "version");
  const scalar = ec.next(Tag.OCTET_STRING, "privateKey");
  ec.optional(0xa0);
  const publicKey = ec.optional(0xa1);
  const sec1 = encodeSequence(
    version.raw,
    encodeOctetString(scalar.value),
    encodeTlv(0xa0, curve.raw),
    ...(publicKey ? [publicKey.raw] : []),
  );
  return encodePem("EC PRIVATE KEY", sec1);
}

/** RFC 8017 PKCS#1 "RSA PRIVATE KEY": the RSAPrivateKey that PKCS#8 wraps for rsaEncryption. */
export function pkcs8ToPkcs1Pem(pkcs8: Uint8Array): string {
  const info = DerReader.of(parseDer(pkcs8), Tag.SEQUENCE, "PrivateKeyInfo");
  info.next(Tag.INTEGER, "version");
  info.next(Tag.SEQUENCE, "algorithm");
  return encodePem("RSA PRIVATE KEY", info.next(Tag.OCTET_STRING, "privateKey").value);
}

export async function exportPkcs8(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
}

export const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * 86400_000);

export const certPem = (cert: x509.X509Certificate): string => cert.toString("pem") + "\n";

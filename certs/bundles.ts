/**
 * What the development CA issues, in bundles: files made together because they share keys or issuers. A bundle
 * is regenerated when any of its files is missing (or the CA is new); otherwise it is left alone.
 */
import {
  addDays,
  certPem,
  type DevKeyType,
  exportPkcs8,
  generateKeys,
  issue,
  type IssueOptions,
  pkcs8ToPkcs1Pem,
  pkcs8ToSec1Pem,
  type Signer,
} from "./issue.ts";
import { encodePem } from "../src/tls/pki/pem.ts";
import type { CertificateErrorCode } from "../src/tls/pki/certificate_error.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const ORG = "O=tls13-hono development";

/** One manifest entry. `expect` is what verifyCertificateChain says about a certificate or chain file. */
export interface FileInfo {
  readonly type: "ca-certificate" | "certificate" | "chain" | "private-key";
  readonly description: string;
  readonly format?: "pkcs8" | "sec1" | "pkcs1";
  readonly keyType?: DevKeyType;
  /** For certificates: the file with the matching private key. */
  readonly key?: string;
  readonly names?: readonly string[];
  readonly purpose?: "serverAuth" | "clientAuth";
  readonly expect?: "valid" | CertificateErrorCode;
}

/** What a bundle gets to work with. */
export interface Issued {
  readonly ca: Signer;
  readonly now: Date;
  write(file: string, text: string): Promise<void>;
}

export interface Bundle {
  readonly name: string;
  readonly files: Readonly<Record<string, FileInfo>>;
  make(ctx: Issued): Promise<void>;
}

export const bundleFiles = (bundle: Bundle): Readonly<Record<string, FileInfo>> => bundle.files;

const localhost = { dns: ["localhost"], ips: ["127.0.0.1", "::1"] };
const localNames = ["localhost", "127.0.0.1", "::1"];
/** An hour back, so that a client whose clock runs a little behind still accepts a certificate made just now. */
export const validFrom = (now: Date): Date => new Date(now.getTime() - 3600_000);
/**
 * The longest lifetime Apple platforms accept for a TLS server certificate is 825 days, counted from notBefore (the
 * backdating included) through notAfter inclusive (RFC 5280 §4.1.2.5): hence one second less than 825 days.
 */
export const MAX_LEAF_DAYS = 825;
export const validTo = (now: Date): Date => new Date(addDays(validFrom(now), MAX_LEAF_DAYS).getTime() - 1000);
const EXPIRED = { notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2021-01-01T00:00:00Z") };
const NOT_YET_VALID = { notBefore: new Date("2090-01-01T00:00:00Z"), notAfter: new Date("2091-01-01T00:00:00Z") };

type LeafSpec = Omit<IssueOptions, "keys" | "notBefore" | "notAfter" | "issuer" | "type"> & {
  notBefore?: Date;
  notAfter?: Date;
  issuer?: Signer;
  type?: DevKeyType;
};

/** A self-signed ECDSA root valid for ten years. */
async function selfSignedCa(ctx: Issued, subject: string): Promise<Signer> {
  const keys = await generateKeys("ecdsa-p256");
  const spec = { subject, keys, type: "ecdsa-p256" as const, ca: {} };
  const cert = await issue({ ...spec, notBefore: validFrom(ctx.now), notAfter: addDays(ctx.now, 3650) });
  return { cert, privateKey: keys.privateKey, type: "ecdsa-p256" };
}

/** Generates a key and a certificate for it, issued by the dev CA unless the spec names another issuer. */
async function leaf(ctx: Issued, spec: LeafSpec, keys?: CryptoKeyPair) {
  const type = spec.type ?? "ecdsa-p256";
  const pair = keys ?? await generateKeys(type);
  const cert = await issue({
    ...spec,
    type,
    keys: pair,
    issuer: spec.issuer ?? ctx.ca,
    notBefore: spec.notBefore ?? validFrom(ctx.now),
    notAfter: spec.notAfter ?? validTo(ctx.now),
  });
  return {
    cert,
    keys: pair,
    pkcs8: await exportPkcs8(pair.privateKey),
    signer: { cert, privateKey: pair.privateKey, type },
  };
}

function serverBundle(name: string, type: DevKeyType, extraKey?: "sec1" | "pkcs1"): Bundle {
  const label = { "ecdsa-p256": "ECDSA P-256", "ecdsa-p384": "ECDSA P-384", ed25519: "Ed25519", rsa: "RSA-2048" }[type];
  const files: Record<string, FileInfo> = {
    [`${name}.pem`]: {
      type: "certificate",
      description: `server certificate for localhost, 127.0.0.1, ::1 (${label} key, EKU serverAuth)`,
      key: `${name}-key.pem`,
      keyType: type,
      names: localNames,
      purpose: "serverAuth",
      expect: "valid",
    },
    [`${name}-key.pem`]: { type: "private-key", format: "pkcs8", keyType: type, description: `key of ${name}.pem` },
  };
  if (extraKey) {
    files[`${name}-key.${extraKey}.pem`] = {
      type: "private-key",
      format: extraKey,
      keyType: type,
      description: `the same key as ${name}-key.pem, in ${extraKey === "sec1" ? "SEC1" : "PKCS#1"} form`,
    };
  }
  return {
    name,
    files,
    async make(ctx) {
      const { cert, pkcs8 } = await leaf(ctx, {
        subject: `CN=localhost, OU=${label}, ${ORG}`,
        type,
        eku: [SERVER_AUTH],
        ...localhost,
      });
      await ctx.write(`${name}.pem`, certPem(cert));
      await ctx.write(`${name}-key.pem`, encodePem("PRIVATE KEY", pkcs8));
      if (extraKey === "sec1") await ctx.write(`${name}-key.sec1.pem`, pkcs8ToSec1Pem(pkcs8));
      if (extraKey === "pkcs1") await ctx.write(`${name}-key.pkcs1.pem`, pkcs8ToPkcs1Pem(pkcs8));
    },
  };
}

/** A single leaf with its key, written as `<name>.pem` and `<name>-key.pem`. */
function pairBundle(name: string, info: Omit<FileInfo, "type" | "key">, spec: (ctx: Issued) => LeafSpec): Bundle {
  return {
    name,
    files: {
      [`${name}.pem`]: { type: "certificate", key: `${name}-key.pem`, ...info },
      [`${name}-key.pem`]: {
        type: "private-key",
        format: "pkcs8",
        keyType: "ecdsa-p256",
        description: `key of ${name}.pem`,
      },
    },
    async make(ctx) {
      const { cert, pkcs8 } = await leaf(ctx, spec(ctx));
      await ctx.write(`${name}.pem`, certPem(cert));
      await ctx.write(`${name}-key.pem`, encodePem("PRIVATE KEY", pkcs8));
    },
  };
}

const clientSpec = { eku: [CLIENT_AUTH] };

const unknownCaBundle: Bundle = {
  name: "client-unknown-ca",
  files: {
    "unknown-ca.pem": { type: "ca-certificate", description: "a CA that no trust store holds (its key is discarded)" },
    "client-unknown-ca.pem": {
      type: "certificate",
      description: "client certificate issued by unknown-ca.pem (alone: missing_intermediate; with it: unknown_issuer)",
      key: "client-unknown-ca-key.pem",
      purpose: "clientAuth",
      expect: "missing_intermediate",
    },
    "client-unknown-ca-key.pem": {
      type: "private-key",
      format: "pkcs8",
      keyType: "ecdsa-p256",
      description: "its key",
    },
  },
  async make(ctx) {
    const root = await selfSignedCa(ctx, `CN=tls13-hono unknown CA, ${ORG}`);
    const client = await leaf(ctx, { subject: `CN=client of an unknown CA, ${ORG}`, issuer: root, ...clientSpec });
    await ctx.write("unknown-ca.pem", certPem(root.cert));
    await ctx.write("client-unknown-ca.pem", certPem(client.cert));
    await ctx.write("client-unknown-ca-key.pem", encodePem("PRIVATE KEY", client.pkcs8));
  },
};

/** `client.pem`: a client certificate (EKU clientAuth) from the dev CA, for client certificates per path. */
export function clientBundle(): Bundle {
  return pairBundle(
    "client",
    { description: "client certificate (EKU clientAuth) issued by the dev CA", purpose: "clientAuth", expect: "valid" },
    () => ({ subject: `CN=tls13-hono dev client, ${ORG}`, ...clientSpec }),
  );
}

/**
 * `server.pem` for the names and addresses in `hosts` (the CLI's `--hosts`), like mkcert's certificates: DNS names
 * (wildcards too) and IP literals go into subjectAltName, the first host into the CN, for messages only.
 */
export function hostServerBundle(hosts: readonly string[]): Bundle {
  const dns = hosts.filter((h) => !isIpLiteral(h));
  const ips = hosts.filter(isIpLiteral);
  return pairBundle(
    "server",
    {
      description: `server certificate for ${hosts.join(", ")} (ECDSA P-256 key, EKU serverAuth)`,
      names: hosts,
      purpose: "serverAuth",
      expect: "valid",
    },
    () => ({ subject: `CN=${hosts[0]}, ${ORG}`, eku: [SERVER_AUTH], dns, ips }),
  );
}

/** An IPv4 dotted quad or an IPv6 literal (anything with a colon: no DNS name has one). */
export function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** What the development CA issues for the repository's tests and examples. */
export function makeBundles(): Bundle[] {
  return [
    serverBundle("server-ecdsa", "ecdsa-p256", "sec1"),
    serverBundle("server-ed25519", "ed25519"),
    serverBundle("server-rsa", "rsa", "pkcs1"),
    pairBundle(
      "server-alt",
      {
        description: "second SNI host: alt.localhost",
        names: ["alt.localhost"],
        purpose: "serverAuth",
        expect: "valid",
      },
      () => ({ subject: `CN=alt.localhost, ${ORG}`, eku: [SERVER_AUTH], dns: ["alt.localhost"] }),
    ),
    clientBundle(),
    unknownCaBundle,
    pairBundle(
      "client-expired",
      { description: "client certificate that expired in 2021", purpose: "clientAuth", expect: "expired" },
      () => ({ subject: `CN=expired dev client, ${ORG}`, ...clientSpec, ...EXPIRED }),
    ),
    badBundle,
  ];
}

const badFile = (
  description: string,
  expect: FileInfo["expect"],
  type: FileInfo["type"] = "certificate",
): FileInfo => ({
  type,
  description,
  purpose: "serverAuth",
  names: ["localhost"],
  expect,
});

/** bad/: server certificates for localhost that fail verification, one reason each (plus two good chains). */
const badBundle: Bundle = {
  name: "bad",
  files: {
    "bad/leaf-key.pem": {
      type: "private-key",
      format: "pkcs8",
      keyType: "ecdsa-p256",
      description: "key of every bad/ leaf",
    },
    "bad/expired.pem": badFile("expired in 2021", "expired"),
    "bad/not-yet-valid.pem": badFile("valid from 2090", "not_yet_valid"),
    "bad/wrong-host.pem": badFile("SAN other.example only (CN=localhost, which must be ignored)", "hostname_mismatch"),
    "bad/self-signed.pem": badFile("self-signed leaf for localhost", "self_signed"),
    "bad/intermediate-ca.pem": { type: "ca-certificate", description: "an intermediate CA issued by the dev CA" },
    "bad/via-intermediate.pem": badFile("leaf issued by bad/intermediate-ca.pem, sent alone", "missing_intermediate"),
    "bad/via-intermediate-chain.pem": badFile("the same leaf followed by bad/intermediate-ca.pem", "valid", "chain"),
    "bad/bad-signature.pem": badFile("leaf whose signature has a flipped bit", "bad_signature"),
    "bad/client-auth-only.pem": badFile("EKU clientAuth only", "not_for_server_auth"),
    "bad/no-digital-signature.pem": badFile("keyUsage keyEncipherment only", "not_for_server_auth"),
    "bad/not-a-ca-chain.pem": badFile(
      "leaf issued by a certificate with cA false, then that issuer",
      "not_a_ca",
      "chain",
    ),
    "bad/path-length-chain.pem": badFile(
      "leaf, sub-intermediate, intermediate with pathLenConstraint 0",
      "path_length",
      "chain",
    ),
    "bad/unknown-root-chain.pem": badFile(
      "leaf, then the self-signed root that issued it (untrusted)",
      "unknown_issuer",
      "chain",
    ),
  },
  async make(ctx) {
    const keys = await generateKeys("ecdsa-p256");
    const server = { subject: `CN=localhost, ${ORG}`, eku: [SERVER_AUTH], dns: ["localhost"] };
    const make = async (file: string, spec: LeafSpec) => {
      const { cert } = await leaf(ctx, spec, keys);
      await ctx.write(file, certPem(cert));
      return cert;
    };
    await ctx.write("bad/leaf-key.pem", encodePem("PRIVATE KEY", await exportPkcs8(keys.privateKey)));
    await make("bad/expired.pem", { ...server, ...EXPIRED });
    await make("bad/not-yet-valid.pem", { ...server, ...NOT_YET_VALID });
    await make("bad/wrong-host.pem", { ...server, dns: ["other.example"] });
    const selfSigned = await issue({
      ...server,
      type: "ecdsa-p256",
      keys,
      notBefore: validFrom(ctx.now),
      notAfter: validTo(ctx.now),
    });
    await ctx.write("bad/self-signed.pem", certPem(selfSigned));
    const ca = async (subject: string, issuer: Signer, pathLength?: number) =>
      (await leaf(ctx, { subject: `CN=${subject}, ${ORG}`, issuer, ca: { pathLength } })).signer;
    const intermediate = await ca("tls13-hono development intermediate", ctx.ca);
    const viaIntermediate = await make("bad/via-intermediate.pem", { ...server, issuer: intermediate });
    await ctx.write("bad/intermediate-ca.pem", certPem(intermediate.cert));
    await ctx.write("bad/via-intermediate-chain.pem", certPem(viaIntermediate) + certPem(intermediate.cert));
    const good = await leaf(ctx, server, keys);
    await ctx.write("bad/bad-signature.pem", encodePem("CERTIFICATE", flipLastByte(new Uint8Array(good.cert.rawData))));
    await make("bad/client-auth-only.pem", { ...server, eku: [CLIENT_AUTH] });
    await make("bad/no-digital-signature.pem", { ...server, keyUsage: 4 /* keyEncipherment */ });
    const notCa = (await leaf(ctx, { subject: `CN=not a CA, ${ORG}`, notCa: true, eku: [SERVER_AUTH] })).signer;
    const underNotCa = await leaf(ctx, { ...server, issuer: notCa }, keys);
    await ctx.write("bad/not-a-ca-chain.pem", certPem(underNotCa.cert) + certPem(notCa.cert));
    const top = await ca("pathlen-0 intermediate", ctx.ca, 0);
    const sub = await ca("sub-intermediate", top);
    const deep = await leaf(ctx, { ...server, issuer: sub }, keys);
    await ctx.write("bad/path-length-chain.pem", certPem(deep.cert) + certPem(sub.cert) + certPem(top.cert));
    const root = await selfSignedCa(ctx, `CN=untrusted root, ${ORG}`);
    const underRoot = await leaf(ctx, { ...server, issuer: root }, keys);
    await ctx.write("bad/unknown-root-chain.pem", certPem(underRoot.cert) + certPem(root.cert));
  },
};

/** The last byte of a certificate is the last byte of its signature: flipping one bit keeps the DER valid. */
function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

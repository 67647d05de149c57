/**
 * Claims about certificate path building and validation: each failure has its code and alert, taken from the
 * generated bad/ fixtures where one exists; good chains verify for every key type and CA signature algorithm;
 * out-of-order, extra and stale certificates do not hide a good path; path length and CA constraints hold.
 * ECDSA CAs may sign with any SHA-2 (RFC 5758 §3.2), and every self-signed root of the system bundle checks out.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { nativeProvider } from "../../src/crypto/native.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { AlertDescription, TlsAlert } from "../../src/tls/alert.ts";
import { type Certificate, isSelfIssued, parseCertificate } from "../../src/tls/pki/certificate.ts";
import {
  CertificateError,
  certificateErrorAlerts,
  type CertificateErrorCode,
} from "../../src/tls/pki/certificate_error.ts";
import { verifyCertificateSignature } from "../../src/tls/pki/certificate_signature.ts";
import { LoadError } from "../../src/tls/pki/load_error.ts";
import { decodePem } from "../../src/tls/pki/pem.ts";
import { TrustStore } from "../../src/tls/pki/trust_store.ts";
import { verifyCertificateChain, type VerifyChainOptions } from "../../src/tls/pki/verify_chain.ts";
import { ensureDevCerts } from "../../certs/generate.ts";
import type { FileInfo } from "../../certs/bundles.ts";
import { type DevKeyType, generateKeys, issue, type IssueOptions, type Signer } from "../../certs/issue.ts";
import { loadTrustStore, systemTrustStore } from "../../src/io/pki_files.ts";

const dir = await Deno.makeTempDir({ prefix: "pki-chain-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const certs = await ensureDevCerts(dir);
const manifest: Record<string, FileInfo> = JSON.parse(Deno.readTextFileSync(certs.manifest)).files;
const chainOf = (path: string) => decodePem(Deno.readTextFileSync(path)).map((b) => b.der);
const ca = chainOf(certs.ca.cert)[0];
const store = TrustStore.fromPem(Deno.readTextFileSync(certs.ca.cert));
const now = new Date();

const options = (o: Partial<VerifyChainOptions> = {}): VerifyChainOptions => ({
  anchors: store,
  hostname: "localhost",
  purpose: "serverAuth",
  now,
  provider: nobleProvider,
  ...o,
});

async function fails(chain: Uint8Array[], code: CertificateErrorCode, o: Partial<VerifyChainOptions> = {}) {
  const e = await verifyCertificateChain(chain, options(o)).then(() => assert.fail(`expected ${code}`), (e) => e);
  assert.ok(e instanceof CertificateError, String(e));
  assert.equal(e.code, code, e.message);
  assert.equal(e.alertName, certificateErrorAlerts[code]);
  return e;
}

const subjects = (path: readonly Uint8Array[]) => path.map((der) => parseCertificate(der).subject.commonName);

Deno.test("each failure code maps to the alert RFC 8446 §6.2 suggests", () => {
  const expected: Record<string, string> = {
    expired: "certificate_expired",
    not_yet_valid: "certificate_expired",
    hostname_mismatch: "bad_certificate",
    unknown_issuer: "unknown_ca",
    self_signed: "unknown_ca",
    missing_intermediate: "unknown_ca",
    bad_signature: "bad_certificate",
    not_for_server_auth: "unsupported_certificate",
    not_for_client_auth: "unsupported_certificate",
    not_a_ca: "bad_certificate",
    path_length: "bad_certificate",
  };
  for (const [code, alert] of Object.entries(expected)) {
    const e = new CertificateError(code as CertificateErrorCode, "why");
    assert.ok(e instanceof TlsAlert);
    assert.equal(e.description, AlertDescription[alert as keyof typeof AlertDescription], code);
    assert.equal(e.message, `sending ${alert}: why`);
  }
});

Deno.test("every generated fixture verifies (or fails) as its manifest entry says", async () => {
  let checked = 0;
  for (const [file, info] of Object.entries(manifest)) {
    if (!info.expect || !info.purpose) continue;
    const chain = chainOf(`${dir}/${file}`);
    const o = { purpose: info.purpose, hostname: info.names?.[0] };
    if (info.expect === "valid") await verifyCertificateChain(chain, options(o));
    else await fails(chain, info.expect, o);
    checked++;
  }
  assert.ok(checked >= 18, `only ${checked} fixtures checked`);
});

Deno.test("failure reasons say what is wrong in plain words", async () => {
  const reason = async (file: string, code: CertificateErrorCode, o: Partial<VerifyChainOptions> = {}) =>
    (await fails(chainOf(file), code, o)).reason;
  assert.match(await reason(certs.bad["expired"], "expired"), /certificate expired on 2021-01-01/);
  assert.match(await reason(certs.bad["not-yet-valid"], "not_yet_valid"), /not valid before 2090-01-01/);
  assert.match(await reason(certs.bad["self-signed"], "self_signed"), /self-signed certificate not in the trust store/);
  assert.match(await reason(certs.bad["via-intermediate"], "missing_intermediate"), /^missing intermediate/);
  assert.match(await reason(certs.bad["bad-signature"], "bad_signature"), /does not verify/);
  assert.match(await reason(certs.bad["client-auth-only"], "not_for_server_auth"), /not for server authentication/);
  assert.match(await reason(certs.bad["wrong-host"], "hostname_mismatch"), /for other\.example, not localhost/);
  assert.match(await reason(certs.bad["unknown-root-chain"], "unknown_issuer"), /not in the trust store/);
});

Deno.test("good chains for the three server key types end at the dev CA", async () => {
  for (const type of ["ecdsa-p256", "ed25519", "rsa"] as const) {
    const result = await verifyCertificateChain(chainOf(certs.server[type].cert), options());
    assert.equal(result.path.length, 2, type);
    assert.deepEqual(result.path[1], ca);
    assert.equal(result.certificates[0].publicKey.algorithm, type);
  }
  await verifyCertificateChain(chainOf(certs.alt.cert), options({ hostname: "alt.localhost" }));
});

Deno.test("an intermediate sent after the leaf is used; without it: missing intermediate", async () => {
  const chain = chainOf(certs.bad["via-intermediate-chain"]);
  const result = await verifyCertificateChain(chain, options());
  const names = subjects(result.path);
  assert.deepEqual(names.slice(0, 2), ["localhost", "tls13-hono development intermediate"]);
  assert.match(names[2]!, /^tls13-hono development CA/);
  assert.deepEqual(result.path[2], ca);
  await fails(chain.slice(0, 1), "missing_intermediate");
});

Deno.test("out-of-order and extra certificates are tolerated; an anchor sent in the chain counts", async () => {
  const [leaf, intermediate] = chainOf(certs.bad["via-intermediate-chain"]);
  const unrelated = chainOf(certs.unknownCa)[0];
  const server = chainOf(certs.server.rsa.cert)[0];
  const result = await verifyCertificateChain([leaf, ca, unrelated, server, intermediate], options());
  assert.equal(result.path.length, 3, "leaf, intermediate, anchor: the anchor is not counted twice");
  assert.deepEqual(result.path[1], intermediate);
  const reordered = chainOf(certs.bad["path-length-chain"]);
  await fails([reordered[0], reordered[2], reordered[1]], "path_length");
});

Deno.test("a self-signed leaf that is itself a trust anchor is accepted (pinning)", async () => {
  const chain = chainOf(certs.bad["self-signed"]);
  const result = await verifyCertificateChain(chain, options({ anchors: chain }));
  assert.equal(result.path.length, 1);
});

Deno.test("client certificates: purpose clientAuth, unknown CA, expired", async () => {
  const client = { purpose: "clientAuth" as const, hostname: undefined };
  await verifyCertificateChain(chainOf(certs.client.cert), options(client));
  await fails(chainOf(certs.clientExpired.cert), "expired", client);
  const fromUnknown = chainOf(certs.clientUnknownCa.cert);
  await fails(fromUnknown, "missing_intermediate", client);
  await fails([...fromUnknown, ...chainOf(certs.unknownCa)], "unknown_issuer", client);
  await fails(chainOf(certs.server["ecdsa-p256"].cert), "not_for_client_auth", client);
  await fails(chainOf(certs.client.cert), "not_for_server_auth");
});

Deno.test("validity is checked at the injected time, inclusive at both ends", async () => {
  const chain = chainOf(certs.server.ed25519.cert);
  const leaf = parseCertificate(chain[0]);
  await verifyCertificateChain(chain, options({ now: leaf.notAfter }));
  await verifyCertificateChain(chain, options({ now: leaf.notBefore }));
  await fails(chain, "expired", { now: new Date(leaf.notAfter.getTime() + 1000) });
  await fails(chain, "not_yet_valid", { now: new Date(leaf.notBefore.getTime() - 1000) });
});

Deno.test("depth is bounded; malformed and empty chains are refused", async () => {
  await fails(chainOf(certs.bad["via-intermediate-chain"]), "chain_too_long", { maxDepth: 2 });
  const e = await fails([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])], "malformed");
  assert.equal(e.depth, 0);
  await fails([chainOf(certs.server.rsa.cert)[0], new Uint8Array([1, 2, 3])], "malformed");
  await fails([], "empty_chain");
});

// ---- Chains made here, for cases the fixtures do not cover -------------------------------------------------

const day = 86400_000;
const validity = { notBefore: new Date(now.getTime() - day), notAfter: new Date(now.getTime() + 30 * day) };

async function makeCa(subject: string, type: DevKeyType, issuer?: Signer, extra: Partial<IssueOptions> = {}) {
  const keys = await generateKeys(type);
  const cert = await issue({ subject: `CN=${subject}`, keys, type, issuer, ca: {}, ...validity, ...extra });
  return { cert, privateKey: keys.privateKey, type } satisfies Signer;
}

async function makeLeaf(issuer: Signer, extra: Partial<IssueOptions> = {}, type: DevKeyType = "ecdsa-p256") {
  const keys = await generateKeys(type);
  const spec = { subject: "CN=leaf", keys, type, issuer, dns: ["localhost"], ...validity, ...extra };
  return new Uint8Array((await issue(spec)).rawData);
}

const der = (s: Signer) => new Uint8Array(s.cert.rawData);

Deno.test("CA signature algorithms: RSA PKCS#1 v1.5, RSA-PSS, Ed25519, ECDSA P-384 with SHA-384", async () => {
  const rsaCa = await makeCa("RSA CA", "rsa");
  // WebCrypto binds the padding to the key: the same RSA key, imported again for PSS.
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", rsaCa.privateKey);
  const pssKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "RSA-PSS", hash: "SHA-256" }, false, ["sign"]);
  const rsaPssCa: Signer = { ...rsaCa, privateKey: pssKey };
  const pss = { name: "RSA-PSS", hash: "SHA-256", saltLength: 32 } as RsaPssParams;
  const edCa = await makeCa("Ed25519 CA", "ed25519");
  const p384Ca = await makeCa("P-384 CA", "ecdsa-p384");
  const cases: [Signer, Partial<IssueOptions>, string][] = [
    [rsaCa, {}, "1.2.840.113549.1.1.11"],
    [rsaPssCa, { signingAlgorithm: pss }, "1.2.840.113549.1.1.10"],
    [edCa, {}, "1.3.101.112"],
    [p384Ca, {}, "1.2.840.10045.4.3.3"],
  ];
  for (const [issuer, extra, oid] of cases) {
    const leaf = await makeLeaf(issuer, extra);
    assert.equal(parseCertificate(leaf).signatureAlgorithm.oid, oid);
    const result = await verifyCertificateChain([leaf], options({ anchors: [der(issuer)] }));
    assert.equal(result.path.length, 2, oid);
    const tampered = leaf.slice();
    tampered[tampered.length - 3] ^= 0x40;
    await fails([tampered], "bad_signature", { anchors: [der(issuer)] });
  }
});

const providers: CryptoProvider[] = [nobleProvider, nativeProvider()];
const ecdsa = (hash: string) => ({ name: "ECDSA", hash }) as EcdsaParams;

Deno.test("ECDSA CAs sign with any SHA-2 on either curve (RFC 5758 §3.2), on every provider", async () => {
  const p384Ca = await makeCa("P-384 CA", "ecdsa-p384");
  const p256Ca = await makeCa("P-256 CA", "ecdsa-p256");
  const cases: [Signer, string, string][] = [
    [p384Ca, "SHA-256", "1.2.840.10045.4.3.2"],
    [p256Ca, "SHA-384", "1.2.840.10045.4.3.3"],
    [p384Ca, "SHA-512", "1.2.840.10045.4.3.4"],
    [p256Ca, "SHA-512", "1.2.840.10045.4.3.4"],
  ];
  for (const [issuer, hash, oid] of cases) {
    const leaf = await makeLeaf(issuer, { signingAlgorithm: ecdsa(hash) });
    assert.equal(parseCertificate(leaf).signatureAlgorithm.oid, oid);
    const tampered = leaf.slice();
    tampered[tampered.length - 3] ^= 0x40;
    for (const provider of providers) {
      const anchors = [der(issuer)];
      const result = await verifyCertificateChain([leaf], options({ anchors, provider }));
      assert.equal(result.path.length, 2, `${issuer.cert.subject} ${hash} ${provider.name}`);
      await fails([tampered], "bad_signature", { anchors, provider });
    }
  }
  // Through an intermediate: a P-384 root signs a P-256 CA with SHA-256, which signs the leaf with SHA-384.
  const root = await makeCa("P-384 root", "ecdsa-p384");
  const sub = await makeCa("P-256 sub CA", "ecdsa-p256", root, { signingAlgorithm: ecdsa("SHA-256") });
  const leaf = await makeLeaf(sub, { signingAlgorithm: ecdsa("SHA-384") });
  for (const provider of providers) {
    const result = await verifyCertificateChain([leaf, der(sub)], options({ anchors: [der(root)], provider }));
    assert.equal(result.path.length, 3, provider.name);
  }
});

Deno.test("a P-521 CA verifies a leaf it signed with SHA-512 (any SHA-2 goes with any curve, RFC 5758 §3.2)", async () => {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-521" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  // `type` only picks a default signing algorithm, which signingAlgorithm overrides.
  const spec = { subject: "CN=P-521 CA", keys, type: "ecdsa-p384" as const, signingAlgorithm: ecdsa("SHA-512") };
  const cert = await issue({ ...spec, ca: {}, ...validity });
  const issuer: Signer = { cert, privateKey: keys.privateKey, type: "ecdsa-p384" };
  const leaf = await makeLeaf(issuer, { signingAlgorithm: ecdsa("SHA-512") });
  for (const provider of providers) {
    const result = await verifyCertificateChain([leaf], options({ anchors: [der(issuer)], provider }));
    assert.equal(result.path.length, 2, provider.name);
  }
});

const systemBundle = "/etc/ssl/certs/ca-certificates.crt";
const hasSystemBundle = (() => {
  try {
    return Deno.statSync(systemBundle).isFile;
  } catch {
    return false;
  }
})();

/** Roots we refuse on purpose, by the reason certificateSignatureScheme gives. */
const refusedOnPurpose: Record<string, RegExp> = {
  // RFC 8446 §4.2.3 keeps SHA-1 only as a legacy certificate algorithm; collisions are practical, so we refuse it.
  sha1: /signed with SHA-1, which is not accepted/,
};

Deno.test({
  name: `every self-signed root in ${systemBundle} verifies its own signature, on every provider`,
  ignore: !hasSystemBundle,
  fn: async () => {
    const roots = decodePem(Deno.readTextFileSync(systemBundle)).map((b) => parseCertificate(b.der))
      .filter(isSelfIssued);
    assert.ok(roots.length > 0, "no self-issued certificate in the bundle");
    for (const provider of providers) {
      const refused: Record<string, string[]> = {};
      const unexpected: string[] = [];
      let verified = 0;
      for (const root of roots) {
        const why = await selfSignatureFailure(root, provider);
        if (why === null) {
          verified++;
          continue;
        }
        const label = Object.keys(refusedOnPurpose).find((k) => refusedOnPurpose[k].test(why));
        if (label) (refused[label] ??= []).push(root.subject.text);
        else unexpected.push(`"${root.subject.text}": ${why}`);
      }
      assert.deepEqual(
        unexpected,
        [],
        `${provider.name}, ${unexpected.length} root(s) failed:\n${unexpected.join("\n")}`,
      );
      assert.ok(verified > 0, provider.name);
    }
  },
});

/** Why `root` does not verify its own signature through verifyCertificateSignature, or null when it does. */
async function selfSignatureFailure(root: Certificate, provider: CryptoProvider): Promise<string | null> {
  try {
    await verifyCertificateSignature(root, root, provider, 0);
    return null;
  } catch (e) {
    if (e instanceof CertificateError) return `${e.code}: ${e.reason}`;
    throw e;
  }
}

Deno.test("SHA-1 signatures and unknown critical extensions are unsupported certificates", async () => {
  const root = await makeCa("root", "ecdsa-p256");
  const sha1 = await makeLeaf(root, { signingAlgorithm: { name: "ECDSA", hash: "SHA-1" } as EcdsaParams });
  await fails([sha1], "unsupported_algorithm", { anchors: [der(root)] });
  const critical = await makeLeaf(root, {
    extraExtensions: [new x509.Extension("1.3.6.1.4.1.99999.1", true, new Uint8Array([5, 0]))],
  });
  await fails([critical], "unknown_critical_extension", { anchors: [der(root)] });
  const harmless = await makeLeaf(root, {
    extraExtensions: [new x509.Extension("1.3.6.1.4.1.99999.1", false, new Uint8Array([5, 0]))],
  });
  await verifyCertificateChain([harmless], options({ anchors: [der(root)] }));
});

Deno.test("pathLenConstraint: 1 allows one intermediate below it, 0 allows none", async () => {
  const root = await makeCa("root", "ecdsa-p256");
  const one = await makeCa("pathlen 1", "ecdsa-p256", root, { ca: { pathLength: 1 } });
  const sub = await makeCa("sub", "ecdsa-p256", one);
  const subSub = await makeCa("sub sub", "ecdsa-p256", sub);
  const anchors = [der(root)];
  await verifyCertificateChain([await makeLeaf(sub), der(sub), der(one)], options({ anchors }));
  const e = await fails([await makeLeaf(subSub), der(subSub), der(sub), der(one)], "path_length", { anchors });
  assert.match(e.reason, /allows 1 intermediate certificate\(s\) below it .* has 2/);
  const zero = await makeCa("pathlen 0", "ecdsa-p256", root, { ca: { pathLength: 0 } });
  await verifyCertificateChain([await makeLeaf(zero), der(zero)], options({ anchors }));
});

Deno.test("not a CA: keyUsage without keyCertSign on an intermediate", async () => {
  const root = await makeCa("root", "ecdsa-p256");
  const noCertSign = await makeCa("no keyCertSign", "ecdsa-p256", root, { keyUsage: x509.KeyUsageFlags.cRLSign });
  const e = await fails([await makeLeaf(noCertSign), der(noCertSign)], "not_a_ca", { anchors: [der(root)] });
  assert.match(e.reason, /keyUsage without keyCertSign/);
});

Deno.test("a CA with the trusted name but another key is an unknown issuer (key identifiers differ)", async () => {
  const trusted = await makeCa("same name", "ecdsa-p256");
  const impostor = await makeCa("same name", "ecdsa-p256");
  const e = await fails([await makeLeaf(impostor)], "unknown_issuer", { anchors: [der(trusted)] });
  assert.match(e.reason, /with the right key identifier/);
});

Deno.test("backtracking: an expired copy of the intermediate sent first does not hide the current one", async () => {
  const root = await makeCa("root", "ecdsa-p256");
  const current = await makeCa("intermediate", "ecdsa-p256", root);
  const keys = { publicKey: (await current.cert.publicKey.export()) as CryptoKey, privateKey: current.privateKey };
  const stale = await issue({
    subject: "CN=intermediate",
    keys,
    type: "ecdsa-p256",
    issuer: root,
    ca: {},
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2021-01-01T00:00:00Z"),
  });
  const leaf = await makeLeaf(current);
  const result = await verifyCertificateChain(
    [leaf, new Uint8Array(stale.rawData), der(current)],
    options({ anchors: [der(root)] }),
  );
  assert.deepEqual(result.path[1], der(current));
  await fails([leaf, new Uint8Array(stale.rawData)], "expired", { anchors: [der(root)] });
});

Deno.test("trust stores: PEM bundles with comments, files, SSL_CERT_FILE, and bad input", async () => {
  const bundle = `# dev CA\n${Deno.readTextFileSync(certs.ca.cert)}\nsome text\n${
    Deno.readTextFileSync(certs.unknownCa)
  }`;
  const fromText = TrustStore.fromPem(bundle);
  assert.equal(fromText.anchors.length, 2);
  const fromFile = await loadTrustStore({ path: certs.ca.cert });
  await verifyCertificateChain(chainOf(certs.server.rsa.cert), options({ anchors: fromFile }));
  await assert.rejects(loadTrustStore({ path: `${dir}/missing.pem` }), LoadError);
  const empty = TrustStore.fromPem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "empty.pem");
  assert.throws(() => empty.anchors, (e) => e instanceof LoadError && e.code === "no_certificate");
  assert.throws(() => empty.anchors, LoadError, "the same error again");
  Deno.env.set("SSL_CERT_FILE", certs.ca.cert);
  try {
    const system = await systemTrustStore();
    assert.equal(system.anchors.length, 1);
    assert.equal(await systemTrustStore(), system, "loaded once, then cached");
    await verifyCertificateChain(chainOf(certs.server["ecdsa-p256"].cert), options({ anchors: system }));
  } finally {
    Deno.env.delete("SSL_CERT_FILE");
  }
});

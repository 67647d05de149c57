/**
 * Claims about loading keys and certificates at start-up: every key format we promise loads and signs for its
 * certificate; a key that belongs to another certificate, garbage, encrypted and unsupported keys fail with the
 * file named and the reason given; SNI picks exact names, then wildcards, then the default.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { type CertifiedKey, selectCertificate } from "../../src/tls/pki/certified_key.ts";
import { parseCertificate } from "../../src/tls/pki/certificate.ts";
import { LoadError, type LoadErrorCode } from "../../src/tls/pki/load_error.ts";
import { decodePem, encodePem, PemError } from "../../src/tls/pki/pem.ts";
import { parsePrivateKey } from "../../src/tls/pki/private_key.ts";
import { SignatureScheme } from "../../src/tls/wire/constants.ts";
import { ensureDevCerts } from "../../certs/generate.ts";
import { exportPkcs8, generateKeys, pkcs8ToSec1Pem } from "../../certs/issue.ts";
import { needs, which } from "../_support/peers.ts";
import { loadCertifiedKey } from "../../src/io/pki_files.ts";

const dir = await Deno.makeTempDir({ prefix: "pki-keys-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const certs = await ensureDevCerts(dir);
const provider = nobleProvider;

const derOf = (pemPath: string) => decodePem(Deno.readTextFileSync(pemPath))[0].der;

async function rejects(promise: Promise<unknown>, code: LoadErrorCode, ...inMessage: string[]): Promise<LoadError> {
  const error = await promise.then(() => assert.fail("expected a LoadError"), (e) => e);
  assert.ok(error instanceof LoadError, `expected LoadError, got ${error}`);
  assert.equal(error.code, code, error.message);
  for (const text of inMessage) assert.ok(error.message.includes(text), `"${error.message}" should mention "${text}"`);
  return error;
}

function throwsLoad(body: () => unknown, code: LoadErrorCode, ...inMessage: string[]): void {
  try {
    body();
  } catch (e) {
    assert.ok(e instanceof LoadError, `expected LoadError, got ${e}`);
    assert.equal(e.code, code, e.message);
    for (const text of inMessage) assert.ok(e.message.includes(text), `"${e.message}" should mention "${text}"`);
    return;
  }
  assert.fail("expected a LoadError");
}

Deno.test("PEM: every block with its label, text around blocks ignored, CRLF accepted, encode round-trips", () => {
  const a = new Uint8Array([1, 2, 3, 250]);
  const b = new Uint8Array(200).map((_, i) => i);
  const text = `# a comment\r\n${encodePem("CERTIFICATE", a).replaceAll("\n", "\r\n")}junk between\n${
    encodePem("EC PRIVATE KEY", b)
  }`;
  const blocks = decodePem(text);
  assert.deepEqual(blocks.map((x) => x.label), ["CERTIFICATE", "EC PRIVATE KEY"]);
  assert.deepEqual(blocks[0].der, a);
  assert.deepEqual(blocks[1].der, b);
  assert.ok(encodePem("X", b).split("\n").every((line) => line.length <= 64), "RFC 7468 §2: 64-character lines");
  assert.deepEqual(decodePem("no PEM here"), []);
});

Deno.test("PEM: mismatched labels, a missing END and bad base64 are PemErrors", () => {
  assert.throws(() => decodePem("-----BEGIN A-----\nAAAA\n-----END B-----\n"), PemError);
  assert.throws(() => decodePem("-----BEGIN A-----\nAAAA\n"), PemError);
  assert.throws(() => decodePem("-----BEGIN A-----\nA*AA\n-----END A-----\n"), PemError);
});

Deno.test("every key format loads and normalizes to PKCS#8 with its kind", () => {
  const cases: [string, string, string][] = [
    [certs.server["ecdsa-p256"].key, "ecdsa-p256", "pkcs8"],
    [certs.serverEcdsaKeySec1, "ecdsa-p256", "sec1"],
    [certs.server.ed25519.key, "ed25519", "pkcs8"],
    [certs.server.rsa.key, "rsa", "pkcs8"],
    [certs.serverRsaKeyPkcs1, "rsa", "pkcs1"],
  ];
  for (const [path, kind, format] of cases) {
    const pem = parsePrivateKey(Deno.readTextFileSync(path), path);
    assert.equal(pem.kind, kind, path);
    assert.equal(pem.format, format, path);
    const der = parsePrivateKey(derOf(path), path);
    assert.deepEqual(der.pkcs8, pem.pkcs8, `${path}: DER and PEM input give the same PKCS#8`);
  }
  // The SEC1 and PKCS#1 copies normalize to the same private key as the PKCS#8 originals.
  const ecFromSec1 = parsePrivateKey(Deno.readTextFileSync(certs.serverEcdsaKeySec1));
  const ecFromPkcs8 = parsePrivateKey(Deno.readTextFileSync(certs.server["ecdsa-p256"].key));
  assert.deepEqual(ecFromSec1.publicKey, ecFromPkcs8.publicKey);
  const rsaFromPkcs1 = parsePrivateKey(Deno.readTextFileSync(certs.serverRsaKeyPkcs1));
  assert.deepEqual(rsaFromPkcs1.pkcs8, parsePrivateKey(Deno.readTextFileSync(certs.server.rsa.key)).pkcs8);
  assert.equal(rsaFromPkcs1.rsa?.bits, 2048);
});

Deno.test("P-384 keys load from PKCS#8 and SEC1, and the normalized PKCS#8 imports into WebCrypto", async () => {
  const keys = await generateKeys("ecdsa-p384");
  const pkcs8 = await exportPkcs8(keys.privateKey);
  for (const text of [encodePem("PRIVATE KEY", pkcs8), pkcs8ToSec1Pem(pkcs8)]) {
    const key = parsePrivateKey(text);
    assert.equal(key.kind, "ecdsa-p384");
    const imported = await crypto.subtle.importKey(
      "pkcs8",
      new Uint8Array(key.pkcs8),
      { name: "ECDSA", namedCurve: "P-384" },
      false,
      ["sign"],
    );
    assert.equal(imported.type, "private");
    await provider.importSigningKey(key.pkcs8, key.kind);
  }
});

Deno.test("a SEC1 key without parameters or public key still loads (curve from the scalar length)", () => {
  const sec1 = decodePem(Deno.readTextFileSync(certs.serverEcdsaKeySec1))[0].der;
  // Rebuild ECPrivateKey { 1, d } by hand: 30 25 02 01 01 04 20 <32 bytes>.
  const d = sec1.subarray(7, 39);
  const bare = new Uint8Array([0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20, ...d]);
  const key = parsePrivateKey(encodePem("EC PRIVATE KEY", bare));
  assert.equal(key.kind, "ecdsa-p256");
  assert.equal(key.publicKey, undefined);
});

Deno.test(
  "keys made by openssl load: EC PARAMETERS + EC PRIVATE KEY, Ed25519, traditional RSA",
  needs("openssl"),
  async () => {
    const run = async (...args: string[]) => {
      const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    const ec = await run("ecparam", "-name", "secp384r1", "-genkey");
    assert.ok(ec.includes("EC PARAMETERS"));
    assert.equal(parsePrivateKey(ec).kind, "ecdsa-p384");
    assert.equal(parsePrivateKey(await run("genpkey", "-algorithm", "ed25519")).kind, "ed25519");
    const rsaPath = `${dir}/openssl-rsa.pem`;
    await run("genrsa", "-traditional", "-out", rsaPath, "2048");
    const rsa = parsePrivateKey(Deno.readTextFileSync(rsaPath));
    assert.equal(rsa.format, "pkcs1");
    await provider.importSigningKey(rsa.pkcs8, rsa.kind);
  },
);

Deno.test("loadCertifiedKey: each server certificate with each of its key files", async () => {
  const cases: [string, string, string, number[]][] = [
    [certs.server["ecdsa-p256"].cert, certs.server["ecdsa-p256"].key, "ecdsa-p256", [
      SignatureScheme.ecdsa_secp256r1_sha256,
    ]],
    [certs.server["ecdsa-p256"].cert, certs.serverEcdsaKeySec1, "ecdsa-p256", [SignatureScheme.ecdsa_secp256r1_sha256]],
    [certs.server.ed25519.cert, certs.server.ed25519.key, "ed25519", [SignatureScheme.ed25519]],
    [certs.server.rsa.cert, certs.server.rsa.key, "rsa", [
      SignatureScheme.rsa_pss_rsae_sha256,
      SignatureScheme.rsa_pss_rsae_sha384,
      SignatureScheme.rsa_pss_rsae_sha512,
    ]],
    [certs.server.rsa.cert, certs.serverRsaKeyPkcs1, "rsa", [
      SignatureScheme.rsa_pss_rsae_sha256,
      SignatureScheme.rsa_pss_rsae_sha384,
      SignatureScheme.rsa_pss_rsae_sha512,
    ]],
  ];
  for (const [cert, key, kind, schemes] of cases) {
    const ck = await loadCertifiedKey({ cert: { path: cert }, key: { path: key } }, provider);
    assert.equal(ck.kind, kind);
    assert.deepEqual(ck.schemes, schemes);
    assert.deepEqual(ck.names, ["localhost"]);
    assert.deepEqual(ck.leaf.ipAddresses, ["127.0.0.1", "::1"]);
    assert.ok(ck.leaf.notAfter > new Date());
    assert.equal(ck.chain.length, 1);
    // The signing key signs CertificateVerify content that the leaf's public key accepts.
    const message = new TextEncoder().encode("content to sign");
    const signature = await ck.signingKey.sign(schemes[0], message);
    const spki = parseCertificate(ck.chain[0]).publicKey.spki;
    assert.ok(await provider.verify(spki, schemes[0], message, signature), `${key} signs for ${cert}`);
  }
});

Deno.test("loadCertifiedKey: PEM text, DER bytes, and a chain with its key in one file", async () => {
  const certPem = Deno.readTextFileSync(certs.bad["via-intermediate-chain"]);
  const keyPem = Deno.readTextFileSync(certs.bad["leaf-key"]);
  const combined = await loadCertifiedKey({ cert: certPem + keyPem, key: keyPem + certPem }, provider);
  assert.equal(combined.chain.length, 2, "leaf and intermediate, in order");
  assert.equal(parseCertificate(combined.chain[1]).subject.commonName, "tls13-hono development intermediate");
  const der = await loadCertifiedKey(
    { cert: derOf(certs.server.ed25519.cert), key: derOf(certs.server.ed25519.key) },
    provider,
  );
  assert.equal(der.kind, "ed25519");
});

Deno.test("a key that is not the certificate's fails, naming the key file and the certificate file", async () => {
  const ecdsa = certs.server["ecdsa-p256"].cert;
  // Same type, carries its public key: compared directly.
  let e = await rejects(
    loadCertifiedKey({ cert: { path: ecdsa }, key: { path: certs.bad["leaf-key"] } }, provider),
    "key_mismatch",
    certs.bad["leaf-key"],
    ecdsa,
  );
  assert.equal(e.source, certs.bad["leaf-key"]);
  // Another type altogether.
  e = await rejects(
    loadCertifiedKey(
      { cert: { path: certs.server.rsa.cert }, key: { path: certs.server["ecdsa-p256"].key } },
      provider,
    ),
    "key_mismatch",
    "ECDSA P-256",
    "RSA",
  );
  // Ed25519 PKCS#8 without a public key: checked by signing and verifying with the certificate's key.
  const otherEd = encodePem("PRIVATE KEY", await exportPkcs8((await generateKeys("ed25519")).privateKey));
  assert.equal(parsePrivateKey(otherEd).publicKey, undefined);
  await rejects(
    loadCertifiedKey({ cert: { path: certs.server.ed25519.cert }, key: otherEd }, provider),
    "key_mismatch",
    "key: the key does not match",
  );
});

Deno.test("garbage, missing files and PEM without the right blocks fail with the file named", async () => {
  const garbage = `${dir}/garbage.pem`;
  Deno.writeTextFileSync(garbage, "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n");
  const keyPath = certs.server["ecdsa-p256"].key;
  const certPath = certs.server["ecdsa-p256"].cert;
  await rejects(loadCertifiedKey({ cert: { path: certPath }, key: { path: garbage } }, provider), "bad_pem", garbage);
  await rejects(loadCertifiedKey({ cert: { path: garbage }, key: { path: keyPath } }, provider), "bad_pem", garbage);
  await rejects(
    loadCertifiedKey({ cert: { path: keyPath }, key: { path: keyPath } }, provider),
    "no_certificate",
    keyPath,
  );
  await rejects(
    loadCertifiedKey({ cert: { path: `${dir}/nope.pem` }, key: { path: keyPath } }, provider),
    "unreadable",
    `${dir}/nope.pem`,
    "no such file",
  );
  await rejects(loadCertifiedKey({ cert: { path: certPath }, key: { path: certPath } }, provider), "no_key", certPath);
  await rejects(
    loadCertifiedKey({ cert: "certs/out/server.pem", key: { path: keyPath } }, provider),
    "bad_pem",
    "{ path }",
  );
  const badCert = encodePem("CERTIFICATE", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]));
  await rejects(loadCertifiedKey({ cert: badCert, key: { path: keyPath } }, provider), "bad_certificate", "cert:");
  throwsLoad(() => parsePrivateKey(new Uint8Array([0x30, 0x03, 0x02, 0x01]), "k.der"), "bad_key", "k.der");
  throwsLoad(() => parsePrivateKey(encodePem("PRIVATE KEY", new Uint8Array([0x30, 0x00]))), "bad_key", "PKCS#8");
});

Deno.test("encrypted keys are refused by name, in all three spellings", () => {
  // RFC 5958 EncryptedPrivateKeyInfo: SEQUENCE { AlgorithmIdentifier(PBES2), OCTET STRING }.
  const pbes2 = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
  const encrypted = new Uint8Array([0x30, 0x11, 0x30, 0x0b, ...pbes2, 0x04, 0x02, 0xab, 0xcd]);
  throwsLoad(
    () => parsePrivateKey(encodePem("ENCRYPTED PRIVATE KEY", encrypted), "enc.pem"),
    "encrypted_key",
    "enc.pem",
  );
  throwsLoad(() => parsePrivateKey(encrypted, "enc.der"), "encrypted_key", "enc.der");
  const legacy =
    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n" +
    "AAAA\n-----END RSA PRIVATE KEY-----\n";
  throwsLoad(() => parsePrivateKey(legacy, "legacy.pem"), "encrypted_key", "Proc-Type");
});

Deno.test("openssl-encrypted PKCS#8 is refused as encrypted", needs("openssl"), async () => {
  const out = await new Deno.Command("openssl", {
    args: ["pkcs8", "-topk8", "-in", certs.server["ecdsa-p256"].key, "-passout", "pass:secret", "-v2", "aes-256-cbc"],
    stdout: "piped",
  }).output();
  throwsLoad(() => parsePrivateKey(new TextDecoder().decode(out.stdout), "enc.pem"), "encrypted_key", "ENCRYPTED");
});

Deno.test("unsupported keys: brainpool curves, RSA under 2048 bits, OpenSSH format (P-521 and Ed448 load)", async () => {
  if (which("openssl")) {
    const gen = async (...args: string[]) =>
      new TextDecoder().decode((await new Deno.Command("openssl", { args, stdout: "piped" }).output()).stdout);
    const brainpool = await gen("ecparam", "-name", "brainpoolP256r1", "-genkey");
    const rsa1024 = await gen("genrsa", "1024");
    throwsLoad(() => parsePrivateKey(brainpool, "bp.pem"), "unsupported_key", "ECDSA on curve");
    throwsLoad(() => parsePrivateKey(rsa1024, "rsa1024.pem"), "unsupported_key", "1024 bits");
    assert.equal(parsePrivateKey(await gen("ecparam", "-name", "secp521r1", "-genkey"), "p521.pem").kind, "ecdsa-p521");
    assert.equal(parsePrivateKey(await gen("genpkey", "-algorithm", "ed448"), "ed448.pem").kind, "ed448");
  }
  const openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
  throwsLoad(() => parsePrivateKey(openssh, "id_ed25519"), "unsupported_key", "ssh-keygen");
});

Deno.test("selectCertificate: exact name, then wildcard, then the first as default", () => {
  const key = (names: string[]) => ({ names }) as unknown as CertifiedKey;
  const dflt = key(["localhost"]);
  const alt = key(["alt.localhost"]);
  const wild = key(["*.example.com"]);
  const exact = key(["www.example.com"]);
  const keys = [dflt, alt, wild, exact];
  assert.equal(selectCertificate(keys, "www.example.com"), exact, "exact beats an earlier wildcard");
  assert.equal(selectCertificate(keys, "WWW.Example.COM."), exact, "case and trailing dot");
  assert.equal(selectCertificate(keys, "api.example.com"), wild);
  assert.equal(selectCertificate(keys, "a.b.example.com"), dflt, "a wildcard covers one label only");
  assert.equal(selectCertificate(keys, "alt.localhost"), alt);
  assert.equal(selectCertificate(keys, "unknown.test"), dflt);
  assert.equal(selectCertificate(keys, undefined), dflt, "no SNI");
  assert.equal(selectCertificate([], "x"), undefined);
});

Deno.test("selectCertificate over real loaded keys picks server-alt.pem for alt.localhost", async () => {
  const main = await loadCertifiedKey({
    cert: { path: certs.server["ecdsa-p256"].cert },
    key: { path: certs.server["ecdsa-p256"].key },
  }, provider);
  const alt = await loadCertifiedKey({ cert: { path: certs.alt.cert }, key: { path: certs.alt.key } }, provider);
  assert.equal(selectCertificate([main, alt], "alt.localhost"), alt);
  assert.equal(selectCertificate([main, alt], "localhost"), main);
});

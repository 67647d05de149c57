/**
 * Claims about the development CA generator: it makes every file its manifest lists, each parses as what the
 * manifest says, re-running keeps what exists (and fills in what is missing), --force replaces everything,
 * OpenSSL agrees that the good certificates chain to the CA with the right names and purposes, and the CLI runs
 * under Deno, Bun and Node.
 */
import assert from "node:assert/strict";
import { parseCertificate } from "../../src/tls/pki/certificate.ts";
import { formatIpAddress } from "../../src/tls/pki/hostname.ts";
import { decodePem } from "../../src/tls/pki/pem.ts";
import { parsePrivateKey } from "../../src/tls/pki/private_key.ts";
import { Oid } from "../../src/tls/pki/oids.ts";
import { ensureDevCerts } from "../../certs/generate.ts";
import type { FileInfo } from "../../certs/bundles.ts";
import { needs } from "../_support/peers.ts";
import { command, runtimes } from "../_support/runtimes.ts";

const root = await Deno.makeTempDir({ prefix: "certs-generate-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const started = performance.now();
const certs = await ensureDevCerts(`${root}/out`);
const firstRunMs = performance.now() - started;
const manifest: Record<string, FileInfo> = JSON.parse(Deno.readTextFileSync(certs.manifest)).files;

const read = (file: string) => Deno.readTextFileSync(`${certs.dir}/${file}`);

Deno.test("the generator makes every file of the manifest, quickly", () => {
  assert.ok(firstRunMs < 10_000, `took ${firstRunMs} ms`);
  const expected = [
    "ca.pem",
    "ca-key.pem",
    "server-ecdsa.pem",
    "server-ecdsa-key.pem",
    "server-ecdsa-key.sec1.pem",
    "server-ed25519.pem",
    "server-ed25519-key.pem",
    "server-rsa.pem",
    "server-rsa-key.pem",
    "server-rsa-key.pkcs1.pem",
    "server-alt.pem",
    "server-alt-key.pem",
    "client.pem",
    "client-key.pem",
    "client-unknown-ca.pem",
    "client-unknown-ca-key.pem",
    "unknown-ca.pem",
    "client-expired.pem",
    "client-expired-key.pem",
    "bad/expired.pem",
    "bad/not-yet-valid.pem",
    "bad/wrong-host.pem",
    "bad/self-signed.pem",
    "bad/intermediate-ca.pem",
    "bad/via-intermediate.pem",
    "bad/via-intermediate-chain.pem",
    "bad/bad-signature.pem",
    "bad/client-auth-only.pem",
  ];
  for (const file of expected) assert.ok(manifest[file], `manifest lists ${file}`);
  for (const file of Object.keys(manifest)) assert.ok(Deno.statSync(`${certs.dir}/${file}`).isFile, file);
  assert.equal(certs.created.length, Object.keys(manifest).length + 1, "every file plus manifest.json");
});

Deno.test("each file is what the manifest says: certificates parse, keys load in their format and type", () => {
  for (const [file, info] of Object.entries(manifest)) {
    if (info.type === "private-key") {
      const key = parsePrivateKey(read(file), file);
      assert.equal(key.format, info.format, file);
      assert.equal(key.kind, info.keyType, file);
      if (file.includes("key")) {
        assert.equal(Deno.statSync(`${certs.dir}/${file}`).mode! & 0o077, 0, `${file} is private`);
      }
      continue;
    }
    const blocks = decodePem(read(file));
    assert.ok(blocks.length >= 1 && blocks.every((b) => b.label === "CERTIFICATE"), file);
    if (info.type !== "chain") assert.equal(blocks.length, 1, file);
    const leaf = parseCertificate(blocks[0].der);
    if (info.key) assert.equal(leaf.publicKey.algorithm, parsePrivateKey(read(info.key)).kind, file);
    if (info.purpose === "serverAuth" && info.expect !== "not_for_server_auth") {
      assert.ok(leaf.extKeyUsage?.includes(Oid.serverAuth), `${file} has EKU serverAuth`);
    }
    if (info.purpose === "clientAuth") assert.deepEqual(leaf.extKeyUsage, [Oid.clientAuth], file);
  }
});

Deno.test("server certificates name localhost, 127.0.0.1 and ::1; the CA is a CA", () => {
  for (const file of ["server-ecdsa.pem", "server-ed25519.pem", "server-rsa.pem"]) {
    const cert = parseCertificate(decodePem(read(file))[0].der);
    assert.deepEqual(cert.subjectAltNames?.dns, ["localhost"]);
    assert.deepEqual(cert.subjectAltNames?.ip.map(formatIpAddress), ["127.0.0.1", "::1"]);
  }
  assert.equal(parseCertificate(decodePem(read("server-rsa.pem"))[0].der).publicKey.rsa?.bits, 2048);
  const ca = parseCertificate(decodePem(read("ca.pem"))[0].der);
  assert.equal(ca.basicConstraints?.ca, true);
  assert.equal(ca.publicKey.algorithm, "ecdsa-p256");
});

Deno.test("re-running keeps every file; a missing file is regenerated with its bundle only", async () => {
  const before = new Map(Object.keys(manifest).map((f) => [f, read(f)]));
  const again = await ensureDevCerts(certs.dir);
  assert.deepEqual(again.created, []);
  for (const [file, text] of before) assert.equal(read(file), text, `${file} unchanged`);
  Deno.removeSync(`${certs.dir}/server-rsa-key.pkcs1.pem`);
  const refill = await ensureDevCerts(certs.dir);
  assert.deepEqual([...refill.created].sort(), ["server-rsa-key.pem", "server-rsa-key.pkcs1.pem", "server-rsa.pem"]);
  assert.equal(read("ca.pem"), before.get("ca.pem"), "the CA is kept");
  assert.notEqual(read("server-rsa.pem"), before.get("server-rsa.pem"));
});

Deno.test("--force regenerates everything, CA included", async () => {
  const dir = `${root}/forced`;
  const first = await ensureDevCerts(dir);
  const ca = Deno.readTextFileSync(first.ca.cert);
  const forced = await ensureDevCerts(dir, { force: true });
  assert.notEqual(Deno.readTextFileSync(forced.ca.cert), ca);
  assert.ok(forced.created.includes("bad/expired.pem"));
});

async function openssl(...args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  return { ok: r.success, out: text };
}

Deno.test("openssl verify accepts the good certificates and refuses the bad ones", needs("openssl"), async () => {
  const ca = certs.ca.cert;
  for (const file of ["server-ecdsa.pem", "server-ed25519.pem", "server-rsa.pem", "server-alt.pem"]) {
    const r = await openssl("verify", "-CAfile", ca, "-purpose", "sslserver", `${certs.dir}/${file}`);
    assert.ok(r.ok, r.out);
  }
  const client = await openssl("verify", "-CAfile", ca, "-purpose", "sslclient", certs.client.cert);
  assert.ok(client.ok, client.out);
  const viaIntermediate = await openssl(
    "verify",
    "-CAfile",
    ca,
    "-untrusted",
    certs.bad["intermediate-ca"],
    certs.bad["via-intermediate"],
  );
  assert.ok(viaIntermediate.ok, viaIntermediate.out);
  for (const bad of ["expired", "not-yet-valid", "self-signed", "via-intermediate", "bad-signature"]) {
    assert.ok(!(await openssl("verify", "-CAfile", ca, certs.bad[bad])).ok, `openssl refuses bad/${bad}.pem`);
  }
  const clientOnly = await openssl("verify", "-CAfile", ca, "-purpose", "sslserver", certs.bad["client-auth-only"]);
  assert.ok(!clientOnly.ok, "EKU clientAuth only is not for sslserver");
  const expiredClient = await openssl("verify", "-CAfile", ca, certs.clientExpired.cert);
  assert.ok(!expiredClient.ok && /expired/.test(expiredClient.out), expiredClient.out);
});

Deno.test("openssl x509 -text shows the SANs and extended key usages we meant", needs("openssl"), async () => {
  const text = async (path: string) => (await openssl("x509", "-noout", "-text", "-in", path)).out;
  const server = await text(certs.server.rsa.cert);
  assert.match(server, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
  assert.match(server, /TLS Web Server Authentication/);
  assert.match(server, /Public-Key: \(2048 bit\)/);
  assert.match(await text(certs.server.ed25519.cert), /ED25519/);
  assert.match(await text(certs.alt.cert), /DNS:alt\.localhost/);
  assert.match(await text(certs.client.cert), /TLS Web Client Authentication/);
  assert.match(await text(certs.bad["wrong-host"]), /DNS:other\.example/);
  assert.match(await text(certs.ca.cert), /CA:TRUE/);
  const sec1 = await openssl("ec", "-noout", "-check", "-in", certs.serverEcdsaKeySec1);
  assert.ok(sec1.ok, sec1.out);
  const pkcs1 = await openssl("rsa", "-noout", "-check", "-in", certs.serverRsaKeyPkcs1);
  assert.ok(pkcs1.ok && /RSA key ok/.test(pkcs1.out), pkcs1.out);
});

for (const runtime of runtimes) {
  Deno.test(`the CLI runs under ${runtime} and is idempotent`, async () => {
    const dir = `${root}/cli-${runtime}`;
    const script = new URL("../../certs/generate.ts", import.meta.url).pathname;
    const [bin, ...args] = command(runtime, script, [dir]);
    const run = async () => {
      const r = await new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" }).output();
      const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
      assert.ok(r.success, out);
      return out;
    };
    assert.match(await run(), /wrote \d+ files/);
    assert.match(await run(), /everything already existed/);
    assert.ok(Deno.statSync(`${dir}/server-ed25519.pem`).isFile);
  });
}

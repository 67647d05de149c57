/**
 * Claims about RFC 9525 host name checks: subjectAltName only (the Common Name never counts), wildcards only as
 * the whole leftmost label and for exactly one label, case-insensitive, trailing dots ignored, and IP literals
 * compared as normalized addresses against iPAddress entries only.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { parseCertificate } from "../../src/tls/pki/certificate.ts";
import { CertificateError } from "../../src/tls/pki/certificate_error.ts";
import {
  formatIpAddress,
  type HostIdentities,
  matchesHostname,
  normalizeDnsName,
  parseIpAddress,
} from "../../src/tls/pki/hostname.ts";
import { decodePem } from "../../src/tls/pki/pem.ts";
import { verifyCertificateChain } from "../../src/tls/pki/verify_chain.ts";
import { ensureDevCerts } from "../../certs/generate.ts";
import { addDays, generateKeys, issue } from "../../certs/issue.ts";

const dns = (...names: string[]): HostIdentities => ({ dns: names, ip: [] });
const ips = (...literals: string[]): HostIdentities => ({ dns: [], ip: literals.map((l) => parseIpAddress(l)!) });

Deno.test("exact names match case-insensitively, with or without one trailing dot on either side", () => {
  assert.ok(matchesHostname(dns("www.example.com"), "www.example.com"));
  assert.ok(matchesHostname(dns("WWW.Example.COM"), "www.example.com"));
  assert.ok(matchesHostname(dns("www.example.com"), "WWW.EXAMPLE.COM"));
  assert.ok(matchesHostname(dns("www.example.com"), "www.example.com."));
  assert.ok(matchesHostname(dns("www.example.com."), "www.example.com"));
  assert.ok(!matchesHostname(dns("www.example.com"), "www.example.com.."));
  assert.ok(!matchesHostname(dns("www.example.com"), "example.com"));
  assert.ok(!matchesHostname(dns("example.com"), "www.example.com"));
  assert.ok(!matchesHostname(dns(), "example.com"));
});

Deno.test("a wildcard is the whole leftmost label and covers exactly one label (RFC 9525 §6.3)", () => {
  const wild = dns("*.example.com");
  assert.ok(matchesHostname(wild, "a.example.com"));
  assert.ok(matchesHostname(wild, "A.EXAMPLE.COM."));
  assert.ok(!matchesHostname(wild, "example.com"), "not the apex");
  assert.ok(!matchesHostname(wild, "a.b.example.com"), "not two labels");
  assert.ok(!matchesHostname(wild, ".example.com"), "not an empty label");
  assert.ok(!matchesHostname(dns("f*.example.com"), "foo.example.com"), "partial wildcards never match");
  assert.ok(!matchesHostname(dns("*oo.example.com"), "foo.example.com"));
  assert.ok(!matchesHostname(dns("www.*.com"), "www.example.com"), "only the leftmost label");
  assert.ok(!matchesHostname(dns("*.*.example.com"), "a.b.example.com"));
  assert.ok(!matchesHostname(dns("*"), "localhost"));
  assert.ok(!matchesHostname(dns("*.com"), "example.com"), "no wildcard over a whole top-level domain");
  assert.ok(!matchesHostname(dns("*.example.com"), "*.example.com"), "a '*' in the host is not a name");
});

Deno.test("IP literals match iPAddress entries only, compared as normalized addresses", () => {
  assert.ok(matchesHostname(ips("127.0.0.1"), "127.0.0.1"));
  assert.ok(matchesHostname(ips("::1"), "::1"));
  assert.ok(matchesHostname(ips("::1"), "[::1]"));
  assert.ok(matchesHostname(ips("::1"), "0:0:0:0:0:0:0:1"));
  assert.ok(matchesHostname(ips("2001:db8::1"), "2001:DB8:0:0:0:0:0:1"));
  assert.ok(matchesHostname(ips("::ffff:192.0.2.1"), "::ffff:c000:201"));
  assert.ok(!matchesHostname(ips("::ffff:127.0.0.1"), "127.0.0.1"), "IPv4-mapped IPv6 is a different address");
  assert.ok(!matchesHostname(dns("127.0.0.1"), "127.0.0.1"), "a dNSName never matches an IP literal");
  assert.ok(!matchesHostname(dns("::1"), "::1"));
  assert.ok(!matchesHostname(ips("127.0.0.1"), "localhost"));
  assert.ok(!matchesHostname(ips("127.0.0.1"), "127.0.0.2"));
});

Deno.test("IP parsing: strict dotted quads, RFC 4291 forms, no shorthands or zones", () => {
  assert.deepEqual(parseIpAddress("192.0.2.1"), new Uint8Array([192, 0, 2, 1]));
  for (
    const bad of [
      "127.1",
      "010.0.0.1",
      "256.0.0.1",
      "1.2.3.4.5",
      "1.2.3.",
      "0x7f.0.0.1",
      "fe80::1%eth0",
      ":::",
      "1::2::3",
    ]
  ) {
    assert.equal(parseIpAddress(bad), null, bad);
  }
  assert.equal(parseIpAddress("1:2:3:4:5:6:7:8:9"), null);
  assert.equal(parseIpAddress("1:2:3:4:5:6:7"), null);
  assert.equal(parseIpAddress("1:2:3:4:5:6:7::")?.length, 16);
  assert.equal(parseIpAddress("::")?.length, 16);
});

Deno.test("formatIpAddress writes RFC 5952 canonical IPv6", () => {
  const f = (s: string) => formatIpAddress(parseIpAddress(s)!);
  assert.equal(f("0:0:0:0:0:0:0:1"), "::1");
  assert.equal(f("2001:DB8:0:0:1:0:0:1"), "2001:db8::1:0:0:1", "the first of two equal runs");
  assert.equal(f("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1", "never '::' for one zero group");
  assert.equal(f("::"), "::");
  assert.equal(f("10.0.0.1"), "10.0.0.1");
});

Deno.test("Unicode host names compare as A-labels", () => {
  assert.equal(normalizeDnsName("Bücher.Example"), "xn--bcher-kva.example");
  assert.ok(matchesHostname(dns("xn--bcher-kva.example"), "bücher.example"));
  assert.ok(matchesHostname(dns("*.xn--bcher-kva.example"), "www.bücher.example"));
  assert.equal(normalizeDnsName("bad name.example"), null);
  assert.equal(normalizeDnsName(""), null);
});

const dir = await Deno.makeTempDir({ prefix: "pki-hostname-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const certs = await ensureDevCerts(dir);
const caDer = decodePem(Deno.readTextFileSync(certs.ca.cert))[0].der;
const chainOf = (path: string) => decodePem(Deno.readTextFileSync(path)).map((b) => b.der);
const verify = (chain: Uint8Array[], hostname: string) =>
  verifyCertificateChain(chain, {
    anchors: [caDer],
    hostname,
    purpose: "serverAuth",
    now: new Date(),
    provider: nobleProvider,
  });

async function mismatch(chain: Uint8Array[], hostname: string, reason: RegExp) {
  const e = await verify(chain, hostname).then(() => assert.fail(`${hostname} should not match`), (e) => e);
  assert.ok(e instanceof CertificateError, String(e));
  assert.equal(e.code, "hostname_mismatch");
  assert.equal(e.alertName, "bad_certificate");
  assert.match(e.reason, reason);
}

Deno.test("the dev server certificate is valid for localhost, 127.0.0.1 and ::1, and nothing else", async () => {
  const chain = chainOf(certs.server["ecdsa-p256"].cert);
  const sans = parseCertificate(chain[0]).subjectAltNames!;
  assert.deepEqual(sans.dns, ["localhost"]);
  assert.deepEqual(sans.ip.map(formatIpAddress), ["127.0.0.1", "::1"]);
  for (const host of ["localhost", "LOCALHOST.", "127.0.0.1", "::1", "[::1]", "0:0:0:0:0:0:0:1"]) {
    await verify(chain, host);
  }
  await mismatch(chain, "example.com", /certificate is for localhost, 127\.0\.0\.1, ::1, not example\.com/);
  await mismatch(chain, "127.0.0.2", /not 127\.0\.0\.2/);
});

Deno.test("the Common Name is never used: CN=localhost with SAN other.example does not match localhost", async () => {
  const chain = chainOf(certs.bad["wrong-host"]);
  assert.equal(parseCertificate(chain[0]).subject.commonName, "localhost");
  await mismatch(chain, "localhost", /certificate is for other\.example, not localhost/);
  await verify(chain, "other.example");
});

Deno.test("a certificate with a Common Name and no subjectAltName matches nothing", async () => {
  const ca = await generateKeys("ecdsa-p256");
  const caCert = await issue({
    subject: "CN=hostname test CA",
    keys: ca,
    type: "ecdsa-p256",
    notBefore: addDays(new Date(), -1),
    notAfter: addDays(new Date(), 30),
    ca: {},
  });
  const leaf = await issue({
    subject: "CN=localhost",
    keys: await generateKeys("ecdsa-p256"),
    type: "ecdsa-p256",
    issuer: { cert: caCert, privateKey: ca.privateKey, type: "ecdsa-p256" },
    notBefore: addDays(new Date(), -1),
    notAfter: addDays(new Date(), 30),
  });
  const e = await verifyCertificateChain([new Uint8Array(leaf.rawData)], {
    anchors: [new Uint8Array(caCert.rawData)],
    hostname: "localhost",
    purpose: "serverAuth",
    now: new Date(),
    provider: nobleProvider,
  }).then(() => assert.fail("CN must not be used"), (e) => e);
  assert.equal(e.code, "hostname_mismatch");
  assert.match(e.reason, /no subjectAltName \(its Common Name is never used\)/);
});

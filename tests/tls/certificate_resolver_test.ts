/**
 * The engine's certificate hooks, in memory: a resolver whose certificates change between handshakes (a
 * handshake in flight keeps the one it chose), tls-alpn-01 (RFC 8737 §3) answered only to a hello offering
 * nothing but acme-tls/1, and the OCSP staple sent only to a client that asked (RFC 6066 §8).
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { CertificateSet } from "../../src/acme/certificate_set.ts";
import { ACME_IDENTIFIER_OID, challengeCertificate } from "../../src/acme/tls_alpn_challenge.ts";
import { parseCertificate } from "../../src/tls/pki/certificate.ts";
import { devClient, devPki, devServer, MemoryPair } from "../_support/memory_pair.ts";

Deno.test("resolver: a swap applies to the next handshake; the one in flight finishes on the certificate it chose", async () => {
  const p = await devPki();
  const set = new CertificateSet();
  set.put(p.ecdsa);
  const client = await devClient();
  const server = await devServer({ certificates: set });
  // The server reads the ClientHello and answers with the ECDSA chain...
  await server.receive(client.takeOutput());
  // ...then the certificate for the same name is replaced before the client has seen the server's flight.
  set.put(p.ed25519);
  const inFlight = new MemoryPair(client, server);
  await inFlight.handshake();
  assert.deepEqual(client.info!.peerCertificates[0], p.ecdsa.chain[0]);
  const next = new MemoryPair(await devClient(), await devServer({ certificates: set }));
  await next.handshake();
  assert.deepEqual(next.client.info!.peerCertificates[0], p.ed25519.chain[0]);
});

Deno.test("tls-alpn-01: only a hello offering just acme-tls/1 for a pending name gets the challenge certificate", async () => {
  const p = await devPki();
  const set = new CertificateSet();
  set.put(p.ecdsa);
  const keyAuthorization = "token-123.thumbprint-456";
  set.setChallenge("localhost", await challengeCertificate("localhost", keyAuthorization, nobleProvider));
  const validator = () =>
    devClient({ alpnProtocols: ["acme-tls/1"], anchors: undefined, dangerouslyDisableCertificateVerification: true });
  const pair = new MemoryPair(await validator(), await devServer({ certificates: set, alpnProtocols: ["http/1.1"] }));
  await pair.handshake();
  assert.equal(pair.server.info!.alpn, "acme-tls/1");
  const leaf = parseCertificate(pair.client.info!.peerCertificates[0]);
  const ext = leaf.extensions.find((e) => e.oid === ACME_IDENTIFIER_OID)!;
  assert.equal(ext.critical, true);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(keyAuthorization)));
  assert.deepEqual(ext.value, Uint8Array.of(0x04, 0x20, ...digest));
  assert.deepEqual(leaf.subjectAltNames?.dns, ["localhost"]);

  // An ordinary client (acme-tls/1 among others, or none) gets the real certificate.
  const browser = new MemoryPair(
    await devClient({ alpnProtocols: ["acme-tls/1", "http/1.1"] }),
    await devServer({ certificates: set, alpnProtocols: ["http/1.1"] }),
  );
  await browser.handshake();
  assert.deepEqual(browser.client.info!.peerCertificates[0], p.ecdsa.chain[0]);
  assert.equal(browser.client.info!.alpn, "http/1.1");

  // No challenge pending for the name: refused.
  set.setChallenge("localhost", null);
  const late = new MemoryPair(await validator(), await devServer({ certificates: set }));
  await assert.rejects(() => late.handshake(), /no_application_protocol|no tls-alpn-01 challenge/);
});

Deno.test("status_request: the staple rides in the leaf entry only for a client that asked", async () => {
  const p = await devPki();
  const set = new CertificateSet();
  const staple = Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x00);
  set.put({ ...p.ecdsa, ocspResponse: staple });
  const asked = new MemoryPair(
    await devClient({ statusRequest: true, certificateErrors: "record" }),
    await devServer({ certificates: set }),
  );
  await asked.handshake();
  // The bytes arrived and were judged: an OCSPResponse without responseBytes does not parse.
  const check = asked.client.ocspStatus!;
  assert.ok("error" in check && check.stapled && check.error.code === "malformed", JSON.stringify(check));
  // With verification off, nothing about the server is judged: the staple is reported unchecked.
  const blind = new MemoryPair(
    await devClient({ statusRequest: true, anchors: undefined, dangerouslyDisableCertificateVerification: true }),
    await devServer({ certificates: set }),
  );
  await blind.handshake();
  assert.deepEqual(blind.client.ocspStatus, { stapled: true, unchecked: true });
  const quiet = new MemoryPair(await devClient(), await devServer({ certificates: set }));
  await quiet.handshake();
  assert.deepEqual(quiet.client.ocspStatus, { stapled: false });
  // Without "record", the bad staple ends the handshake with bad_certificate_status_response.
  const strict = new MemoryPair(await devClient({ statusRequest: true }), await devServer({ certificates: set }));
  await assert.rejects(() => strict.handshake(), /bad_certificate_status_response/);
});

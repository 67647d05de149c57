/**
 * Claims about the key types beyond the development CA's, on chains OpenSSL made: ECDSA P-521 (a CA signing with
 * SHA-256, which no TLS 1.3 scheme names: RFC 5758 §3.2), Ed448 (RFC 8410) and RSA-PSS keys with the id-RSASSA-PSS
 * OID and SHA-256 parameters (RFC 4055, RFC 8446 §4.2.3 rsa_pss_pss_*). Each chain verifies on both providers, each
 * leaf key loads for its certificate and signs with exactly the schemes its type allows, and a P-521 key in SEC1
 * form loads too.
 */
import assert from "node:assert/strict";
import { nativeProvider } from "../../src/crypto/native.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { parseCertificate } from "../../src/tls/pki/certificate.ts";
import { loadCertifiedKey } from "../../src/io/pki_files.ts";
import { decodePem } from "../../src/tls/pki/pem.ts";
import { TrustStore } from "../../src/tls/pki/trust_store.ts";
import { verifyCertificateChain } from "../../src/tls/pki/verify_chain.ts";
import { SignatureScheme as S } from "../../src/tls/wire/constants.ts";
import { needs } from "../_support/peers.ts";
import { opensslChain, type OpensslKeyType } from "../_support/openssl_pki.ts";
import { run } from "../_support/processes.ts";

const providers = [nobleProvider, nativeProvider()];
const expected: Record<OpensslKeyType, { kind: string; schemes: number[] }> = {
  p521: { kind: "ecdsa-p521", schemes: [S.ecdsa_secp521r1_sha512] },
  ed448: { kind: "ed448", schemes: [S.ed448] },
  // The key's parameters name SHA-256: its scheme alone (RFC 8446 §4.2.3).
  "rsa-pss": { kind: "rsa-pss", schemes: [S.rsa_pss_pss_sha256] },
};

for (const type of ["p521", "ed448", "rsa-pss"] as const) {
  Deno.test({
    name: `${type}: an OpenSSL chain verifies on both providers, and its leaf key loads and signs`,
    ...needs("openssl"),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: `pki-${type}-` });
      try {
        const chain = await opensslChain(dir, type);
        const leaf = decodePem(await Deno.readTextFile(chain.leafCert)).map((b) => b.der);
        const anchors = TrustStore.fromPem(await Deno.readTextFile(chain.caCert));
        for (const provider of providers) {
          const options = { anchors, hostname: "localhost", purpose: "serverAuth" as const, now: new Date(), provider };
          const verified = await verifyCertificateChain(leaf, options);
          assert.equal(verified.path.length, 2, provider.name);
          // A flipped bit in the leaf's signature is caught.
          const tampered = leaf[0].slice();
          tampered[tampered.length - 2] ^= 0x01;
          await assert.rejects(verifyCertificateChain([tampered], options), /does not verify|signature/);

          const key = await loadCertifiedKey(
            { cert: { path: chain.leafCert }, key: { path: chain.leafKey } },
            provider,
          );
          assert.equal(key.kind, expected[type].kind);
          assert.deepEqual(key.schemes, expected[type].schemes);
          const message = new TextEncoder().encode("CertificateVerify content");
          const sig = await key.signingKey.sign(key.schemes[0], message);
          const leafSpki = parseCertificate(leaf[0]).publicKey.spki;
          for (const verifier of providers) {
            assert.equal(await verifier.verify(leafSpki, key.schemes[0], message, sig), true, verifier.name);
          }
        }
        if (type === "p521") {
          // The same key as SEC1 "EC PRIVATE KEY" (RFC 5915).
          const sec1 = `${dir}/leaf-p521-sec1.key`;
          const r = await run(["openssl", "ec", "-in", chain.leafKey, "-out", sec1]);
          assert.equal(r.code, 0, r.output);
          const key = await loadCertifiedKey({ cert: { path: chain.leafCert }, key: { path: sec1 } }, nobleProvider);
          assert.equal(key.kind, "ecdsa-p521");
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

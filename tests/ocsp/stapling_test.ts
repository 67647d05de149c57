/**
 * OCSP stapling against a real responder (`openssl ocsp` over the development CA's index): the server staples
 * only good, verified, current responses; `openssl s_client -status`, our client and the probe read the staple;
 * revoked, unknown, expired and wrongly signed responses and must-staple certificates without a staple fail
 * with their typed reasons.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeOcspFixtures, type OcspFixtures, responderArgv, type Signing } from "../../certs/ocsp.ts";
import { needs } from "../_support/peers.ts";
import { Child, run } from "../_support/processes.ts";
import { freePort } from "../_support/server_peers.ts";
import { nobleProvider } from "../../src/crypto/mod.ts";
import { CertificateSet } from "../../src/acme/certificate_set.ts";
import type { CertificateEvent } from "../../src/acme/events.ts";
import { httpFetch } from "../../src/acme/http_fetch.ts";
import { OcspStapler } from "../../src/acme/ocsp_stapler.ts";
import { connectTls } from "../../src/io/tls_connect.ts";
import { listenTls, type TlsListener } from "../../src/io/tls_listener.ts";
import { probe } from "../../src/probe.ts";
import { parseCertificate } from "../../src/tls/pki/certificate.ts";
import type { CertifiedKey } from "../../src/tls/pki/certified_key.ts";
import { loadCertifiedKey } from "../../src/io/pki_files.ts";
import { OcspError, parseOcspResponse, verifyOcspResponse } from "../../src/tls/pki/ocsp.ts";
import { encodeOcspRequest } from "../../src/tls/pki/ocsp_request.ts";
import { decodePem } from "../../src/tls/pki/pem.ts";

const opts = needs("openssl");

async function withResponder<T>(signing: Signing, fn: (f: OcspFixtures) => Promise<T>, minutes = 60): Promise<T> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "ocsp-test-" });
  const f = await makeOcspFixtures(dir, `http://127.0.0.1:${port}/`);
  const responder = new Child(responderArgv(f, port, signing, minutes));
  try {
    await responder.waitFor(/waiting for OCSP client connections/);
    return await fn(f);
  } finally {
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The leaf and the CA (the issuer travels with the chain, so the stapler finds it). */
async function load(_f: OcspFixtures, pair: { cert: string; key: string }): Promise<CertifiedKey> {
  return await loadCertifiedKey({ cert: { path: pair.cert }, key: { path: pair.key } }, nobleProvider);
}

async function fetchResponse(f: OcspFixtures, key: CertifiedKey): Promise<Uint8Array> {
  const leaf = parseCertificate(key.chain[0]);
  const issuer = parseCertificate(key.chain[1]);
  const r = await httpFetch(f.url, {
    method: "POST",
    headers: { "content-type": "application/ocsp-request" },
    body: Uint8Array.from(encodeOcspRequest(leaf, issuer)),
  });
  assert.equal(r.status, 200);
  return r.body;
}

async function stapled(key: CertifiedKey, now?: () => number) {
  const set = new CertificateSet();
  set.put(key);
  const events: CertificateEvent[] = [];
  const stapler = new OcspStapler(set, { provider: nobleProvider, now, onEvent: (e) => events.push(e) });
  await stapler.watch(key);
  stapler.stop();
  return { set, events, current: set.get("localhost")! };
}

async function serving<T>(set: CertificateSet, fn: (l: TlsListener) => Promise<T>): Promise<T> {
  const listener = await listenTls({ port: 0, hostname: "127.0.0.1", resolver: set, alpn: ["http/1.1"] });
  (async () => {
    for await (const s of listener) s.close();
  })();
  try {
    return await fn(listener);
  } finally {
    await listener.close();
  }
}

async function connectError(f: OcspFixtures, port: number, now?: () => number): Promise<unknown> {
  try {
    const c = await connectTls({ hostname: "127.0.0.1", servername: "localhost", port, ca: { path: f.ca.cert }, now });
    await c.close();
    return null;
  } catch (e) {
    return e;
  }
}

Deno.test({
  ...opts,
  name: "good: stapled after verification; openssl s_client -status, our client and the probe read it",
  async fn() {
    await withResponder("issuer", async (f) => {
      const key = await load(f, f.good);
      const { current, events } = await stapled(key);
      assert.ok(current.ocspResponse, `no staple: ${JSON.stringify(events)}`);
      assert.equal(events[0].type, "ocsp");
      const set = new CertificateSet();
      set.put(current);
      await serving(set, async (l) => {
        const port = l.addr.port;
        const s = await run([
          "openssl",
          "s_client",
          "-connect",
          `127.0.0.1:${port}`,
          "-servername",
          "localhost",
          "-status",
          "-CAfile",
          f.ca.cert,
        ]);
        assert.match(s.output, /OCSP Response Status: successful/);
        assert.match(s.output, /Cert Status: good/);
        const c = await connectTls({ hostname: "127.0.0.1", servername: "localhost", port, ca: { path: f.ca.cert } });
        assert.ok(c.info.ocsp?.stapled && "status" in c.info.ocsp);
        assert.equal(c.info.ocsp.status.status, "good");
        assert.equal(c.info.ocsp.status.signer, "issuer");
        await c.close();
        // A client that does not ask gets no staple (RFC 6066 §8). A full handshake: a resumed one has no
        // Certificate message, hence no staple to judge (the first connection's tickets are in the cache).
        const quiet = await connectTls({
          hostname: "127.0.0.1",
          servername: "localhost",
          port,
          ca: { path: f.ca.cert },
          ocsp: false,
          sessionCache: false,
        });
        assert.deepEqual(quiet.info.ocsp, { stapled: false });
        await quiet.close();
        const report = await probe(`127.0.0.1:${port}`, { servername: "localhost", ca: { path: f.ca.cert } });
        assert.ok(report.ocsp.stapled && "status" in report.ocsp);
        assert.equal(report.ocsp.status, "good");
      });
    });
  },
});

Deno.test({
  ...opts,
  name: "delegated responder (id-kp-OCSPSigning, issued by the CA): accepted",
  async fn() {
    await withResponder("delegated", async (f) => {
      const { current } = await stapled(await load(f, f.good));
      assert.ok(current.ocspResponse);
      const leaf = parseCertificate(current.chain[0]);
      const status = await verifyOcspResponse(current.ocspResponse, leaf, parseCertificate(current.chain[1]), {
        now: new Date(),
        provider: nobleProvider,
      });
      assert.equal(status.signer, "delegated");
    });
  },
});

/** A server that staples `response` whatever it says: what a client must refuse. */
async function clientRefuses(f: OcspFixtures, key: CertifiedKey, response: Uint8Array, now?: () => number) {
  const set = new CertificateSet();
  set.put({ ...key, ocspResponse: response });
  return await serving(set, (l) => connectError(f, l.addr.port, now));
}

for (
  const [what, signing, pick, code, alert] of [
    ["revoked", "issuer", (f: OcspFixtures) => f.revoked, "revoked", "certificate_revoked"],
    ["unknown", "issuer", (f: OcspFixtures) => f.unknown, "unknown", "bad_certificate_status_response"],
    ["wrong signer", "wrong", (f: OcspFixtures) => f.good, "wrong_signer", "bad_certificate_status_response"],
  ] as const
) {
  Deno.test({
    ...opts,
    name: `${what}: never stapled; a client given such a staple refuses with ${code}`,
    async fn() {
      await withResponder(signing, async (f) => {
        const key = await load(f, pick(f));
        const { current, events } = await stapled(key);
        assert.equal(current.ocspResponse, undefined);
        assert.equal(events[0].type, "ocsp_failed");
        const e = await clientRefuses(f, key, await fetchResponse(f, key));
        assert.ok(e instanceof OcspError, String(e));
        assert.equal(e.code, code);
        assert.equal(e.alertName, alert);
      });
    },
  });
}

Deno.test({
  ...opts,
  name: "expired (past nextUpdate): the stapler refuses it, and so does a client",
  async fn() {
    await withResponder("issuer", async (f) => {
      const key = await load(f, f.good);
      const later = () => Date.now() + 20 * 60_000;
      const { current, events } = await stapled(key, later);
      assert.equal(current.ocspResponse, undefined);
      assert.match((events[0] as { error: string }).error, /expired/);
      const e = await clientRefuses(f, key, await fetchResponse(f, key), later);
      assert.ok(e instanceof OcspError && e.code === "expired", String(e));
    }, 1);
  },
});

Deno.test({
  ...opts,
  name: "must-staple (RFC 7633): refused without a staple (typed reason), accepted with a good one",
  async fn() {
    await withResponder("issuer", async (f) => {
      const key = await load(f, f.mustStaple);
      const bare = new CertificateSet();
      bare.put(key);
      const e = await serving(bare, (l) => connectError(f, l.addr.port));
      assert.ok(e instanceof OcspError && e.code === "staple_required", String(e));
      const report = await serving(
        bare,
        (l) => probe(`127.0.0.1:${l.addr.port}`, { servername: "localhost", ca: { path: f.ca.cert } }),
      );
      assert.ok("error" in report.ocsp && report.ocsp.error.code === "staple_required");
      // A client that does not ask for OCSP does not enforce must-staple either.
      const optOut = await serving(bare, async (l) => {
        const c = await connectTls({
          hostname: "127.0.0.1",
          servername: "localhost",
          port: l.addr.port,
          ca: { path: f.ca.cert },
          ocsp: false,
        });
        await c.close();
        return c.info.ocsp;
      });
      assert.deepEqual(optOut, { stapled: false });
      const { set } = await stapled(key);
      assert.equal(await serving(set, (l) => connectError(f, l.addr.port)), null);
    });
  },
});

Deno.test("hostile staples: garbage, truncated and unsuccessful responses are typed errors, never crashes", async () => {
  const pemText = await Deno.readTextFile(join(new URL("../../certs/out/", import.meta.url).pathname, "ca.pem"));
  const ca = parseCertificate(decodePem(pemText)[0].der);
  const cases = [
    new Uint8Array(0),
    Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x01), // malformedRequest
    Uint8Array.of(0x30, 0x80),
    crypto.getRandomValues(new Uint8Array(300)),
  ];
  for (const der of cases) {
    await assert.rejects(
      () => verifyOcspResponse(der, ca, ca, { now: new Date(), provider: nobleProvider }),
      (e) => e instanceof OcspError && (e.code === "malformed" || e.code === "unsuccessful"),
    );
  }
  assert.throws(() => parseOcspResponse(Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x03)), /tryLater/);
});

Deno.test({
  ...opts,
  name: "responder down: the current staple stays until its nextUpdate, then it is dropped, never served stale",
  async fn() {
    const port = freePort();
    const dir = await Deno.makeTempDir({ prefix: "ocsp-down-" });
    const f = await makeOcspFixtures(dir, `http://127.0.0.1:${port}/`);
    // Responses valid for one minute; our clock runs 55 s ahead, so nextUpdate comes about 5 s from now.
    const responder = new Child(responderArgv(f, port, "issuer", 1));
    const key = await load(f, f.good);
    const set = new CertificateSet();
    set.put(key);
    const events: CertificateEvent[] = [];
    const stapler = new OcspStapler(set, {
      provider: nobleProvider,
      now: () => Date.now() + 55_000,
      initialRetry: 1000,
      maxRetry: 1000,
      onEvent: (e) => events.push(e),
    });
    try {
      await responder.waitFor(/waiting for OCSP client connections/);
      await stapler.watch(key);
      assert.ok(set.get("localhost")!.ocspResponse, JSON.stringify(events));
      await responder.stop();
      const failed = () => events.filter((e) => e.type === "ocsp_failed") as { stapling: boolean }[];
      for (const deadline = Date.now() + 20_000; !failed().some((e) => !e.stapling) && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 100));
      }
      // First the failures keep the staple (still current), then the expired staple goes.
      assert.equal(failed()[0]?.stapling, true, JSON.stringify(events));
      assert.ok(failed().some((e) => !e.stapling), JSON.stringify(events));
      assert.equal(set.get("localhost")!.ocspResponse, undefined);
    } finally {
      stapler.stop();
      await responder.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

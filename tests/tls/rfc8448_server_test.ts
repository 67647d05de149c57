/**
 * The server reproduces RFC 8448 byte for byte: §3 (simple 1-RTT) and §5 (HelloRetryRequest), with the
 * trace's randoms, ephemeral keys and signature injected. Every secret (through the key log), every traffic
 * key and every record of the server's flight must match.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { SigningKey } from "../../src/crypto/provider.ts";
import { hkdfExtract, trafficKeys } from "../../src/tls/key_schedule.ts";
import type { CookieState, RetryCookieCodec } from "../../src/tls/server/hello_retry.ts";
import type { TicketConfig } from "../../src/tls/server/server_config.ts";
import { decodeSessionState, encodeSessionState } from "../../src/tls/tickets/session_state.ts";
import type { TicketSealer } from "../../src/tls/tickets/ticket_keys.ts";
import { decodeNewSessionTicket } from "../../src/tls/wire/new_session_ticket.ts";
import { ServerConnection } from "../../src/tls/server/server_connection.ts";
import { serverConfig } from "../../src/tls/server/server_config.ts";
import { certificateVerifyContent, SERVER_CONTEXT } from "../../src/tls/wire/certificate_verify.ts";
import { SignatureScheme } from "../../src/tls/wire/constants.ts";
import { decodeCertificate } from "../../src/tls/wire/certificate.ts";
import { field, fixedKeyShare, keyLogMap, replayProvider, toHex } from "../_support/rfc8448.ts";

/** Returns the trace's (randomized) RSA-PSS signature, after checking it signs what we asked to sign. */
function traceSigner(section: number, seen: Uint8Array[]): SigningKey {
  const cv = field(section, "server", "construct a CertificateVerify", "CertificateVerify");
  return {
    kind: "rsa",
    sign(scheme, message) {
      assert.equal(scheme, SignatureScheme.rsa_pss_rsae_sha256);
      seen.push(message);
      return Promise.resolve(cv.subarray(8));
    },
  };
}

function traceCertificate(section: number) {
  const msg = field(section, "server", "construct a Certificate handshake", "Certificate");
  return decodeCertificate(msg.subarray(4)).entries.map((e) => e.certData);
}

/** The trace's signature must verify over the content our server computed (RSA-PSS, salt = 32). */
async function assertSignatureCoversOurContent(section: number, content: Uint8Array) {
  const cert = traceCertificate(section)[0];
  const x509 = await import("node:crypto");
  const key = new x509.X509Certificate(cert).publicKey;
  const cv = field(section, "server", "construct a CertificateVerify", "CertificateVerify").subarray(8);
  const ok = x509.verify("sha256", content, { key, padding: x509.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, cv);
  assert.ok(ok, "trace signature verifies over our CertificateVerify content");
}

function assertKeys(section: number, actor: string, what: string, secret: Uint8Array) {
  const keys = trafficKeys(nobleProvider.hash("SHA-256"), secret, 16);
  assert.equal(toHex(keys.key), toHex(field(section, actor, what, "key expanded")), what + " key");
  assert.equal(toHex(keys.iv), toHex(field(section, actor, what, "iv expanded")), what + " iv");
}

Deno.test("RFC 8448 §3: server flight, secrets and traffic keys match the simple 1-RTT trace", async () => {
  const shRandom = field(3, "server", "construct a ServerHello", "ServerHello").subarray(6, 38);
  const serverShare = fixedKeyShare("x25519", field(3, "server", "create an ephemeral x25519", "private key"));
  const log: string[] = [];
  const signed: Uint8Array[] = [];
  const nst = decodeNewSessionTicket(
    field(3, "server", "construct a NewSessionTicket", "NewSessionTicket").subarray(4),
  );
  // The server draws one 32-byte random per ticket: ticket_age_add, then the ticket's id and sealing nonce.
  const ageAdd = new Uint8Array(32);
  new DataView(ageAdd.buffer).setUint32(0, nst.ageAdd);
  const provider = replayProvider([shRandom, ageAdd], [serverShare]);
  const issued: Uint8Array[] = [];
  const conn = new ServerConnection(serverConfig({
    provider,
    certificates: [{
      chain: traceCertificate(3),
      signingKey: traceSigner(3, signed),
      schemes: [SignatureScheme.rsa_pss_rsae_sha256],
      names: ["server"],
    }],
    advertisedGroups: [0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104],
    cookieKey: new Uint8Array(32),
    keyLog: (l) => log.push(l),
    tickets: traceTickets({ seal: (state) => (issued.push(state), nst.ticket), open: () => null }),
  }));

  const events = await conn.receive(field(3, "client", "send handshake record", "complete record"));
  assert.deepEqual(events, []);
  const flight = conn.takeOutput();
  const sh = field(3, "server", "send handshake record", "complete record", 0);
  const rest = field(3, "server", "send handshake record", "complete record", 1);
  assert.equal(toHex(flight.subarray(0, sh.length)), toHex(sh), "ServerHello record");
  assert.equal(toHex(flight.subarray(sh.length)), toHex(rest), "encrypted flight record");
  await assertSignatureCoversOurContent(3, signed[0]);

  const secrets = keyLogMap(log);
  assert.equal(
    toHex(secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!),
    toHex(field(3, "server", 'derive secret "tls13 c hs traffic"', "expanded")),
  );
  assert.equal(
    toHex(secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET")!),
    toHex(field(3, "server", 'derive secret "tls13 s hs traffic"', "expanded")),
  );
  assert.equal(
    toHex(secrets.get("CLIENT_TRAFFIC_SECRET_0")!),
    toHex(field(3, "server", 'derive secret "tls13 c ap traffic"', "expanded")),
  );
  assert.equal(
    toHex(secrets.get("SERVER_TRAFFIC_SECRET_0")!),
    toHex(field(3, "server", 'derive secret "tls13 s ap traffic"', "expanded")),
  );
  assert.equal(
    toHex(secrets.get("EXPORTER_SECRET")!),
    toHex(field(3, "server", 'derive secret "tls13 exp master"', "expanded")),
  );
  assertKeys(3, "server", "derive write traffic keys for handshake", secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET")!);
  assertKeys(3, "server", "derive read traffic keys for handshake", secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!);
  assertKeys(3, "server", "derive write traffic keys for application", secrets.get("SERVER_TRAFFIC_SECRET_0")!);
  assertKeys(3, "client", "derive write traffic keys for application", secrets.get("CLIENT_TRAFFIC_SECRET_0")!);

  const done = await conn.receive(field(3, "client", "send handshake record", "complete record", 1));
  assert.equal(done.length, 1);
  assert.equal(done[0].type, "handshake_complete");
  const rms = (conn as unknown as { resumptionMasterSecret: Uint8Array }).resumptionMasterSecret;
  assert.equal(toHex(rms), toHex(field(3, "client", 'derive secret "tls13 res master"', "expanded")));

  // RFC 8446 §4.6.1: the ticket goes out right after the client Finished, byte for byte as in the trace.
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(3, "server", "send handshake record", "complete record", 2)),
    "NewSessionTicket",
  );
  const state = decodeSessionState(issued[0])!;
  assert.equal(
    toHex(state.psk),
    toHex(field(3, "server", 'generate resumption secret "tls13 resumption"', "expanded")),
  );

  const data = await conn.receive(field(3, "client", "send application_data record", "complete record"));
  assert.deepEqual(data, [{ type: "data", data: field(3, "client", "send application_data record", "payload") }]);
  conn.send(field(3, "server", "send application_data record", "payload"));
  assert.equal(toHex(conn.takeOutput()), toHex(field(3, "server", "send application_data record", "complete record")));
  conn.close();
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(3, "server", "send alert record", "complete record")),
    "close_notify",
  );
});

/** The §3 trace's ticket parameters: 30 s lifetime, 1024 bytes of early data, one ticket. */
function traceTickets(sealer: TicketSealer): TicketConfig {
  return {
    sealer,
    lifetime: 30,
    count: 1,
    maxEarlyDataSize: 1024,
    freshnessWindow: 10_000,
    replayStore: { claim: () => Promise.resolve(true) },
    singleUse: false,
    allowPskKe: false,
  };
}

Deno.test("RFC 8448 §4: resumed 0-RTT handshake: binder, early secrets and keys, early data and the server's flight", async () => {
  const nst = decodeNewSessionTicket(
    field(3, "server", "construct a NewSessionTicket", "NewSessionTicket").subarray(4),
  );
  const issuedAt = 1_700_000_000_000;
  // The ticket as our server would have sealed it in §3 (the trace's own ticket format is opaque to us).
  const state = encodeSessionState({
    cipherSuite: 0x1301,
    psk: field(3, "server", 'generate resumption secret "tls13 resumption"', "expanded"),
    issuedAt,
    lifetime: nst.lifetime,
    ageAdd: nst.ageAdd,
    maxEarlyData: 1024,
    alpn: null,
    serverName: "server",
    id: new Uint8Array(16),
    clientCertificates: [],
  });
  const hello = field(4, "client", "send handshake record", "payload", 0);
  // The client's obfuscated age sits just before the binders at the end of the ClientHello.
  const obfuscated = new DataView(hello.buffer, hello.byteOffset).getUint32(hello.length - 2 - 33 - 4);
  const clientAge = (obfuscated - nst.ageAdd) >>> 0;
  const sh = field(4, "server", "construct a ServerHello", "ServerHello");
  const log: string[] = [];
  const conn = new ServerConnection(serverConfig({
    provider: replayProvider([sh.subarray(6, 38)], [
      fixedKeyShare("x25519", field(4, "server", "create an ephemeral x25519", "private key")),
    ]),
    certificates: [{
      chain: traceCertificate(3),
      signingKey: traceSigner(3, []),
      schemes: [SignatureScheme.rsa_pss_rsae_sha256],
      names: ["server"],
    }],
    advertisedGroups: [0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104],
    cookieKey: new Uint8Array(32),
    now: () => issuedAt + clientAge,
    keyLog: (l) => log.push(l),
    tickets: {
      ...traceTickets({ seal: () => nst.ticket, open: (t) => (toHex(t) === toHex(nst.ticket) ? state : null) }),
      count: 0,
    },
  }));

  const events = await conn.receive(field(4, "client", "send handshake record", "complete record", 0));
  assert.equal(events[0]?.type, "early_data_accepted", JSON.stringify(conn.info));
  const flight = conn.takeOutput();
  const shRecord = field(4, "server", "send handshake record", "complete record", 0);
  assert.equal(toHex(flight.subarray(0, shRecord.length)), toHex(shRecord), "ServerHello with pre_shared_key");
  assert.equal(
    toHex(flight.subarray(shRecord.length)),
    toHex(field(4, "server", "send handshake record", "complete record", 1)),
  );
  const secrets = keyLogMap(log);
  assert.equal(
    toHex(secrets.get("CLIENT_EARLY_TRAFFIC_SECRET")!),
    toHex(field(4, "client", 'derive secret "tls13 c e traffic"', "expanded")),
  );
  assertKeys(
    4,
    "client",
    "derive write traffic keys for early application data",
    secrets.get("CLIENT_EARLY_TRAFFIC_SECRET")!,
  );
  assert.equal(
    toHex(secrets.get("SERVER_TRAFFIC_SECRET_0")!),
    toHex(field(4, "server", 'derive secret "tls13 s ap traffic"', "expanded")),
  );
  assertKeys(4, "server", "derive write traffic keys for application", secrets.get("SERVER_TRAFFIC_SECRET_0")!);

  const early = await conn.receive(field(4, "client", "send application_data record", "complete record", 0));
  assert.deepEqual(early, [{
    type: "early_data",
    data: field(4, "client", "send application_data record", "payload", 0),
  }]);
  assert.deepEqual(
    await conn.receive(field(4, "client", "send handshake record", "complete record", 1)),
    [],
    "EndOfEarlyData",
  );
  const done = await conn.receive(field(4, "client", "send handshake record", "complete record", 2));
  assert.equal(done[0]?.type, "handshake_complete");
  assert.equal(done[0].type === "handshake_complete" && done[0].info.resumed, true);
  const rms = (conn as unknown as { resumptionMasterSecret: Uint8Array }).resumptionMasterSecret;
  assert.equal(toHex(rms), toHex(field(4, "client", 'derive secret "tls13 res master"', "expanded")));
  const data = await conn.receive(field(4, "client", "send application_data record", "complete record", 1));
  assert.deepEqual(data, [{ type: "data", data: field(4, "client", "send application_data record", "payload", 1) }]);
  conn.send(field(4, "server", "send application_data record", "payload"));
  assert.equal(toHex(conn.takeOutput()), toHex(field(4, "server", "send application_data record", "complete record")));
});

Deno.test("RFC 8448 §4: a binder that does not verify is decrypt_error", async () => {
  const nst = decodeNewSessionTicket(
    field(3, "server", "construct a NewSessionTicket", "NewSessionTicket").subarray(4),
  );
  const state = encodeSessionState({
    cipherSuite: 0x1301,
    psk: new Uint8Array(32).fill(1),
    issuedAt: Date.now(),
    lifetime: 30,
    ageAdd: nst.ageAdd,
    maxEarlyData: 1024,
    alpn: null,
    serverName: "server",
    id: new Uint8Array(16),
    clientCertificates: [],
  });
  const conn = new ServerConnection(serverConfig({
    provider: nobleProvider,
    certificates: [{
      chain: traceCertificate(3),
      signingKey: traceSigner(3, []),
      schemes: [SignatureScheme.rsa_pss_rsae_sha256],
      names: ["server"],
    }],
    tickets: traceTickets({ seal: () => nst.ticket, open: () => state }),
  }));
  const events = await conn.receive(field(4, "client", "send handshake record", "complete record", 0));
  const failed = events.find((e) => e.type === "failed");
  assert.ok(failed?.type === "failed" && failed.alert.alertName === "decrypt_error", JSON.stringify(events));
});

Deno.test("RFC 8448 §3: the early, handshake and master secrets of the key schedule", () => {
  const h = nobleProvider.hash("SHA-256");
  const early = hkdfExtract(h, new Uint8Array(0), new Uint8Array(32));
  assert.equal(toHex(early), toHex(field(3, "server", 'extract secret "early"', "secret")));
  const hs = hkdfExtract(
    h,
    field(3, "server", 'extract secret "handshake"', "salt"),
    field(3, "server", 'extract secret "handshake"', "IKM"),
  );
  assert.equal(toHex(hs), toHex(field(3, "server", 'extract secret "handshake"', "secret")));
  const ms = hkdfExtract(h, field(3, "server", 'extract secret "master"', "salt"), new Uint8Array(32));
  assert.equal(toHex(ms), toHex(field(3, "server", 'extract secret "master"', "secret")));
});

Deno.test("RFC 8448 §5: HelloRetryRequest, then the flight after the second ClientHello, match the trace", async () => {
  const hrr = field(5, "server", "construct a ServerHello", "ServerHello", 0);
  const traceCookie = hrr.subarray(hrr.length - 6 - 0x72, hrr.length - 6); // the cookie precedes supported_versions
  let sealed: CookieState | undefined;
  const cookies: RetryCookieCodec = {
    seal(state) {
      sealed = state;
      return traceCookie;
    },
    open(cookie) {
      assert.equal(toHex(cookie), toHex(traceCookie));
      return sealed!;
    },
  };
  const sh = field(5, "server", "construct a ServerHello", "ServerHello", 1);
  const serverShare = fixedKeyShare("secp256r1", field(5, "server", "create an ephemeral P-256", "private key"));
  const log: string[] = [];
  const signed: Uint8Array[] = [];
  const conn = new ServerConnection(serverConfig({
    provider: replayProvider([sh.subarray(6, 38)], [serverShare]),
    certificates: [{
      chain: traceCertificate(5),
      signingKey: traceSigner(5, signed),
      schemes: [SignatureScheme.rsa_pss_rsae_sha256],
      names: [],
    }],
    groups: ["secp256r1"],
    advertisedGroups: [0x17, 0x18, 0x1d],
    retryCookies: cookies,
    keyLog: (l) => log.push(l),
  }));

  await conn.receive(field(5, "client", "send handshake record", "complete record", 0));
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(5, "server", "send handshake record", "complete record", 0)),
    "HelloRetryRequest",
  );

  await conn.receive(field(5, "client", "send handshake record", "complete record", 1));
  const flight = conn.takeOutput();
  const shRecord = field(5, "server", "send handshake record", "complete record", 1);
  assert.equal(toHex(flight.subarray(0, shRecord.length)), toHex(shRecord), "ServerHello record");
  assert.equal(
    toHex(flight.subarray(shRecord.length)),
    toHex(field(5, "server", "send handshake record", "complete record", 2)),
  );
  await assertSignatureCoversOurContent(5, signed[0]);
  const secrets = keyLogMap(log);
  assert.equal(
    toHex(secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!),
    toHex(field(5, "server", 'derive secret "tls13 c hs traffic"', "expanded")),
  );
  assert.equal(
    toHex(secrets.get("SERVER_TRAFFIC_SECRET_0")!),
    toHex(field(5, "server", 'derive secret "tls13 s ap traffic"', "expanded")),
  );

  const done = await conn.receive(field(5, "client", "send handshake record", "complete record", 2));
  assert.equal(done[0]?.type, "handshake_complete");
  assert.equal(done[0].type === "handshake_complete" && done[0].info.group, "secp256r1");
});

Deno.test("RFC 8448: CertificateVerify content layout (RFC 8446 §4.4.3)", () => {
  const c = certificateVerifyContent(SERVER_CONTEXT, new Uint8Array(32).fill(1));
  assert.equal(c.length, 64 + 33 + 1 + 32);
  assert.ok(c.subarray(0, 64).every((b) => b === 0x20));
  assert.equal(c[64 + 33], 0);
});

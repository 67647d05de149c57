/**
 * RFC 8448 §4 (resumed 0-RTT handshake) from the client side, byte for byte. The session comes from our own
 * client running the §3 trace: its NewSessionTicket becomes a ClientSession (PSK = HKDF-Expand-Label(
 * resumption_master_secret, "resumption", nonce)), which goes into a ClientSessionCache and out again for §4.
 * With §4's client random and x25519 key injected and the clock set so that the obfuscated ticket age is the
 * trace's, the ClientHello (its binder included), the 0-RTT record, EndOfEarlyData and Finished must be the
 * trace's records, and every early secret and key the trace's values.
 *
 * As in tests/tls/rfc8448_client_test.ts, the trace's certificate (no subjectAltName) is trusted through a verifier
 * that builds the path without a host name check; in §4 it is not sent again, and the session restores it.
 */
import assert from "node:assert/strict";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { ClientConnection } from "../../src/tls/client/client_connection.ts";
import {
  clientConfig,
  type ClientConfigOptions,
  type ServerCertificateVerifier,
} from "../../src/tls/client/client_config.ts";
import type { ClientSession } from "../../src/tls/client/session.ts";
import { ClientSessionCache } from "../../src/tls/client/session_cache.ts";
import { trafficKeys } from "../../src/tls/key_schedule.ts";
import { verifyCertificateChain } from "../../src/tls/pki/verify_chain.ts";
import { decodeCertificate } from "../../src/tls/wire/certificate.ts";
import { ExtensionType as X, NamedGroup, PskKeyExchangeMode } from "../../src/tls/wire/constants.ts";
import { decodeNewSessionTicket } from "../../src/tls/wire/new_session_ticket.ts";
import { field, fixedKeyShare, keyLogMap, replayProvider, toHex } from "../_support/rfc8448.ts";

const TRACE_NOW = Date.UTC(2020, 0, 1);
const traceSchemes = [
  0x0403,
  0x0503,
  0x0603,
  0x0203,
  0x0804,
  0x0805,
  0x0806,
  0x0401,
  0x0501,
  0x0601,
  0x0201,
  0x0402,
  0x0502,
  0x0602,
  0x0202,
];
const traceGroups = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  0x0100,
  0x0101,
  0x0102,
  0x0103,
  0x0104,
];

function traceCertificate(): Uint8Array {
  const msg = field(3, "server", "construct a Certificate handshake", "Certificate");
  return decodeCertificate(msg.subarray(4)).entries[0].certData;
}

const traceVerifier: ServerCertificateVerifier = {
  verify: (chain, { now }) =>
    verifyCertificateChain(chain, {
      anchors: [traceCertificate()],
      purpose: "serverAuth",
      now,
      provider: nobleProvider,
    }),
};

/** What both trace clients share: suites, schemes, groups, no compatibility mode, the trace's record_size_limit. */
function traceOptions(provider: CryptoProvider, now: () => number, log: string[]): ClientConfigOptions {
  return {
    provider,
    serverName: "server",
    cipherSuites: [0x1301, 0x1303, 0x1302],
    keyShareGroups: ["x25519"],
    advertisedGroups: traceGroups,
    signatureSchemes: traceSchemes,
    compatibilityMode: false,
    recordSizeLimit: 0x4001,
    pskModes: [PskKeyExchangeMode.psk_dhe_ke],
    verifier: traceVerifier,
    now,
    keyLog: (l) => log.push(l),
  };
}

/** Runs the §3 client through its NewSessionTicket and returns the session our client made of it. */
async function sessionFromSection3(): Promise<ClientSession> {
  const random = field(3, "client", "construct a ClientHello", "ClientHello").subarray(6, 38);
  const share = fixedKeyShare("x25519", field(3, "client", "create an ephemeral x25519", "private key"));
  const sessions: ClientSession[] = [];
  const conn = new ClientConnection(
    clientConfig({
      ...traceOptions(replayProvider([random], [share]), () => TRACE_NOW, []),
      extraExtensions: [{ type: X.renegotiation_info, data: Uint8Array.of(0) }, {
        type: X.session_ticket,
        data: new Uint8Array(0),
      }],
      extensionOrder: [
        X.server_name,
        X.renegotiation_info,
        X.supported_groups,
        X.session_ticket,
        X.key_share,
        X.supported_versions,
        X.signature_algorithms,
        X.psk_key_exchange_modes,
        X.record_size_limit,
      ],
    }),
    { onSession: (s) => sessions.push(s) },
  );
  assert.equal(toHex(conn.takeOutput()), toHex(field(3, "client", "send handshake record", "complete record", 0)));
  const sh = field(3, "server", "send handshake record", "complete record", 0);
  const flight = field(3, "server", "send handshake record", "complete record", 1);
  assert.deepEqual((await conn.receive(new Uint8Array([...sh, ...flight]))).map((e) => e.type), ["handshake_complete"]);
  const nst = await conn.receive(field(3, "server", "send handshake record", "complete record", 2));
  assert.deepEqual(nst.map((e) => e.type), ["session_ticket"]);
  assert.equal(sessions.length, 1);
  return sessions[0];
}

function assertTraceSecret(secrets: Map<string, Uint8Array>, label: string, actor: string, what: string) {
  assert.equal(toHex(secrets.get(label) ?? new Uint8Array()), toHex(field(4, actor, what, "expanded")), label);
}

function assertTraceKeys(secret: Uint8Array, actor: string, what: string) {
  const keys = trafficKeys(nobleProvider.hash("SHA-256"), secret, 16);
  assert.equal(toHex(keys.key), toHex(field(4, actor, what, "key expanded")), `${what}: key`);
  assert.equal(toHex(keys.iv), toHex(field(4, actor, what, "iv expanded")), `${what}: iv`);
}

Deno.test("RFC 8448 §3 → §4: the client's session from the §3 ticket holds the trace's PSK and ticket parameters", async () => {
  const session = await sessionFromSection3();
  const nst = decodeNewSessionTicket(
    field(3, "server", "construct a NewSessionTicket", "NewSessionTicket").subarray(4),
  );
  assert.equal(
    toHex(session.psk),
    toHex(field(3, "server", 'generate resumption secret "tls13 resumption"', "expanded")),
  );
  assert.equal(toHex(session.psk), toHex(field(4, "client", 'extract secret "early"', "IKM")), "the §4 PSK");
  assert.equal(toHex(session.ticket), toHex(nst.ticket));
  assert.equal(session.cipherSuite, 0x1301);
  assert.equal(session.lifetime, 30);
  assert.equal(session.ageAdd, nst.ageAdd);
  assert.equal(session.maxEarlyData, 1024);
  assert.equal(session.serverName, "server");
  assert.equal(session.alpn, null);
  assert.equal(session.receivedAt, TRACE_NOW);
  assert.equal(session.certificateStatus.verified, true);
});

Deno.test("RFC 8448 §4: ClientHello with binder, 0-RTT record, EndOfEarlyData, Finished and every early secret match", async () => {
  const cache = new ClientSessionCache();
  cache.store("server:443", await sessionFromSection3());

  // The trace's obfuscated_ticket_age sits just before the binders list; our clock makes the same age.
  const hello = field(4, "client", "send handshake record", "payload", 0);
  const obfuscated = new DataView(hello.buffer, hello.byteOffset).getUint32(hello.length - 2 - 33 - 4);
  const nst = decodeNewSessionTicket(
    field(3, "server", "construct a NewSessionTicket", "NewSessionTicket").subarray(4),
  );
  const now = TRACE_NOW + ((obfuscated - nst.ageAdd) >>> 0);
  const session = cache.take("server:443", now, { earlyData: true });
  assert.ok(session, "the cached session is usable at the §4 time");
  assert.equal(cache.take("server:443", now), null, "single-use: the ticket left the cache");

  const random = field(4, "client", "construct a ClientHello", "ClientHello").subarray(6, 38);
  const share = fixedKeyShare("x25519", field(4, "client", "create an ephemeral x25519", "private key"));
  const log: string[] = [];
  const earlyData = field(4, "client", "send application_data record", "payload", 0);
  const conn = new ClientConnection(
    clientConfig({
      ...traceOptions(replayProvider([random], [share]), () => now, log),
      extraExtensions: [{ type: X.renegotiation_info, data: Uint8Array.of(0) }],
      extensionOrder: [
        X.server_name,
        X.renegotiation_info,
        X.supported_groups,
        X.key_share,
        X.early_data,
        X.supported_versions,
        X.signature_algorithms,
        X.psk_key_exchange_modes,
        X.record_size_limit,
      ],
      padding: true,
    }),
    { session, earlyData },
  );

  const helloRecord = field(4, "client", "send handshake record", "complete record", 0);
  const first = conn.takeOutput();
  assert.equal(
    toHex(first.subarray(0, helloRecord.length)),
    toHex(helloRecord),
    "ClientHello record (binder included)",
  );
  const binder = field(4, "client", "calculate PSK binder", "finished");
  assert.equal(toHex(first.subarray(helloRecord.length - 32, helloRecord.length)), toHex(binder), "PSK binder");
  assert.equal(
    toHex(first.subarray(helloRecord.length)),
    toHex(field(4, "client", "send application_data record", "complete record", 0)),
    "0-RTT record",
  );

  let secrets = keyLogMap(log);
  assertTraceSecret(secrets, "CLIENT_EARLY_TRAFFIC_SECRET", "client", 'derive secret "tls13 c e traffic"');
  assertTraceSecret(secrets, "EARLY_EXPORTER_SECRET", "client", 'derive secret "tls13 e exp master"');
  assertTraceKeys(
    secrets.get("CLIENT_EARLY_TRAFFIC_SECRET")!,
    "client",
    "derive write traffic keys for early application data",
  );
  assert.equal(conn.earlyDataStatus, "offered");

  const sh = field(4, "server", "send handshake record", "complete record", 0);
  const flight = field(4, "server", "send handshake record", "complete record", 1);
  assert.deepEqual((await conn.receive(new Uint8Array([...sh, ...flight]))).map((e) => e.type), ["handshake_complete"]);
  const eoed = field(4, "client", "send handshake record", "complete record", 1);
  const finished = field(4, "client", "send handshake record", "complete record", 2);
  const second = conn.takeOutput();
  assert.equal(toHex(second.subarray(0, eoed.length)), toHex(eoed), "EndOfEarlyData under the early key");
  assert.equal(toHex(second.subarray(eoed.length)), toHex(finished), "Finished under the handshake key");

  secrets = keyLogMap(log);
  assertTraceSecret(secrets, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "server", 'derive secret "tls13 c hs traffic"');
  assertTraceSecret(secrets, "SERVER_HANDSHAKE_TRAFFIC_SECRET", "server", 'derive secret "tls13 s hs traffic"');
  assertTraceSecret(secrets, "CLIENT_TRAFFIC_SECRET_0", "server", 'derive secret "tls13 c ap traffic"');
  assertTraceSecret(secrets, "SERVER_TRAFFIC_SECRET_0", "server", 'derive secret "tls13 s ap traffic"');
  assertTraceSecret(secrets, "EXPORTER_SECRET", "server", 'derive secret "tls13 exp master"');
  assertTraceKeys(
    secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET")!,
    "client",
    "derive write traffic keys for handshake data",
  );
  assertTraceKeys(
    secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET")!,
    "server",
    "derive write traffic keys for handshake data",
  );
  assertTraceKeys(secrets.get("CLIENT_TRAFFIC_SECRET_0")!, "client", "derive write traffic keys for application data");
  assertTraceKeys(secrets.get("SERVER_TRAFFIC_SECRET_0")!, "server", "derive write traffic keys for application data");
  const rms = (conn as unknown as { resumptionMasterSecret: Uint8Array }).resumptionMasterSecret;
  assert.equal(toHex(rms), toHex(field(4, "client", 'derive secret "tls13 res master"', "expanded")));

  const info = conn.info!;
  assert.equal(info.resumed, true);
  assert.equal(info.earlyDataAccepted, true);
  assert.equal(info.earlyDataRejectedReason, null);
  assert.equal(info.peerSignatureScheme, null, "no CertificateVerify in a resumed handshake");
  assert.equal(
    toHex(info.peerCertificates[0]),
    toHex(traceCertificate()),
    "the chain of the connection that got the ticket",
  );
  assert.equal(conn.certificateStatus?.verified, true);
  assert.equal(conn.earlyDataStatus, "accepted");

  const serverData = await conn.receive(field(4, "server", "send application_data record", "complete record"));
  assert.deepEqual(serverData, [{ type: "data", data: field(4, "server", "send application_data record", "payload") }]);
  conn.send(field(4, "client", "send application_data record", "payload", 1));
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(4, "client", "send application_data record", "complete record", 1)),
  );
  conn.close();
  assert.equal(
    toHex(conn.takeOutput()),
    toHex(field(4, "client", "send alert record", "complete record")),
    "close_notify",
  );
  assert.deepEqual(await conn.receive(field(4, "server", "send alert record", "complete record")), [{
    type: "peer_closed",
  }]);
});

Deno.test("RFC 8448 §4: a ServerHello without pre_shared_key declines the ticket and with it the 0-RTT data", async () => {
  // The §3 ServerHello (no pre_shared_key) answers a ClientHello that offered the §3 ticket with 0-RTT data: a
  // full handshake. (Resending the data after Finished is shown in memory, tests/tls/client_resumption_test.ts.)
  const session = await sessionFromSection3();
  const random = field(3, "client", "construct a ClientHello", "ClientHello").subarray(6, 38);
  const share = fixedKeyShare("x25519", field(3, "client", "create an ephemeral x25519", "private key"));
  const earlyData = new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n");
  const conn = new ClientConnection(
    clientConfig(traceOptions(replayProvider([random], [share]), () => TRACE_NOW + 1000, [])),
    {
      session,
      earlyData,
    },
  );
  const first = conn.takeOutput();
  assert.equal(first[0], 0x16);
  assert.equal(first[5 + ((first[3] << 8) | first[4])], 0x17, "a 0-RTT record follows the ClientHello");
  assert.equal(conn.earlyDataStatus, "offered");
  const sh = field(3, "server", "send handshake record", "complete record", 0);
  await conn.receive(sh);
  assert.equal(conn.earlyDataStatus, "rejected");
});

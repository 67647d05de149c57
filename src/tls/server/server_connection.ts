/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2, §4), sans-IO.
 *
 * Reads top to bottom as the server's flight: ClientHello → (HelloRetryRequest → ClientHello) →
 * ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished → client Finished.
 * Each state is an `Expect*` value carrying only what that step needs; a message that fits no state is
 * unexpected_message.
 */
import { TlsAlert } from "../alert.ts";
import { constantTimeEqual } from "../../crypto/ct.ts";
import type { TranscriptHash } from "../../crypto/provider.ts";
import { TlsConnection } from "../connection.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import { EarlySecret, finishedVerifyData, type HandshakeSecret, type MasterSecret } from "../key_schedule.ts";
import { MAX_PLAINTEXT } from "../record/framing.ts";
import { type ClientHello, decodeClientHello } from "../wire/client_hello.ts";
import { ExtensionType, groupName, HandshakeType, ProtocolVersion } from "../wire/constants.ts";
import { certificateVerifyContent, encodeCertificateVerify, SERVER_CONTEXT } from "../wire/certificate_verify.ts";
import { encodeCertificate } from "../wire/certificate.ts";
import { encodeEncryptedExtensions } from "../wire/encrypted_extensions.ts";
import type { Extension } from "../wire/extensions/extension_list.ts";
import { encodeProtocolNames } from "../wire/extensions/alpn.ts";
import type { KeyShareEntry } from "../wire/extensions/key_share.ts";
import { encodeServerKeyShare } from "../wire/extensions/key_share.ts";
import { encodeRecordSizeLimit } from "../wire/extensions/record_size_limit.ts";
import { encodeSupportedGroups } from "../wire/extensions/supported_groups.ts";
import { encodeSelectedVersion } from "../wire/extensions/supported_versions.ts";
import { decodeFinished } from "../wire/finished.ts";
import { encodeHandshake, type HandshakeMessage } from "../wire/handshake.ts";
import { encodeServerHello } from "../wire/server_hello.ts";
import { type CertificateChoice, chooseAlpn, chooseCertificate, chooseCipherSuite, chooseGroup, groupCode } from "./negotiate.ts";
import {
  type CookieState,
  encodeHelloRetryRequest,
  helloDigest,
  messageHash,
} from "./hello_retry.ts";
import type { ServerConfig } from "./server_config.ts";
import { keyLogLine } from "../key_log.ts";

type ServerState =
  | { name: "ExpectClientHello"; retried: boolean }
  | { name: "ExpectFinished"; clientHandshakeSecret: Uint8Array; clientTrafficSecret: Uint8Array; master: MasterSecret }
  | { name: "Connected" };

/** RFC 8446 §4.2.10: how much rejected early data we skip before calling it an attack. */
const EARLY_DATA_SKIP_LIMIT = 64 * 1024;

/** The handshake secret and both handshake traffic secrets (RFC 8446 §7.1). */
interface HandshakeKeys {
  secret: HandshakeSecret;
  client: Uint8Array;
  server: Uint8Array;
}

export class ServerConnection extends TlsConnection {
  private state: ServerState = { name: "ExpectClientHello", retried: false };
  private transcript: TranscriptHash | null = null;
  private clientRandom: Uint8Array = new Uint8Array(0);
  private clientHelloSeen = false;
  private negotiated: Partial<ConnectionInfo> = {};
  /** Kept for session tickets (RFC 8446 §4.6.1), which a later step derives from it. */
  protected resumptionMasterSecret: Uint8Array | null = null;

  constructor(readonly config: ServerConfig) {
    super(config.provider, config.maxHandshakeMessageSize);
  }

  get info(): ConnectionInfo | null {
    return this.isHandshakeComplete ? this.negotiated as ConnectionInfo : null;
  }

  protected async onHandshakeMessage(msg: HandshakeMessage): Promise<void> {
    const s = this.state;
    if (s.name === "ExpectClientHello" && msg.type === HandshakeType.client_hello) {
      return await this.handleClientHello(msg, s.retried);
    }
    if (s.name === "ExpectFinished" && msg.type === HandshakeType.finished) return this.handleClientFinished(msg, s);
    throw new TlsAlert("unexpected_message", `unexpected handshake message ${msg.type} in ${s.name}`);
  }

  protected onPostHandshakeMessage(msg: HandshakeMessage): Promise<void> {
    // RFC 8446 §4.6: a client sends no post-handshake messages other than KeyUpdate unless we asked.
    return Promise.reject(new TlsAlert("unexpected_message", `post-handshake message ${msg.type} from client`));
  }

  /** RFC 8446 §5: a compatibility change_cipher_spec may arrive after the first ClientHello, until Finished. */
  protected acceptsChangeCipherSpec(): boolean {
    return this.state.name !== "Connected" && this.clientHelloSeen;
  }

  // ----- ClientHello -----

  private async handleClientHello(msg: HandshakeMessage, retried: boolean): Promise<void> {
    this.clientHelloSeen = true;
    const hello = decodeClientHello(msg.body);
    checkVersions(hello);
    checkRequiredExtensions(hello);
    const retry = this.openRetryCookie(hello, retried);
    const suite = chooseCipherSuite(hello, this.config);
    if (retry && retry.cipherSuite !== suite.code) {
      throw new TlsAlert("illegal_parameter", "second ClientHello changed the cipher suite choice");
    }
    const group = chooseGroup(hello, this.config);
    const cert = chooseCertificate(hello, this.config);
    const alpn = chooseAlpn(hello, this.config);
    this.setSuite(suite);
    if (!group.share) return this.sendHelloRetryRequest(msg, hello, retried || retry !== null, groupCode[group.group]);
    if (retry) checkRetriedHello(hello, retry, this.config.provider);
    this.clientRandom = hello.random;
    this.transcript = this.hash!.transcript();
    if (retry) {
      this.transcript.update(messageHash(retry.firstHelloHash));
      this.transcript.update(encodeHelloRetryRequest(hello.legacySessionId, suite.code, retry.group, hello.cookie!));
    }
    this.transcript.update(msg.raw);
    if (hello.earlyData) this.earlyDataSkipBudget = EARLY_DATA_SKIP_LIMIT;
    this.negotiated = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      group: group.group,
      alpn,
      serverName: hello.serverName ?? null,
      resumed: false,
      earlyDataAccepted: false,
      peerSignatureScheme: null,
      peerCertificates: [],
    };
    const handshake = this.sendServerHello(hello, group.share, retried || retry !== null);
    this.sendEncryptedExtensions(hello, alpn);
    await this.sendCertificateAndVerify(cert);
    this.sendServerFinished(handshake);
  }

  /** RFC 8446 §4.1.4, §4.2.2: ask for a share of `group`, with our state in the cookie. */
  private sendHelloRetryRequest(msg: HandshakeMessage, hello: ClientHello, retried: boolean, group: number): void {
    // RFC 8446 §4.1.4: a client that still has no acceptable share after a HelloRetryRequest is broken.
    if (retried) throw new TlsAlert("illegal_parameter", "second ClientHello without the requested key share");
    const cookie = this.config.retryCookies.seal({
      issuedAt: Math.floor(this.config.now() / 1000),
      cipherSuite: this.suite!.code,
      group,
      firstHelloHash: this.hash!.hash(msg.raw),
      helloDigest: helloDigest(this.config.provider, hello),
    });
    this.sendHandshake(encodeHelloRetryRequest(hello.legacySessionId, this.suite!.code, group, cookie));
    if (hello.legacySessionId.length > 0) this.sendChangeCipherSpec();
    // RFC 8446 §4.2.10: early data sent with the first ClientHello is skipped after a HelloRetryRequest.
    if (hello.earlyData) this.earlyDataSkipBudget = EARLY_DATA_SKIP_LIMIT;
    this.state = { name: "ExpectClientHello", retried: true };
  }

  /** A cookie is only valid in a second ClientHello, and a second ClientHello must carry ours. */
  private openRetryCookie(hello: ClientHello, retried: boolean): CookieState | null {
    if (!hello.cookie) {
      if (retried) throw new TlsAlert("missing_extension", "second ClientHello without the cookie");
      return null;
    }
    return this.config.retryCookies.open(hello.cookie, Math.floor(this.config.now() / 1000));
  }

  // ----- the server's flight -----

  private sendServerHello(hello: ClientHello, share: KeyShareEntry, afterRetry: boolean): HandshakeKeys {
    const ours = this.provider.keyExchange(this.negotiated.group as never).generate();
    const shared = ours.agree(share.keyExchange);
    const sh = encodeHandshake(
      HandshakeType.server_hello,
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLS1_2,
        random: this.provider.randomBytes(32),
        legacySessionIdEcho: hello.legacySessionId,
        cipherSuite: this.suite!.code,
        legacyCompressionMethod: 0,
        extensions: [
          { type: ExtensionType.key_share, data: encodeServerKeyShare({ group: share.group, keyExchange: ours.publicKey }) },
          { type: ExtensionType.supported_versions, data: encodeSelectedVersion(ProtocolVersion.TLS1_3) },
        ],
      }),
    );
    this.sendHandshake(sh);
    this.transcript!.update(sh);
    // RFC 8446 Appendix D.4: in compatibility mode the dummy change_cipher_spec follows our first flight message.
    if (!afterRetry && hello.legacySessionId.length > 0) this.sendChangeCipherSpec();
    const hs = EarlySecret.fromPsk(this.hash!).intoHandshake(shared);
    const secrets = hs.trafficSecrets(this.transcript!.digest());
    this.logKey("CLIENT_HANDSHAKE_TRAFFIC_SECRET", secrets.client);
    this.logKey("SERVER_HANDSHAKE_TRAFFIC_SECRET", secrets.server);
    this.setWriteSecret(secrets.server);
    this.setReadSecret(secrets.client);
    return { secret: hs, client: secrets.client, server: secrets.server };
  }

  private sendEncryptedExtensions(hello: ClientHello, alpn: string | null): void {
    const extensions: Extension[] = [];
    // RFC 8446 §4.2.7: a server may tell the client which groups it prefers, for later connections.
    if (this.config.advertisedGroups.length > 0) {
      extensions.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(this.config.advertisedGroups) });
    }
    if (hello.recordSizeLimit !== undefined) {
      // RFC 8449 §4: the peer's limit counts the content type byte; ours is the protocol maximum.
      this.maxSendFragment = Math.min(MAX_PLAINTEXT, hello.recordSizeLimit - 1);
      extensions.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(MAX_PLAINTEXT + 1) });
    }
    // RFC 6066 §3: an empty server_name acknowledges that SNI was used.
    if (hello.serverName) extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    if (alpn !== null) {
      extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeProtocolNames([alpn]) });
    }
    this.sendAndHash(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(extensions));
  }

  /** RFC 8446 §4.4.2, §4.4.3 */
  private async sendCertificateAndVerify(choice: CertificateChoice): Promise<void> {
    this.sendAndHash(HandshakeType.certificate, encodeCertificate(new Uint8Array(0), choice.certificate.chain));
    const content = certificateVerifyContent(SERVER_CONTEXT, this.transcript!.digest());
    const signature = await choice.certificate.signingKey.sign(choice.scheme, content);
    this.sendAndHash(HandshakeType.certificate_verify, encodeCertificateVerify({ scheme: choice.scheme, signature }));
  }

  /** RFC 8446 §4.4.4; application secrets come from the transcript through the server Finished. */
  private sendServerFinished(handshake: HandshakeKeys): void {
    const verifyData = finishedVerifyData(this.hash!, handshake.server, this.transcript!.digest());
    this.sendAndHash(HandshakeType.finished, verifyData);
    const master = handshake.secret.intoMaster();
    const app = master.applicationSecrets(this.transcript!.digest());
    this.logKey("CLIENT_TRAFFIC_SECRET_0", app.client);
    this.logKey("SERVER_TRAFFIC_SECRET_0", app.server);
    this.logKey("EXPORTER_SECRET", app.exporter);
    this.setWriteSecret(app.server);
    this.state = {
      name: "ExpectFinished",
      clientHandshakeSecret: handshake.client,
      clientTrafficSecret: app.client,
      master,
    };
  }

  // ----- client Finished -----

  /** RFC 8446 §4.4.4: the client's Finished, compared in constant time; decrypt_error when it differs. */
  private handleClientFinished(msg: HandshakeMessage, s: Extract<ServerState, { name: "ExpectFinished" }>): void {
    const received = decodeFinished(msg.body, this.hash!.outputLength);
    const expected = finishedVerifyData(this.hash!, s.clientHandshakeSecret, this.transcript!.digest());
    if (!constantTimeEqual(received, expected)) throw new TlsAlert("decrypt_error", "client Finished does not verify");
    this.transcript!.update(msg.raw);
    this.setReadSecret(s.clientTrafficSecret);
    this.resumptionMasterSecret = s.master.resumptionMasterSecret(this.transcript!.digest());
    this.earlyDataSkipBudget = 0;
    this.state = { name: "Connected" };
    this.established();
    this.emit({ type: "handshake_complete", info: this.info! });
  }

  // ----- helpers -----

  private sendAndHash(type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.sendHandshake(raw);
    this.transcript!.update(raw);
  }

  private logKey(label: string, secret: Uint8Array): void {
    if (this.config.keyLog) this.config.keyLog(keyLogLine(label, this.clientRandom, secret));
  }
}

/** RFC 8446 §4.1.2, §4.2.1: TLS 1.3 only; anything else is protocol_version. */
function checkVersions(hello: ClientHello): void {
  if (!hello.supportedVersions?.includes(ProtocolVersion.TLS1_3)) {
    throw new TlsAlert("protocol_version", "client does not offer TLS 1.3");
  }
  if (hello.legacyVersion !== ProtocolVersion.TLS1_2) {
    throw new TlsAlert("protocol_version", `legacy_version 0x${hello.legacyVersion.toString(16)} is not 0x0303`);
  }
  // RFC 8446 §4.1.2: "If a TLS 1.3 ClientHello is received with any other value in this field, the server
  // MUST abort the handshake with an illegal_parameter alert."
  if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
    throw new TlsAlert("illegal_parameter", "legacy_compression_methods is not [null]");
  }
}

/** RFC 8446 §9.2: a certificate-authenticated (EC)DHE handshake needs these; missing ones are missing_extension. */
function checkRequiredExtensions(hello: ClientHello): void {
  if (!hello.signatureAlgorithms) throw new TlsAlert("missing_extension", "no signature_algorithms");
  if (!hello.supportedGroups) throw new TlsAlert("missing_extension", "no supported_groups");
  if (!hello.keyShares) throw new TlsAlert("missing_extension", "no key_share");
}

/** RFC 8446 §4.1.2, §4.2.8: the second ClientHello repeats the first, with one share for the requested group. */
function checkRetriedHello(hello: ClientHello, retry: CookieState, provider: ServerConfig["provider"]): void {
  if (!constantTimeEqual(helloDigest(provider, hello), retry.helloDigest)) {
    throw new TlsAlert("illegal_parameter", "second ClientHello does not match the first");
  }
  if (hello.keyShares!.length !== 1 || hello.keyShares![0].group !== retry.group) {
    throw new TlsAlert("illegal_parameter", `second ClientHello must carry exactly one ${groupName(retry.group)} share`);
  }
  if (hello.earlyData) throw new TlsAlert("illegal_parameter", "early_data after a HelloRetryRequest");
}

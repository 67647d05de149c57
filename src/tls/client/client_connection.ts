/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, §4), sans-IO.
 *
 * Reads top to bottom as the client's flight: ClientHello [+ 0-RTT data] → (HelloRetryRequest → ClientHello) →
 * ServerHello, EncryptedExtensions, [CertificateRequest, Certificate, CertificateVerify], Finished →
 * [EndOfEarlyData], [Certificate, [CertificateVerify]], Finished. A resumed handshake (the server accepted our
 * ticket as PSK) has no certificate messages from the server. Each state is an `Expect*` value carrying only
 * what that step needs; a message that fits no state is unexpected_message, from one place (`onHandshakeMessage`).
 *
 * The ClientHello (and any 0-RTT data) is queued by the constructor: `takeOutput()` right after `new` gives the
 * first flight. Tickets the server sends later become `session_ticket` events and, through `onSession`,
 * sessions to resume with (session.ts); post-handshake CertificateRequests are answered when we have a
 * certificate (RFC 8446 §4.6.2).
 */
import { TlsAlert } from "../alert.ts";
import { constantTimeEqual } from "../../crypto/ct.ts";
import type { KeyShare } from "../../crypto/provider.ts";
import { TlsConnection } from "../connection.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import { EarlySecret, exportKeyingMaterial, finishedVerifyData, type HandshakeSecret } from "../key_schedule.ts";
import type { Certificate } from "../pki/certificate.ts";
import { MAX_PLAINTEXT } from "../record/framing.ts";
import type { CertificateRequest } from "../wire/certificate_request.ts";
import { ExtensionType as X, HandshakeType, ProtocolVersion, schemeName } from "../wire/constants.ts";
import { decodeCertificateVerify } from "../wire/certificate_verify.ts";
import { decodeEncryptedExtensions } from "../wire/encrypted_extensions.ts";
import { decodeFinished } from "../wire/finished.ts";
import { encodeHandshake, type HandshakeMessage } from "../wire/handshake.ts";
import { decodeNewSessionTicket } from "../wire/new_session_ticket.ts";
import { decodeServerHello, isHelloRetryRequest, type ServerHello } from "../wire/server_hello.ts";
import { answerCertificateRequest, readPostHandshakeRequest } from "./client_auth.ts";
import { readCertificateRequest } from "./certificate_request.ts";
import { type ClientConfig, groupCodes, sniName } from "./client_config.ts";
import { buildClientHello, type BuiltHello } from "./client_hello.ts";
import { checkEarlyDataAccepted, EarlyData, earlyDataLimit, type EarlyDataStatus } from "./early_data.ts";
import { readEncryptedExtensions } from "./encrypted_extensions.ts";
import { readHelloRetryRequest, type RetryRequest, retryTranscriptPrefix } from "./hello_retry.ts";
import { bindHello, offerSession, pskAccepted, pskIdentity, type PskOffer } from "./psk_offer.ts";
import { type CertificateStatus, checkCertificateVerify, parseLeaf, readServerCertificate } from "./server_auth.ts";
import { checkServerHelloFields, serverKeyShare } from "./server_hello.ts";
import { type ClientSession, sessionFromTicket } from "./session.ts";

/** Per connection: a session to resume, data to send in 0-RTT, and where new sessions go. */
export interface ClientConnectionOptions {
  /** A cached session (session_cache.ts) to offer as PSK; ignored if it cannot be used on this connection. */
  session?: ClientSession | null;
  /**
   * Application data to send as early as possible: as 0-RTT when `session` allows it (up to its
   * max_early_data_size), otherwise (or for what does not fit, or when the server rejects it) right after our
   * Finished. It is delivered once either way; 0-RTT data can be replayed, so only send what is safe to repeat.
   */
  earlyData?: Uint8Array;
  /** Receives a resumable session for each NewSessionTicket (RFC 8446 §4.6.1). */
  onSession?: (session: ClientSession) => void;
}

/** The handshake secret and both handshake traffic secrets (RFC 8446 §7.1). */
interface HandshakeKeys {
  secret: HandshakeSecret;
  client: Uint8Array;
  server: Uint8Array;
}

/** The server's CertificateRequest, or null when it did not ask for a certificate. */
type Request = CertificateRequest | null;

type ClientState =
  | {
    name: "ExpectServerHello";
    hello: BuiltHello;
    shares: readonly KeyShare[];
    retry: RetryRequest | null;
    prefix: Uint8Array[];
  }
  | { name: "ExpectEncryptedExtensions"; keys: HandshakeKeys; resumed: boolean }
  | { name: "ExpectCertificateOrRequest"; keys: HandshakeKeys }
  | { name: "ExpectCertificate"; keys: HandshakeKeys; request: Request }
  | { name: "ExpectCertificateVerify"; keys: HandshakeKeys; request: Request; leaf: Certificate }
  | { name: "ExpectFinished"; keys: HandshakeKeys; request: Request }
  | { name: "Connected" };

type In<N extends ClientState["name"]> = Extract<ClientState, { name: N }>;

export class ClientConnection extends TlsConnection {
  private state: ClientState;
  private readonly legacySessionId: Uint8Array;
  /** Extension types of the ClientHello the server answered. */
  private sent: ReadonlySet<number> = new Set();
  private retried = false;
  private sentChangeCipherSpec = false;
  private negotiated: Partial<ConnectionInfo> = {};
  private status: CertificateStatus | null = null;
  private exporterSecret: Uint8Array | null = null;
  /** The ticket we offer, until the server declines it (or a HelloRetryRequest makes it unusable). */
  private psk: PskOffer | null;
  private readonly early: EarlyData | null;
  private readonly onSession: ((session: ClientSession) => void) | null;
  /** Our current sending traffic secret: the Base Key of a post-handshake Finished (RFC 8446 §4.4). */
  private writeSecret: Uint8Array | null = null;
  private certificateScheme: number | null = null;
  /** Kept for session tickets (RFC 8446 §4.6.1), whose PSKs derive from it. */
  protected resumptionMasterSecret: Uint8Array | null = null;

  constructor(readonly config: ClientConfig, options: ClientConnectionOptions = {}) {
    super(config.provider, config.maxHandshakeMessageSize);
    this.clientRandom = config.provider.randomBytes(32);
    // RFC 8446 Appendix D.4: in compatibility mode, a non-empty legacy_session_id makes us look like a TLS 1.2
    // resumption to middleboxes.
    this.legacySessionId = config.compatibilityMode ? config.provider.randomBytes(32) : new Uint8Array(0);
    this.onSession = options.onSession ?? null;
    this.psk = options.session ? offerSession(config, options.session, config.now()) : null;
    this.early = options.earlyData
      ? new EarlyData(options.earlyData, earlyDataLimit(this.psk, config.alpnProtocols))
      : null;
    const shares = config.keyShareGroups.map((g) => config.provider.keyExchange(g).generate());
    const hello = this.sendClientHello(shares, []);
    this.state = { name: "ExpectServerHello", hello, shares, retry: null, prefix: [] };
    if (this.early?.status === "offered") this.sendEarlyData(hello);
  }

  get info(): ConnectionInfo | null {
    return this.isHandshakeComplete ? this.negotiated as ConnectionInfo : null;
  }

  /** What became of the server's chain (for a resumed connection: on the connection that got the ticket). */
  get certificateStatus(): CertificateStatus | null {
    return this.status;
  }

  /** True when the server answered our first ClientHello with a HelloRetryRequest. */
  get helloRetried(): boolean {
    return this.retried;
  }

  /** What became of the data given as `earlyData`: sent as 0-RTT and accepted or rejected, or not offered. */
  get earlyDataStatus(): EarlyDataStatus | null {
    return this.early?.status ?? null;
  }

  /** The scheme of our last CertificateVerify (handshake or post-handshake), or null if we sent none. */
  get clientCertificateScheme(): string | null {
    return this.certificateScheme === null ? null : schemeName(this.certificateScheme);
  }

  /** TLS-Exporter (RFC 8446 §7.5), once the handshake is complete. */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array {
    if (!this.exporterSecret) throw new TlsAlert("internal_error", "exporter used before the handshake completed");
    return exportKeyingMaterial(this.hash!, this.exporterSecret, label, context, length);
  }

  protected async onHandshakeMessage(msg: HandshakeMessage): Promise<void> {
    const s = this.state;
    const t = msg.type;
    if (s.name === "ExpectServerHello" && t === HandshakeType.server_hello) return this.handleServerHello(msg, s);
    if (s.name === "ExpectEncryptedExtensions" && t === HandshakeType.encrypted_extensions) {
      return this.handleEncryptedExtensions(msg, s);
    }
    if (s.name === "ExpectCertificateOrRequest" && t === HandshakeType.certificate_request) {
      return this.handleCertificateRequest(msg, s);
    }
    if (
      (s.name === "ExpectCertificateOrRequest" || s.name === "ExpectCertificate") && t === HandshakeType.certificate
    ) {
      return await this.handleCertificate(msg, s.keys, s.name === "ExpectCertificate" ? s.request : null);
    }
    if (s.name === "ExpectCertificateVerify" && t === HandshakeType.certificate_verify) {
      return await this.handleCertificateVerify(msg, s);
    }
    if (s.name === "ExpectFinished" && t === HandshakeType.finished) return await this.handleServerFinished(msg, s);
    throw new TlsAlert("unexpected_message", `unexpected handshake message ${msg.type} in ${s.name}`);
  }

  protected async onPostHandshakeMessage(msg: HandshakeMessage): Promise<void> {
    if (msg.type === HandshakeType.new_session_ticket) return this.handleNewSessionTicket(msg);
    if (msg.type === HandshakeType.certificate_request) return await this.answerPostHandshakeRequest(msg);
    throw new TlsAlert("unexpected_message", `post-handshake message ${msg.type} from the server`);
  }

  /** RFC 8446 §5: a compatibility change_cipher_spec may arrive any time after our ClientHello until Finished. */
  protected acceptsChangeCipherSpec(): boolean {
    return this.state.name !== "Connected";
  }

  /** RFC 8446 §5.1: legacy_record_version 0x0301 for the initial ClientHello, as most clients send it. */
  protected override plaintextVersion(): number {
    return this.retried ? ProtocolVersion.TLS1_2 : ProtocolVersion.TLS1_0;
  }

  protected override setWriteSecret(secret: Uint8Array): void {
    super.setWriteSecret(secret);
    this.writeSecret = secret;
  }

  // ----- ClientHello, 0-RTT, and the server's answer -----

  /** `prefix`: the transcript before this ClientHello (message_hash and HelloRetryRequest), for the PSK binder. */
  private sendClientHello(shares: readonly KeyShare[], prefix: readonly Uint8Array[], cookie?: Uint8Array): BuiltHello {
    const hello = buildClientHello(this.config, {
      random: this.clientRandom,
      legacySessionId: this.legacySessionId,
      shares,
      cookie,
      psk: this.psk ? pskIdentity(this.psk, this.config.now()) : undefined,
      earlyData: this.early?.status === "offered",
    });
    if (this.psk) bindHello(this.psk, hello.raw, prefix);
    this.sent = hello.sent;
    this.sendHandshake(hello.raw);
    this.flushHandshake();
    return hello;
  }

  /**
   * RFC 8446 §2.3, §4.2.10: 0-RTT data right after the ClientHello, under client_early_traffic_secret, which
   * the ticket's suite and the ClientHello alone determine (§7.1).
   */
  private sendEarlyData(hello: BuiltHello): void {
    const psk = this.psk!;
    const helloHash = psk.hash.hash(hello.raw);
    const secret = psk.early.clientEarlyTrafficSecret(helloHash);
    this.log("CLIENT_EARLY_TRAFFIC_SECRET", secret);
    this.log("EARLY_EXPORTER_SECRET", psk.early.earlyExporterMasterSecret(helloHash));
    // RFC 8446 Appendix D.4: "If offering early data, the record is placed immediately after the first ClientHello."
    this.sendCompatibilityChangeCipherSpec();
    this.setSuite(psk.suite);
    this.setWriteSecret(secret);
    this.canSendBeforeComplete = true;
    this.send(this.early!.zeroRtt);
    this.canSendBeforeComplete = false;
  }

  private async handleServerHello(msg: HandshakeMessage, s: In<"ExpectServerHello">): Promise<void> {
    const sh = decodeServerHello(msg.body);
    if (isHelloRetryRequest(sh)) {
      // RFC 8446 §4.1.4: "If a client receives a second HelloRetryRequest in the same connection (i.e., where
      // the ClientHello was itself in response to a HelloRetryRequest), it MUST abort the handshake with an
      // "unexpected_message" alert."
      if (s.retry) throw new TlsAlert("unexpected_message", "a second HelloRetryRequest");
      return this.handleHelloRetryRequest(msg, sh, s);
    }
    const offer = { legacySessionId: this.legacySessionId, cipherSuites: this.config.cipherSuites, sent: s.hello.sent };
    const suite = checkServerHelloFields(sh, offer, "ServerHello");
    // RFC 8446 §4.1.4: the cipher suite of the HelloRetryRequest must be the one of the ServerHello.
    if (s.retry && s.retry.suite.code !== suite.code) {
      throw new TlsAlert("illegal_parameter", "the ServerHello changed the cipher suite of the HelloRetryRequest");
    }
    const resumed = pskAccepted(sh, this.psk, suite);
    if (!resumed) this.early?.reject("the server did not resume our ticket");
    const share = serverKeyShare(sh, s.shares.map((k) => groupCodes[k.group]));
    const mine = s.shares.find((k) => groupCodes[k.group] === share.group)!;
    const shared = await mine.decapsulate(share.keyExchange);
    this.setSuite(suite);
    this.transcript = this.hash!.transcript();
    for (const m of [...s.prefix, s.hello.raw, msg.raw]) this.transcript.update(m);
    this.negotiated = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      group: mine.group,
      alpn: null,
      serverName: sniName(this.config.serverName),
      resumed,
      earlyDataAccepted: false,
      earlyDataRejectedReason: null,
      peerSignatureScheme: null,
      peerCertificates: [],
    };
    // RFC 8446 §2.2: a resumed server does not authenticate again; what we verified when we got the ticket holds.
    if (resumed) this.restoreServerIdentity(this.psk!.session);
    const early = resumed ? this.psk!.early : EarlySecret.fromPsk(this.hash!);
    this.state = { name: "ExpectEncryptedExtensions", keys: this.enterHandshakeKeys(early, shared), resumed };
  }

  private restoreServerIdentity(session: ClientSession): void {
    this.negotiated.peerCertificates = [...session.peerCertificates];
    this.status = session.certificateStatus;
  }

  /** RFC 8446 §7.1: handshake traffic secrets over ClientHello...ServerHello; the server writes next. */
  private enterHandshakeKeys(early: EarlySecret, shared: Uint8Array): HandshakeKeys {
    const secret = early.intoHandshake(shared);
    const { client, server } = secret.trafficSecrets(this.transcript!.digest());
    this.log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client);
    this.log("SERVER_HANDSHAKE_TRAFFIC_SECRET", server);
    this.setReadSecret(server);
    // RFC 8446 §4.2.10: while the server may still accept our 0-RTT data we keep the early key (EndOfEarlyData
    // goes under it); EncryptedExtensions says which.
    if (this.early?.status !== "offered") this.useHandshakeWriteKey(client);
    return { secret, client, server };
  }

  private useHandshakeWriteKey(client: Uint8Array): void {
    // RFC 8446 Appendix D.4: the dummy change_cipher_spec goes before our first encrypted record.
    this.sendCompatibilityChangeCipherSpec();
    this.setWriteSecret(client);
  }

  /** RFC 8446 §4.1.4: answer a HelloRetryRequest with the same ClientHello, changed only as it asked. */
  private handleHelloRetryRequest(msg: HandshakeMessage, hrr: ServerHello, s: In<"ExpectServerHello">): void {
    const offer = { legacySessionId: this.legacySessionId, cipherSuites: this.config.cipherSuites, sent: s.hello.sent };
    const suite = checkServerHelloFields(hrr, offer, "HelloRetryRequest");
    const retry = readHelloRetryRequest(hrr, suite, {
      groups: this.config.groups,
      advertised: this.config.advertisedGroups,
      shared: s.shares.map((k) => k.group),
    });
    const prefix = retryTranscriptPrefix(this.config.provider.hash(suite.hash), s.hello.raw, msg.raw);
    const shares = retry.group ? [this.config.provider.keyExchange(retry.group).generate()] : s.shares;
    this.retried = true;
    // RFC 8446 §4.1.2: the second ClientHello drops early_data ("Removing the "early_data" extension if one
    // was present. Early data is not permitted after a HelloRetryRequest."), and keeps the PSK only if its
    // hash is the suite's ("optionally removing any PSKs which are incompatible with the server's indicated
    // cipher suite"); the 0-RTT records already sent are skipped by the server.
    if (this.early?.status === "offered") {
      this.early.reject("HelloRetryRequest");
      this.clearWriteSecret();
    }
    if (this.psk && this.psk.suite.hash !== suite.hash) this.psk = null;
    // RFC 8446 Appendix D.4: "either before its second ClientHello or before its encrypted handshake flight".
    this.sendCompatibilityChangeCipherSpec();
    const hello = this.sendClientHello(shares, prefix, retry.cookie ?? undefined);
    this.state = { name: "ExpectServerHello", hello, shares, retry, prefix };
  }

  private sendCompatibilityChangeCipherSpec(): void {
    if (!this.config.compatibilityMode || this.sentChangeCipherSpec) return;
    this.sentChangeCipherSpec = true;
    this.sendChangeCipherSpec();
  }

  // ----- the server's encrypted flight -----

  private handleEncryptedExtensions(msg: HandshakeMessage, s: In<"ExpectEncryptedExtensions">): void {
    const ext = readEncryptedExtensions(decodeEncryptedExtensions(msg.body), this.sent, this.config.alpnProtocols);
    // RFC 8449 §4: the peer's limit counts the inner content type byte.
    if (ext.recordSizeLimit !== null) this.maxSendFragment = Math.min(MAX_PLAINTEXT, ext.recordSizeLimit - 1);
    this.negotiated.alpn = ext.alpn;
    if (ext.earlyData) checkEarlyDataAccepted(this.early, this.psk, s.resumed, this.suite!, ext.alpn);
    else if (this.early?.status === "offered") {
      this.early.reject("the server did not accept early data");
      this.useHandshakeWriteKey(s.keys.client);
    }
    this.negotiated.earlyDataAccepted = this.early?.status === "accepted";
    this.negotiated.earlyDataRejectedReason = this.early?.reason ?? null;
    this.transcript!.update(msg.raw);
    // RFC 8446 §4.3.2: "Servers which are authenticating with a PSK MUST NOT send the CertificateRequest message
    // in the main handshake"; nor do they send Certificate (§2.2).
    this.state = s.resumed
      ? { name: "ExpectFinished", keys: s.keys, request: null }
      : { name: "ExpectCertificateOrRequest", keys: s.keys };
  }

  /** RFC 8446 §4.3.2: the request is answered after the server's Finished (client_auth.ts). */
  private handleCertificateRequest(msg: HandshakeMessage, s: In<"ExpectCertificateOrRequest">): void {
    const request = readCertificateRequest(msg.body);
    this.transcript!.update(msg.raw);
    this.state = { name: "ExpectCertificate", keys: s.keys, request };
  }

  private async handleCertificate(msg: HandshakeMessage, keys: HandshakeKeys, request: Request): Promise<void> {
    const chain = readServerCertificate(msg.body);
    const leaf = parseLeaf(chain);
    this.transcript!.update(msg.raw);
    this.negotiated.peerCertificates = chain;
    await this.judgeChain(chain);
    this.state = { name: "ExpectCertificateVerify", keys, request, leaf };
  }

  /** RFC 8446 §4.4.2.4: a chain that does not verify ends the handshake with the error's alert. */
  private async judgeChain(chain: Uint8Array[]): Promise<void> {
    const verifier = this.config.verifier;
    if (!verifier) {
      this.status = { verified: false, disabled: true };
      return;
    }
    try {
      const path = await verifier.verify(chain, {
        serverName: this.config.serverName,
        now: new Date(this.config.now()),
      });
      this.status = { verified: true, path };
    } catch (e) {
      if (this.config.certificateErrors !== "record" || !(e instanceof TlsAlert)) throw e;
      this.status = { verified: false, error: e };
    }
  }

  private async handleCertificateVerify(msg: HandshakeMessage, s: In<"ExpectCertificateVerify">): Promise<void> {
    const cv = decodeCertificateVerify(msg.body);
    await checkCertificateVerify(
      this.config.provider,
      s.leaf,
      cv,
      this.config.signatureSchemes,
      this.transcript!.digest(),
    );
    this.transcript!.update(msg.raw);
    this.negotiated.peerSignatureScheme = schemeName(cv.scheme);
    this.state = { name: "ExpectFinished", keys: s.keys, request: s.request };
  }

  /** RFC 8446 §4.4.4: the server's Finished, compared in constant time; decrypt_error when it differs. */
  private async handleServerFinished(msg: HandshakeMessage, s: In<"ExpectFinished">): Promise<void> {
    const received = decodeFinished(msg.body, this.hash!.outputLength);
    const expected = finishedVerifyData(this.hash!, s.keys.server, this.transcript!.digest());
    if (!constantTimeEqual(received, expected)) throw new TlsAlert("decrypt_error", "server Finished does not verify");
    this.transcript!.update(msg.raw);
    const master = s.keys.secret.intoMaster();
    const app = master.applicationSecrets(this.transcript!.digest());
    this.log("CLIENT_TRAFFIC_SECRET_0", app.client);
    this.log("SERVER_TRAFFIC_SECRET_0", app.server);
    this.log("EXPORTER_SECRET", app.exporter);
    this.setReadSecret(app.server);
    await this.sendClientFlight(s);
    this.setWriteSecret(app.client);
    this.resumptionMasterSecret = master.resumptionMasterSecret(this.transcript!.digest());
    this.exporterSecret = app.exporter;
    this.state = { name: "Connected" };
    this.established();
    this.emit({ type: "handshake_complete", info: this.info! });
    // What 0-RTT did not deliver goes out now, under the application keys.
    if (this.early && this.early.afterHandshake.length > 0) this.send(this.early.afterHandshake);
  }

  // ----- our second flight -----

  /**
   * RFC 8446 §4.5: EndOfEarlyData under the early key if the server took our 0-RTT data; then, if asked,
   * our Certificate (and CertificateVerify, RFC 8446 §4.4.2, §4.4.3) under the handshake key; then Finished.
   */
  private async sendClientFlight(s: In<"ExpectFinished">): Promise<void> {
    if (this.early?.status === "accepted") {
      this.sendAndHash(HandshakeType.end_of_early_data, new Uint8Array(0));
      this.useHandshakeWriteKey(s.keys.client);
    }
    if (s.request !== null) {
      const answer = await answerCertificateRequest(this.config.certificate, s.request, this.transcript!);
      for (const m of answer.messages) this.sendHandshake(m);
      this.certificateScheme = answer.scheme;
    }
    const verifyData = finishedVerifyData(this.hash!, s.keys.client, this.transcript!.digest());
    this.sendAndHash(HandshakeType.finished, verifyData);
  }

  // ----- after the handshake -----

  /** RFC 8446 §4.6.1: each ticket is announced as an event and, with `onSession`, kept as a session. */
  private handleNewSessionTicket(msg: HandshakeMessage): void {
    const ticket = decodeNewSessionTicket(msg.body);
    this.emit({ type: "session_ticket", ticket });
    if (!this.onSession) return;
    const session = sessionFromTicket(ticket, {
      hash: this.hash!,
      cipherSuite: this.suite!.code,
      resumptionMasterSecret: this.resumptionMasterSecret!,
      receivedAt: this.config.now(),
      alpn: this.negotiated.alpn ?? null,
      serverName: sniName(this.config.serverName),
      peerCertificates: this.negotiated.peerCertificates ?? [],
      certificateStatus: this.status!,
    });
    if (session) this.onSession(session);
  }

  /**
   * RFC 8446 §4.6.2: Certificate (with the request's context), CertificateVerify, then Finished keyed by our
   * current client_application_traffic_secret_N, all over the handshake transcript (through our Finished)
   * plus the CertificateRequest (§4.4). "A client that receives a CertificateRequest message without having
   * sent the "post_handshake_auth" extension MUST send an "unexpected_message" fatal alert."
   */
  private async answerPostHandshakeRequest(msg: HandshakeMessage): Promise<void> {
    if (!this.sent.has(X.post_handshake_auth)) {
      throw new TlsAlert(
        "unexpected_message",
        "post-handshake CertificateRequest, but we did not offer post_handshake_auth",
      );
    }
    const request = readPostHandshakeRequest(msg.body);
    const transcript = this.transcript!.clone();
    transcript.update(msg.raw);
    const answer = await answerCertificateRequest(this.config.certificate, request, transcript);
    for (const m of answer.messages) this.sendHandshake(m);
    this.sendHandshake(
      encodeHandshake(HandshakeType.finished, finishedVerifyData(this.hash!, this.writeSecret!, transcript.digest())),
    );
    this.flushHandshake();
    if (answer.scheme !== null) this.certificateScheme = answer.scheme;
  }

  private log(label: string, secret: Uint8Array): void {
    this.logKey(this.config.keyLog, label, secret);
  }
}

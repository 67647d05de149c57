/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, §4), sans-IO.
 *
 * Reads top to bottom as the client's flight: ClientHello [+ 0-RTT data] → (HelloRetryRequest → ClientHello) →
 * ServerHello, EncryptedExtensions, [CertificateRequest, Certificate, CertificateVerify], Finished →
 * [EndOfEarlyData], [Certificate, [CertificateVerify]], Finished. A resumed handshake (the server accepted our
 * ticket as PSK) has no certificate messages from the server. Each state is an `Expect*` value carrying what
 * the rest of the handshake needs (suite, transcript, secrets); a message that fits no state is
 * unexpected_message (handshake.ts `expectMessage`).
 *
 * The ClientHello (and any 0-RTT data) is queued by the constructor: `takeOutput()` right after `new` gives the
 * first flight. Tickets the server sends later become `session_ticket` events and, through `onSession`,
 * sessions to resume with (session.ts); post-handshake CertificateRequests are answered when we have a
 * certificate (RFC 8446 §4.6.2).
 */
import type { KeyShare, TranscriptHash } from "../../crypto/provider.ts";
import { type Suite, suiteOf } from "../cipher_suite.ts";
import { TlsConnection } from "../connection.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import { alertFor, failure, isRefusal } from "../failures.ts";
import {
  assertNever,
  checkFinished,
  expectMessage,
  finishedMessage,
  type HandshakeContext,
  type HandshakeTraffic,
} from "../handshake.ts";
import { type KeyLogger, keyLogger } from "../key_log.ts";
import { EarlySecret, exportKeyingMaterial } from "../key_schedule.ts";
import type { Certificate } from "../pki/certificate.ts";
import { MAX_PLAINTEXT } from "../record/framing.ts";
import { TlsUsageError } from "../usage_error.ts";
import type { CertificateRequest } from "../wire/certificate_request.ts";
import { decodeCertificateVerify } from "../wire/certificate_verify.ts";
import { ExtensionType as X, handshakeName, HandshakeType, ProtocolVersion, schemeName } from "../wire/constants.ts";
import { decodeEncryptedExtensions } from "../wire/encrypted_extensions.ts";
import type { HandshakeMessage } from "../wire/handshake.ts";
import { decodeNewSessionTicket } from "../wire/new_session_ticket.ts";
import { decodeServerHello, isHelloRetryRequest, type ServerHello } from "../wire/server_hello.ts";
import { readCertificateRequest } from "./certificate_request.ts";
import { answerCertificateRequest, readPostHandshakeRequest } from "./client_auth.ts";
import { type ClientConfig, groupCodes, sniName } from "./client_config.ts";
import { buildClientHello, type BuiltHello } from "./client_hello.ts";
import { checkEarlyDataAccepted, EarlyData, earlyDataLimit, type EarlyDataStatus } from "./early_data.ts";
import { readEncryptedExtensions } from "./encrypted_extensions.ts";
import { readHelloRetryRequest, type RetryRequest, retryTranscriptPrefix } from "./hello_retry.ts";
import { bindHello, offerSession, pskAccepted, pskIdentity, type PskOffer } from "./psk_offer.ts";
import { type CertificateStatus, checkCertificateVerify, parseLeaf, readServerCertificate } from "./server_auth.ts";
import { checkStaple, type OcspCheck } from "./ocsp_staple.ts";
import { OcspError } from "../pki/ocsp.ts";
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

/** What the rest of the handshake works with once the ServerHello is in. */
interface ClientHandshake extends HandshakeContext {
  keys: HandshakeTraffic;
  info: ConnectionInfo;
  /** Extension types of the ClientHello the server answered. */
  sent: ReadonlySet<number>;
  /** The ticket we offered, if the ServerHello did not make it unusable. */
  psk: PskOffer | null;
  resumed: boolean;
}

/** What an established connection keeps: tickets, the exporter, post-handshake authentication. */
interface ClientTraffic {
  suite: Suite;
  /** Through our Finished: where a post-handshake CertificateRequest's transcript starts (RFC 8446 §4.4). */
  transcript: TranscriptHash;
  info: ConnectionInfo;
  resumptionMasterSecret: Uint8Array;
  exporterSecret: Uint8Array;
  sent: ReadonlySet<number>;
}

/** The server's CertificateRequest, or null when it did not ask for a certificate. */
type Request = CertificateRequest | null;

type ClientState =
  | {
    name: "ExpectServerHello";
    hello: BuiltHello;
    shares: readonly KeyShare[];
    retry: RetryRequest | null;
    /** The transcript before this ClientHello: message_hash and HelloRetryRequest after a retry. */
    prefix: Uint8Array[];
    psk: PskOffer | null;
  }
  | { name: "ExpectEncryptedExtensions"; hs: ClientHandshake }
  | { name: "ExpectCertificateOrRequest"; hs: ClientHandshake }
  | { name: "ExpectCertificate"; hs: ClientHandshake; request: Request }
  | { name: "ExpectCertificateVerify"; hs: ClientHandshake; request: Request; leaf: Certificate }
  | { name: "ExpectFinished"; hs: ClientHandshake; request: Request }
  | { name: "Established"; traffic: ClientTraffic };

type In<N extends ClientState["name"]> = Extract<ClientState, { name: N }>;

const EMPTY = new Uint8Array(0);

/**
 * The client side of the sans-IO engine: its handshake from ClientHello to Finished, resumption and early data,
 * and its answers after the handshake (tickets, KeyUpdate, post-handshake authentication).
 */
export class ClientConnection extends TlsConnection {
  private state: ClientState;
  private readonly clientRandom: Uint8Array;
  private readonly log: KeyLogger;
  private readonly legacySessionId: Uint8Array;
  private readonly early: EarlyData | null;
  private readonly onSession: ((session: ClientSession) => void) | null;
  private status: CertificateStatus | null = null;
  private ocsp: OcspCheck | null = null;
  private retried = false;
  private certificateScheme: number | null = null;

  /** Builds the ClientHello at once (`takeOutput()` has it), offering a cached session when `options` has one. */
  constructor(readonly config: ClientConfig, options: ClientConnectionOptions = {}) {
    super("client", config.provider, config.maxHandshakeMessageSize);
    this.clientRandom = config.provider.randomBytes(32);
    this.log = keyLogger(config.keyLog, this.clientRandom);
    // RFC 8446 Appendix D.4: in compatibility mode, a non-empty legacy_session_id makes us look like a TLS 1.2
    // resumption to middleboxes.
    this.legacySessionId = config.compatibilityMode ? config.provider.randomBytes(32) : EMPTY;
    this.onSession = options.onSession ?? null;
    const psk = options.session ? offerSession(config, options.session, config.now()) : null;
    this.early = options.earlyData ? new EarlyData(options.earlyData, earlyDataLimit(psk, config.alpnProtocols)) : null;
    const shares = config.keyShareGroups.map((g) => config.provider.keyExchange(g).generate());
    // RFC 8446 §5.1: legacy_record_version 0x0301 for the initial ClientHello, as most clients send it.
    this.records.plaintextVersion = ProtocolVersion.TLS1_0;
    const hello = this.sendClientHello(shares, [], psk);
    this.state = { name: "ExpectServerHello", hello, shares, retry: null, prefix: [], psk };
    if (psk && this.early?.status === "offered") this.sendEarlyData(hello, psk, this.early.zeroRtt);
  }

  /** What was negotiated, once the handshake completed; null before. */
  get info(): ConnectionInfo | null {
    return this.isHandshakeComplete && this.state.name === "Established" ? this.state.traffic.info : null;
  }

  /** What became of the server's OCSP staple; null on a resumed connection (no certificate was sent). */
  get ocspStatus(): OcspCheck | null {
    return this.ocsp;
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
    const traffic = this.traffic;
    if (!traffic) throw new TlsUsageError("handshake_incomplete", "exporter used before the handshake completed");
    return exportKeyingMaterial(traffic.suite.hash, traffic.exporterSecret, label, context, length);
  }

  /** Dispatches a handshake message to the step its state expects (RFC 8446 §2 order). */
  protected onHandshakeMessage(msg: HandshakeMessage): void | Promise<void> {
    const s = this.state;
    switch (s.name) {
      case "ExpectServerHello":
        return this.handleServerHello(expectMessage(msg, HandshakeType.server_hello, s.name), s);
      case "ExpectEncryptedExtensions":
        return this.handleEncryptedExtensions(expectMessage(msg, HandshakeType.encrypted_extensions, s.name), s);
      case "ExpectCertificateOrRequest":
        if (msg.type === HandshakeType.certificate_request) return this.handleCertificateRequest(msg, s);
        return this.handleCertificate(expectMessage(msg, HandshakeType.certificate, s.name), s.hs, null);
      case "ExpectCertificate":
        return this.handleCertificate(expectMessage(msg, HandshakeType.certificate, s.name), s.hs, s.request);
      case "ExpectCertificateVerify":
        return this.handleCertificateVerify(expectMessage(msg, HandshakeType.certificate_verify, s.name), s);
      case "ExpectFinished":
        return this.handleServerFinished(expectMessage(msg, HandshakeType.finished, s.name), s);
      case "Established":
        throw failure("message_unexpected", `${handshakeName(msg.type)} after the handshake`);
      default:
        return assertNever(s);
    }
  }

  /** RFC 8446 §5: a compatibility change_cipher_spec may arrive any time after our ClientHello until Finished. */
  protected acceptsChangeCipherSpec(): boolean {
    return this.state.name !== "Established";
  }

  // ----- ClientHello, 0-RTT, and the server's answer -----

  /** `prefix`: the transcript before this ClientHello (message_hash and HelloRetryRequest), for the PSK binder. */
  private sendClientHello(
    shares: readonly KeyShare[],
    prefix: readonly Uint8Array[],
    psk: PskOffer | null,
    cookie?: Uint8Array,
  ): BuiltHello {
    const hello = buildClientHello(this.config, {
      random: this.clientRandom,
      legacySessionId: this.legacySessionId,
      shares,
      cookie,
      psk: psk ? pskIdentity(psk, this.config.now()) : undefined,
      earlyData: this.early?.status === "offered",
    });
    if (psk) bindHello(psk, hello.raw, prefix);
    this.records.queueHandshake(hello.raw);
    this.records.flushHandshake();
    return hello;
  }

  /**
   * RFC 8446 §2.3, §4.2.10: 0-RTT data right after the ClientHello, under client_early_traffic_secret, which
   * the ticket's suite and the ClientHello alone determine (§7.1).
   */
  private sendEarlyData(hello: BuiltHello, psk: PskOffer, data: Uint8Array): void {
    const helloHash = psk.hash.hash(hello.raw);
    const secret = psk.early.clientEarlyTrafficSecret(helloHash);
    this.log("CLIENT_EARLY_TRAFFIC_SECRET", secret);
    this.log("EARLY_EXPORTER_SECRET", psk.early.earlyExporterMasterSecret(helloHash));
    // RFC 8446 Appendix D.4: "If offering early data, the record is placed immediately after the first ClientHello."
    this.sendCompatibilityChangeCipherSpec();
    this.records.setWriteKeys(suiteOf(this.provider, psk.suite), secret);
    this.records.writeApplicationData(data);
  }

  /** RFC 8446 §4.1.3, §4.1.4: a ServerHello or a HelloRetryRequest; the former keys the handshake. */
  private async handleServerHello(msg: HandshakeMessage, s: In<"ExpectServerHello">): Promise<void> {
    const sh = decodeServerHello(msg.body);
    if (isHelloRetryRequest(sh)) {
      // RFC 8446 §4.1.4: "If a client receives a second HelloRetryRequest in the same connection (i.e., where
      // the ClientHello was itself in response to a HelloRetryRequest), it MUST abort the handshake with an
      // "unexpected_message" alert."
      if (s.retry) throw failure("hello_retry_repeated");
      return this.handleHelloRetryRequest(msg, sh, s);
    }
    const offer = { legacySessionId: this.legacySessionId, cipherSuites: this.config.cipherSuites, sent: s.hello.sent };
    const params = checkServerHelloFields(sh, offer, "ServerHello");
    // RFC 8446 §4.1.4: the cipher suite of the HelloRetryRequest must be the one of the ServerHello.
    if (s.retry && s.retry.suite.code !== params.code) throw failure("hello_retry_suite_changed");
    const resumedWith = pskAccepted(sh, s.psk, params) ? s.psk : null;
    const resumed = resumedWith !== null;
    if (!resumed) this.early?.reject("the server did not resume our ticket");
    const share = serverKeyShare(sh, s.shares.map((k) => groupCodes[k.group]));
    const mine = s.shares.find((k) => groupCodes[k.group] === share.group)!;
    const shared = await mine.decapsulate(share.keyExchange);
    const suite = suiteOf(this.provider, params);
    const transcript = suite.hash.transcript();
    for (const m of [...s.prefix, s.hello.raw, msg.raw]) transcript.update(m);
    const info = this.startInfo(params.name, mine.group, resumed);
    // RFC 8446 §2.2: a resumed server does not authenticate again; what we verified when we got the ticket holds.
    if (resumedWith) {
      info.peerCertificates = [...resumedWith.session.peerCertificates];
      this.status = resumedWith.session.certificateStatus;
    }
    const ctx = { suite, transcript, log: this.log };
    const keys = this.enterHandshakeTraffic(ctx, resumedWith?.early ?? EarlySecret.fromPsk(suite.hash), shared);
    // RFC 8446 §4.2.10: while the server may still accept our 0-RTT data we keep the early key (EndOfEarlyData
    // goes under it); EncryptedExtensions says which.
    if (this.early?.status !== "offered") this.useHandshakeWriteKey(suite, keys.client);
    const hs: ClientHandshake = { ...ctx, keys, info, sent: s.hello.sent, psk: s.psk, resumed };
    this.state = { name: "ExpectEncryptedExtensions", hs };
  }

  /** The ConnectionInfo known after ServerHello; ALPN and early data fill in later. */
  private startInfo(cipherSuite: string, group: string, resumed: boolean): ConnectionInfo {
    return {
      version: "TLSv1.3",
      cipherSuite,
      group,
      alpn: null,
      serverName: sniName(this.config.serverName),
      resumed,
      earlyDataAccepted: false,
      earlyDataRejectedReason: null,
      peerSignatureScheme: null,
      peerCertificates: [],
    };
  }

  /** Switches our writes to the client handshake traffic key (§7.3), after the compatibility CCS if any. */
  private useHandshakeWriteKey(suite: Suite, client: Uint8Array): void {
    // RFC 8446 Appendix D.4: the dummy change_cipher_spec goes before our first encrypted record.
    this.sendCompatibilityChangeCipherSpec();
    this.keyClientDirection(suite, client);
  }

  /** RFC 8446 §4.1.4: answer a HelloRetryRequest with the same ClientHello, changed only as it asked. */
  private handleHelloRetryRequest(msg: HandshakeMessage, hrr: ServerHello, s: In<"ExpectServerHello">): void {
    const offer = { legacySessionId: this.legacySessionId, cipherSuites: this.config.cipherSuites, sent: s.hello.sent };
    const params = checkServerHelloFields(hrr, offer, "HelloRetryRequest");
    const retry = readHelloRetryRequest(hrr, params, {
      groups: this.config.groups,
      advertised: this.config.advertisedGroups,
      shared: s.shares.map((k) => k.group),
    });
    const prefix = retryTranscriptPrefix(this.provider.hash(params.hash), s.hello.raw, msg.raw);
    const shares = retry.group ? [this.provider.keyExchange(retry.group).generate()] : s.shares;
    this.retried = true;
    // RFC 8446 §4.1.2: the second ClientHello drops early_data ("Removing the "early_data" extension if one
    // was present. Early data is not permitted after a HelloRetryRequest."), and keeps the PSK only if its
    // hash is the suite's ("optionally removing any PSKs which are incompatible with the server's indicated
    // cipher suite"); the 0-RTT records already sent are skipped by the server.
    if (this.early?.status === "offered") {
      this.early.reject("HelloRetryRequest");
      this.records.clearWriteKeys();
    }
    const psk = s.psk && s.psk.suite.hash === params.hash ? s.psk : null;
    // RFC 8446 Appendix D.4: "either before its second ClientHello or before its encrypted handshake flight".
    this.sendCompatibilityChangeCipherSpec();
    this.records.plaintextVersion = ProtocolVersion.TLS1_2;
    const hello = this.sendClientHello(shares, prefix, psk, retry.cookie ?? undefined);
    this.state = { name: "ExpectServerHello", hello, shares, retry, prefix, psk };
  }

  /** RFC 8446 Appendix D.4: one dummy change_cipher_spec in compatibility mode. */
  private sendCompatibilityChangeCipherSpec(): void {
    if (this.config.compatibilityMode) this.records.writeChangeCipherSpec();
  }

  // ----- the server's encrypted flight -----

  /** RFC 8446 §4.3.1: what the server agreed to (ALPN, early data); only extensions we offered may appear. */
  private handleEncryptedExtensions(msg: HandshakeMessage, { hs }: In<"ExpectEncryptedExtensions">): void {
    const ext = readEncryptedExtensions(decodeEncryptedExtensions(msg.body), hs.sent, this.config.alpnProtocols);
    // RFC 8449 §4: the peer's limit counts the inner content type byte.
    if (ext.recordSizeLimit !== null) this.records.maxSendFragment = Math.min(MAX_PLAINTEXT, ext.recordSizeLimit - 1);
    hs.info.alpn = ext.alpn;
    if (ext.earlyData) checkEarlyDataAccepted(this.early, hs.psk, hs.resumed, hs.suite.params, ext.alpn);
    else if (this.early?.status === "offered") {
      this.early.reject("the server did not accept early data");
      this.useHandshakeWriteKey(hs.suite, hs.keys.client);
    }
    hs.info.earlyDataAccepted = this.early?.status === "accepted";
    hs.info.earlyDataRejectedReason = this.early?.reason ?? null;
    hs.transcript.update(msg.raw);
    // RFC 8446 §4.3.2: "Servers which are authenticating with a PSK MUST NOT send the CertificateRequest message
    // in the main handshake"; nor do they send Certificate (§2.2).
    this.state = hs.resumed
      ? { name: "ExpectFinished", hs, request: null }
      : { name: "ExpectCertificateOrRequest", hs };
  }

  /** RFC 8446 §4.3.2: the request is answered after the server's Finished (client_auth.ts). */
  private handleCertificateRequest(msg: HandshakeMessage, { hs }: In<"ExpectCertificateOrRequest">): void {
    const request = readCertificateRequest(msg.body);
    hs.transcript.update(msg.raw);
    this.state = { name: "ExpectCertificate", hs, request };
  }

  /** RFC 8446 §4.4.2: the server's chain, verified (and its OCSP staple checked) before CertificateVerify. */
  private async handleCertificate(msg: HandshakeMessage, hs: ClientHandshake, request: Request): Promise<void> {
    const { chain, staple } = readServerCertificate(msg.body, hs.sent);
    const leaf = parseLeaf(chain);
    hs.transcript.update(msg.raw);
    hs.info.peerCertificates = chain;
    await this.judgeChain(chain);
    await this.judgeStaple(chain, staple, hs.sent);
    this.state = { name: "ExpectCertificateVerify", hs, request, leaf };
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
      if (this.config.certificateErrors !== "record" || !isRefusal(e)) throw e;
      this.status = { verified: false, error: alertFor(e) };
    }
  }

  /** RFC 6066 §8, RFC 7633: a bad staple, or none for a must-staple certificate, fails as a chain would. */
  private async judgeStaple(chain: Uint8Array[], staple: Uint8Array | null, sent: ReadonlySet<number>): Promise<void> {
    const context = {
      chain,
      chainStatus: this.status!,
      now: new Date(this.config.now()),
      provider: this.provider,
      requested: sent.has(X.status_request),
    };
    try {
      this.ocsp = await checkStaple(staple, context);
    } catch (e) {
      if (this.config.certificateErrors !== "record" || !(e instanceof OcspError)) throw e;
      this.ocsp = { stapled: staple !== null, error: e };
    }
  }

  /** RFC 8446 §4.4.3: the server proves it holds the certified key over the transcript. */
  private async handleCertificateVerify(msg: HandshakeMessage, s: In<"ExpectCertificateVerify">): Promise<void> {
    const cv = decodeCertificateVerify(msg.body);
    await checkCertificateVerify(this.provider, s.leaf, cv, this.config.signatureSchemes, s.hs.transcript.digest());
    s.hs.transcript.update(msg.raw);
    s.hs.info.peerSignatureScheme = schemeName(cv.scheme);
    this.state = { name: "ExpectFinished", hs: s.hs, request: s.request };
  }

  /**
   * RFC 8446 §4.4.4: the server's Finished gives the application secrets (its direction keys at once); then
   * our second flight, our application key, and the handshake is complete.
   */
  private handleServerFinished(msg: HandshakeMessage, { hs, request }: In<"ExpectFinished">): void | Promise<void> {
    checkFinished(hs.suite.hash, hs.transcript, hs.keys.server, msg, "server");
    const app = this.enterApplicationTraffic(hs, hs.keys.secret);
    const complete = () => {
      this.keyClientDirection(hs.suite, app.client);
      const traffic: ClientTraffic = {
        suite: hs.suite,
        transcript: hs.transcript,
        info: hs.info,
        resumptionMasterSecret: app.master.resumptionMasterSecret(hs.transcript.digest()),
        exporterSecret: app.exporter,
        sent: hs.sent,
      };
      this.state = { name: "Established", traffic };
      this.complete(() => {
        this.emit({ type: "handshake_complete", info: hs.info });
        // What 0-RTT did not deliver goes out now, under the application keys.
        if (this.early && this.early.afterHandshake.length > 0) this.send(this.early.afterHandshake);
      });
    };
    const flight = this.sendClientFlight(hs, request);
    if (flight) return flight.then(complete);
    complete();
  }

  // ----- our second flight -----

  /**
   * RFC 8446 §4.5: EndOfEarlyData under the early key if the server took our 0-RTT data; then, if asked,
   * our Certificate (and CertificateVerify, RFC 8446 §4.4.2, §4.4.3) under the handshake key; then Finished.
   */
  private sendClientFlight(hs: ClientHandshake, request: Request): void | Promise<void> {
    if (this.early?.status === "accepted") {
      this.sendMessage(hs.transcript, HandshakeType.end_of_early_data, EMPTY);
      this.useHandshakeWriteKey(hs.suite, hs.keys.client);
    }
    const finished = () => this.records.queueHandshake(finishedMessage(hs.suite.hash, hs.transcript, hs.keys.client));
    if (request === null) return finished();
    return answerCertificateRequest(this.config.certificate, request, hs.transcript).then((answer) => {
      for (const m of answer.messages) this.records.queueHandshake(m);
      this.certificateScheme = answer.scheme;
      finished();
    });
  }

  // ----- after the handshake -----

  /** After the handshake: NewSessionTicket, KeyUpdate and CertificateRequest (RFC 8446 §4.6). */
  protected onPostHandshakeMessage(msg: HandshakeMessage): void | Promise<void> {
    const traffic = this.traffic;
    if (!traffic) throw failure("post_handshake_unexpected", `${handshakeName(msg.type)} during the handshake`);
    if (msg.type === HandshakeType.new_session_ticket) return this.handleNewSessionTicket(msg, traffic);
    if (msg.type === HandshakeType.certificate_request) return this.answerPostHandshakeRequest(msg, traffic);
    throw failure("post_handshake_unexpected", `${handshakeName(msg.type)} from the server`);
  }

  /** RFC 8446 §4.6.1: each ticket is announced as an event and, with `onSession`, kept as a session. */
  private handleNewSessionTicket(msg: HandshakeMessage, traffic: ClientTraffic): void {
    const ticket = decodeNewSessionTicket(msg.body);
    this.emit({ type: "session_ticket", ticket });
    if (!this.onSession || !this.status) return;
    const session = sessionFromTicket(ticket, {
      hash: traffic.suite.hash,
      cipherSuite: traffic.suite.params.code,
      resumptionMasterSecret: traffic.resumptionMasterSecret,
      receivedAt: this.config.now(),
      alpn: traffic.info.alpn,
      serverName: sniName(this.config.serverName),
      peerCertificates: traffic.info.peerCertificates,
      certificateStatus: this.status,
    });
    if (session) this.onSession(session);
  }

  /**
   * RFC 8446 §4.6.2: Certificate (with the request's context), CertificateVerify, then Finished keyed by our
   * current client_application_traffic_secret_N, all over the handshake transcript (through our Finished)
   * plus the CertificateRequest (§4.4). "A client that receives a CertificateRequest message without having
   * sent the "post_handshake_auth" extension MUST send an "unexpected_message" fatal alert."
   */
  private async answerPostHandshakeRequest(msg: HandshakeMessage, traffic: ClientTraffic): Promise<void> {
    if (!traffic.sent.has(X.post_handshake_auth)) throw failure("post_handshake_auth_not_offered");
    const request = readPostHandshakeRequest(msg.body);
    const transcript = traffic.transcript.clone();
    transcript.update(msg.raw);
    const answer = await answerCertificateRequest(this.config.certificate, request, transcript);
    for (const m of answer.messages) this.records.queueHandshake(m);
    this.records.queueHandshake(finishedMessage(traffic.suite.hash, transcript, this.records.writeSecret));
    this.records.flushHandshake();
    if (answer.scheme !== null) this.certificateScheme = answer.scheme;
  }

  /** The established connection's state, or null before the handshake completed. */
  private get traffic(): ClientTraffic | null {
    return this.state.name === "Established" ? this.state.traffic : null;
  }

  /** RFC 8446 §7.1: what ticket PSKs derive from (read by the RFC 8448 trace tests). */
  protected get resumptionMasterSecret(): Uint8Array | null {
    return this.traffic?.resumptionMasterSecret ?? null;
  }
}

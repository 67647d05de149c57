/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2, §4), sans-IO.
 *
 * Reads top to bottom as the server's flight: ClientHello → (HelloRetryRequest → ClientHello) →
 * ServerHello, EncryptedExtensions, [CertificateRequest], [Certificate, CertificateVerify], Finished →
 * [early data, EndOfEarlyData] → [client Certificate, CertificateVerify] → client Finished → NewSessionTicket.
 * Each state is an `Expect*` value carrying what the rest of the handshake needs (suite, transcript, secrets);
 * a message that fits no state is unexpected_message (handshake.ts `expectMessage`). After the handshake the
 * Established state keeps what tickets and post-handshake authentication need.
 */
import type { TranscriptHash } from "../../crypto/provider.ts";
import { TlsConnection } from "../connection.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import { failure } from "../failures.ts";
import {
  type ApplicationTraffic,
  assertNever,
  checkFinished,
  expectMessage,
  finishedMessage,
  type HandshakeContext,
  type HandshakeTraffic,
  verifyFinished,
} from "../handshake.ts";
import { keyLogger } from "../key_log.ts";
import { EarlySecret } from "../key_schedule.ts";
import { MAX_PLAINTEXT } from "../record/framing.ts";
import { TlsUsageError } from "../usage_error.ts";
import { certificateVerifyContent, encodeCertificateVerify, SERVER_CONTEXT } from "../wire/certificate_verify.ts";
import { encodeCertificate } from "../wire/certificate.ts";
import { ExtensionType, handshakeName, HandshakeType, ProtocolVersion, schemeName } from "../wire/constants.ts";
import { encodeEncryptedExtensions } from "../wire/encrypted_extensions.ts";
import type { Extension } from "../wire/extensions/extension_list.ts";
import { encodeProtocolNames } from "../wire/extensions/alpn.ts";
import { encodeServerKeyShare } from "../wire/extensions/key_share.ts";
import { encodeSelectedIdentity } from "../wire/extensions/pre_shared_key.ts";
import { encodeRecordSizeLimit } from "../wire/extensions/record_size_limit.ts";
import { encodeSupportedGroups } from "../wire/extensions/supported_groups.ts";
import { encodeSelectedVersion } from "../wire/extensions/supported_versions.ts";
import type { HandshakeMessage } from "../wire/handshake.ts";
import { encodeServerHello } from "../wire/server_hello.ts";
import {
  certificateRequestBody,
  type ClientAuthConfig,
  readClientCertificate,
  verifyClientCertificateVerify,
  verifyClientChain,
} from "./client_auth.ts";
import { type NeedsRetry, negotiate, type Negotiated } from "./client_hello.ts";
import { decideEarlyData, type EarlyDataDecision } from "./early_data.ts";
import { encodeHelloRetryRequest, helloDigest } from "./hello_retry.ts";
import { type CertificateChoice, chooseAcmeChallenge } from "./negotiate.ts";
import { encodeCertificateStatus } from "../wire/extensions/status_request.ts";
import { newSessionTicket, type ResumableSession } from "./new_session_ticket.ts";
import {
  type AuthExchange,
  awaited,
  readCertificate,
  readCertificateVerify,
  readFinished,
  startExchange,
} from "./post_handshake_auth.ts";
import type { ServerCertificate, ServerConfig, TicketConfig } from "./server_config.ts";

/** What the client's remaining flight is checked against. */
interface ServerHandshake extends HandshakeContext {
  info: ConnectionInfo;
  /** client_handshake_traffic_secret: the key of the client's flight and of its Finished (RFC 8446 §4.4.4). */
  clientHandshakeSecret: Uint8Array;
  /** Derived at our Finished: the client's application key, and the master secret for resumption. */
  app: ApplicationTraffic;
  /** The client offered post_handshake_auth (RFC 8446 §4.2.6). */
  offersPostHandshakeAuth: boolean;
  /** Tickets already sent with our flight (sendTicketsWithFlight); the client Finished sends none then. */
  ticketsSent: number;
  /**
   * Set when tickets went out with our flight: the client Finished those tickets were computed for (already in
   * the transcript) and the resumption master secret through it, so neither is computed twice.
   */
  predicted: { clientFinished: Uint8Array; resumptionMasterSecret: Uint8Array } | null;
}

/** What an established connection keeps for tickets and post-handshake authentication. */
interface ServerSession extends ResumableSession {
  /**
   * Through the client Finished: where each post-handshake CertificateRequest's transcript starts (§4.4);
   * kept only when such a request is possible (the client offered it and client certificates are configured).
   */
  transcript: TranscriptHash | null;
  offersPostHandshakeAuth: boolean;
  ticketsSent: number;
  /** Our CertificateRequests, oldest first; the client answers them in order. */
  requests: AuthExchange[];
}

type ServerState =
  /** `earlyDataRefused`: the first ClientHello offered 0-RTT and got a HelloRetryRequest instead. */
  | { name: "ExpectClientHello"; retried: boolean; earlyDataRefused: boolean }
  | { name: "ExpectEndOfEarlyData"; hs: ServerHandshake; received: number; limit: number }
  | { name: "ExpectCertificate"; hs: ServerHandshake; clientAuth: ClientAuthConfig }
  | { name: "ExpectCertificateVerify"; hs: ServerHandshake; chain: Uint8Array[] }
  | { name: "ExpectFinished"; hs: ServerHandshake }
  | { name: "Established"; session: ServerSession };

/** RFC 8446 §4.2.10: rejected early data is skipped up to this much when no ticket says otherwise. */
const DEFAULT_EARLY_SKIP = 16 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * The server side of the sans-IO engine: ClientHello to Finished, HelloRetryRequest, PSK and 0-RTT acceptance,
 * tickets and post-handshake authentication.
 */
export class ServerConnection extends TlsConnection {
  private state: ServerState = { name: "ExpectClientHello", retried: false, earlyDataRefused: false };
  private negotiated: ConnectionInfo | null = null;
  /** RFC 8446 §5: change_cipher_spec is acceptable once the first ClientHello has arrived. */
  private clientHelloSeen = false;

  /** Waits for a ClientHello: feed it bytes with `receive()`. */
  constructor(readonly config: ServerConfig) {
    super("server", config.provider, config.maxHandshakeMessageSize);
  }

  /** What was negotiated; available once the server's flight is out (so 0-RTT handlers can see it too). */
  get info(): ConnectionInfo | null {
    return this.negotiated;
  }

  /** Dispatches a handshake message to the step its state expects (RFC 8446 §2 order). */
  protected onHandshakeMessage(msg: HandshakeMessage): void | Promise<void> {
    const s = this.state;
    switch (s.name) {
      case "ExpectClientHello":
        return this.handleClientHello(expectMessage(msg, HandshakeType.client_hello, s.name), s);
      case "ExpectEndOfEarlyData":
        return this.handleEndOfEarlyData(expectMessage(msg, HandshakeType.end_of_early_data, s.name), s);
      case "ExpectCertificate":
        return this.handleClientCertificate(expectMessage(msg, HandshakeType.certificate, s.name), s);
      case "ExpectCertificateVerify":
        return this.handleClientCertificateVerify(expectMessage(msg, HandshakeType.certificate_verify, s.name), s);
      case "ExpectFinished":
        return this.handleClientFinished(expectMessage(msg, HandshakeType.finished, s.name), s);
      case "Established":
        throw failure("message_unexpected", `${handshakeName(msg.type)} after the handshake`);
      default:
        return assertNever(s);
    }
  }

  /** RFC 8446 §5: a compatibility change_cipher_spec may arrive after the first ClientHello, until Finished. */
  protected acceptsChangeCipherSpec(): boolean {
    return this.state.name !== "Established" && this.clientHelloSeen;
  }

  // ----- ClientHello -----

  /** RFC 8446 §4.1.2: negotiate from the ClientHello, then answer with a HelloRetryRequest or our flight. */
  private handleClientHello(
    msg: HandshakeMessage,
    s: Extract<ServerState, { name: "ExpectClientHello" }>,
  ): void | Promise<void> {
    this.clientHelloSeen = true;
    // RFC 8446 §4.2.10: the client may not offer early data again, so from the second ClientHello on nothing
    // undecryptable is skipped.
    if (s.retried) this.skipEarlyData(null);
    const n = negotiate(msg, s.retried, this.config);
    if (n.kind === "retry") return this.sendHelloRetryRequest(msg, n);
    if (n.acmeValidation) {
      return chooseAcmeChallenge(n.hello, this.config).then((certificate) =>
        this.sendServerFlight({ ...n, certificate }, null)
      );
    }
    if (n.hello.earlyData) {
      return decideEarlyData(n.psk, n.suite.params, n.alpn, n.afterRetry, this.config)
        .then((early) => this.sendServerFlight(n, early));
    }
    const refused = s.earlyDataRefused ? { accept: false as const, reason: "HelloRetryRequest was needed" } : null;
    return this.sendServerFlight(n, refused);
  }

  /** RFC 8446 §4.1.4, §4.2.2: ask for a share of `group`, with our state in the cookie (we keep none). */
  private sendHelloRetryRequest(msg: HandshakeMessage, r: NeedsRetry): void {
    const cookie = this.config.retryCookies.seal({
      issuedAt: Math.floor(this.config.now() / 1000),
      cipherSuite: r.suite.params.code,
      group: r.group,
      firstHelloHash: r.suite.hash.hash(msg.raw),
      helloDigest: helloDigest(this.provider, r.hello),
    });
    this.records.queueHandshake(encodeHelloRetryRequest(r.hello.legacySessionId, r.suite.params.code, r.group, cookie));
    if (r.hello.legacySessionId.length > 0) this.records.writeChangeCipherSpec();
    // RFC 8446 §4.2.10: early data sent with the first ClientHello is skipped after a HelloRetryRequest.
    if (r.hello.earlyData) this.skipEarlyData(earlySkipLimit(null));
    this.state = { name: "ExpectClientHello", retried: true, earlyDataRefused: r.hello.earlyData };
  }

  // ----- the server's flight -----

  /** ServerHello, EncryptedExtensions, [CertificateRequest], [Certificate, CertificateVerify], Finished. */
  private async sendServerFlight(n: Negotiated, early: EarlyDataDecision | null): Promise<void> {
    const ctx: HandshakeContext = {
      suite: n.suite,
      transcript: n.transcript,
      log: keyLogger(this.config.keyLog, n.hello.random),
    };
    const info = this.negotiated = negotiatedInfo(n, early);
    const earlySecret = n.psk?.early ?? EarlySecret.fromPsk(n.suite.hash);
    const clientEarlySecret = early?.accept ? earlySecret.clientEarlyTrafficSecret(ctx.transcript.digest()) : null;
    if (clientEarlySecret) ctx.log("CLIENT_EARLY_TRAFFIC_SECRET", clientEarlySecret);
    const handshake = await this.sendServerHello(n, ctx, earlySecret);
    this.sendEncryptedExtensions(n, ctx, clientEarlySecret !== null);
    // RFC 8446 §4.3.2: a server authenticating with a PSK does not send CertificateRequest in the handshake.
    const clientAuth = this.config.clientAuth;
    const askCertificate = !n.psk && clientAuth !== null && clientAuth.mode !== "none" ? clientAuth : null;
    if (askCertificate) {
      this.sendMessage(
        ctx.transcript,
        HandshakeType.certificate_request,
        certificateRequestBody(EMPTY, askCertificate),
      );
    }
    const hs = { ...ctx, info, offersPostHandshakeAuth: n.hello.postHandshakeAuth };
    if (n.certificate) await this.sendCertificateAndVerify(ctx, n.certificate, n.hello.statusRequest);
    this.sendServerFinished(hs, handshake, n, clientEarlySecret, askCertificate);
  }

  /** RFC 8446 §4.1.3: the ServerHello, then the handshake traffic keys (§7.1). */
  private async sendServerHello(n: Negotiated, ctx: HandshakeContext, early: EarlySecret): Promise<HandshakeTraffic> {
    const extensions: Extension[] = [];
    if (n.psk) extensions.push({ type: ExtensionType.pre_shared_key, data: encodeSelectedIdentity(n.psk.index) });
    let shared: Uint8Array | undefined;
    if (n.group) {
      const ours = await this.provider.keyExchange(n.group.group).encapsulate(n.group.share.keyExchange);
      shared = ours.sharedSecret;
      extensions.push({
        type: ExtensionType.key_share,
        data: encodeServerKeyShare({ group: n.group.share.group, keyExchange: ours.keyExchange }),
      });
    }
    extensions.push({ type: ExtensionType.supported_versions, data: encodeSelectedVersion(ProtocolVersion.TLS1_3) });
    this.sendMessage(
      ctx.transcript,
      HandshakeType.server_hello,
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLS1_2,
        random: this.provider.randomBytes(32),
        legacySessionIdEcho: n.hello.legacySessionId,
        cipherSuite: n.suite.params.code,
        legacyCompressionMethod: 0,
        extensions,
      }),
    );
    // RFC 8446 Appendix D.4: in compatibility mode the dummy change_cipher_spec follows our first flight message.
    if (n.hello.legacySessionId.length > 0) this.records.writeChangeCipherSpec();
    return this.enterHandshakeTraffic(ctx, early, shared);
  }

  /** RFC 8446 §4.3.1: ALPN, early_data acceptance, and what else answers the client's extensions. */
  private sendEncryptedExtensions(n: Negotiated, ctx: HandshakeContext, earlyAccepted: boolean): void {
    const extensions: Extension[] = [];
    // RFC 8446 §4.2.7: a server may tell the client which groups it prefers, for later connections.
    if (this.config.advertisedGroups.length > 0) {
      extensions.push({
        type: ExtensionType.supported_groups,
        data: encodeSupportedGroups(this.config.advertisedGroups),
      });
    }
    if (n.hello.recordSizeLimit !== undefined) {
      // RFC 8449 §4: the peer's limit counts the content type byte; ours is the protocol maximum.
      this.records.maxSendFragment = Math.min(MAX_PLAINTEXT, n.hello.recordSizeLimit - 1);
      extensions.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(MAX_PLAINTEXT + 1) });
    }
    // RFC 6066 §3: an empty server_name acknowledges that SNI was used.
    if (n.hello.serverName) extensions.push({ type: ExtensionType.server_name, data: EMPTY });
    if (n.alpn !== null) {
      extensions.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeProtocolNames([n.alpn]),
      });
    }
    if (earlyAccepted) extensions.push({ type: ExtensionType.early_data, data: EMPTY });
    this.sendMessage(ctx.transcript, HandshakeType.encrypted_extensions, encodeEncryptedExtensions(extensions));
  }

  /** RFC 8446 §4.4.2, §4.4.3; the OCSP staple only for a client that asked (RFC 8446 §4.4.2.1). */
  private async sendCertificateAndVerify(
    ctx: HandshakeContext,
    choice: CertificateChoice,
    staple: boolean,
  ): Promise<void> {
    this.sendMessage(ctx.transcript, HandshakeType.certificate, certificateBody(choice.certificate, staple));
    const content = certificateVerifyContent(SERVER_CONTEXT, ctx.transcript.digest());
    const signature = await choice.certificate.signingKey.sign(choice.scheme, content);
    this.sendMessage(
      ctx.transcript,
      HandshakeType.certificate_verify,
      encodeCertificateVerify({ scheme: choice.scheme, signature }),
    );
  }

  /**
   * RFC 8446 §4.4.4: our Finished; the application secrets follow from the transcript through it, and we may
   * send 0.5-RTT data. Then we read early data under the early key when 0-RTT was accepted, else the client's
   * flight under its handshake key.
   */
  private sendServerFinished(
    ctx: Omit<ServerHandshake, "clientHandshakeSecret" | "app" | "ticketsSent" | "predicted">,
    handshake: HandshakeTraffic,
    n: Negotiated,
    clientEarlySecret: Uint8Array | null,
    askCertificate: ClientAuthConfig | null,
  ): void {
    this.records.queueHandshake(finishedMessage(ctx.suite.hash, ctx.transcript, handshake.server));
    const app = this.enterApplicationTraffic(ctx, handshake.secret);
    const hs: ServerHandshake = {
      ...ctx,
      clientHandshakeSecret: handshake.client,
      app,
      ticketsSent: 0,
      predicted: null,
    };
    if (!clientEarlySecret && !askCertificate && this.config.tickets?.withServerFlight) this.sendTicketsWithFlight(hs);
    if (clientEarlySecret) {
      this.keyClientDirection(ctx.suite, clientEarlySecret);
      this.state = { name: "ExpectEndOfEarlyData", hs, received: 0, limit: this.config.tickets?.maxEarlyDataSize ?? 0 };
      this.emit({ type: "early_data_accepted", info: hs.info });
      return;
    }
    this.keyClientDirection(ctx.suite, handshake.client);
    // RFC 8446 §4.2.10: rejected early data is skipped, up to the ticket's limit, by trial decryption.
    if (n.hello.earlyData) this.skipEarlyData(earlySkipLimit(n.psk?.state.maxEarlyData));
    this.state = askCertificate
      ? { name: "ExpectCertificate", hs, clientAuth: askCertificate }
      : { name: "ExpectFinished", hs };
  }

  // ----- early data and the client's flight -----

  /** RFC 8446 §4.2.10: more early data than max_early_data_size is unexpected_message. */
  protected override onEarlyApplicationData(content: Uint8Array): void {
    const s = this.state;
    if (s.name !== "ExpectEndOfEarlyData") return super.onEarlyApplicationData(content);
    s.received += content.length;
    if (s.received > s.limit) throw failure("early_data_too_long");
    if (content.length > 0) this.emit({ type: "early_data", data: content });
  }

  /** RFC 8446 §4.5: EndOfEarlyData switches the client to its handshake key. */
  private handleEndOfEarlyData(
    msg: HandshakeMessage,
    s: Extract<ServerState, { name: "ExpectEndOfEarlyData" }>,
  ): void {
    if (msg.body.length !== 0) throw failure("end_of_early_data_not_empty");
    s.hs.transcript.update(msg.raw);
    this.keyClientDirection(s.hs.suite, s.hs.clientHandshakeSecret);
    this.state = { name: "ExpectFinished", hs: s.hs };
  }

  /**
   * RFC 8446 §4.4.2.4: an empty Certificate is certificate_required when we require one, otherwise the
   * client stays anonymous; a chain that does not verify gets the alert its failure names.
   */
  private handleClientCertificate(
    msg: HandshakeMessage,
    { hs, clientAuth }: Extract<ServerState, { name: "ExpectCertificate" }>,
  ): void | Promise<void> {
    const chain = readClientCertificate(msg.body, EMPTY);
    hs.transcript.update(msg.raw);
    if (chain.length === 0) {
      if (clientAuth.mode === "require") throw failure("client_certificate_required");
      this.state = { name: "ExpectFinished", hs };
      return;
    }
    return verifyClientChain(chain, clientAuth, this.provider, this.config.now())
      .then(() => void (this.state = { name: "ExpectCertificateVerify", hs, chain }));
  }

  /** RFC 8446 §4.4.3: the client proves it holds its certificate's key. */
  private async handleClientCertificateVerify(
    msg: HandshakeMessage,
    s: Extract<ServerState, { name: "ExpectCertificateVerify" }>,
  ): Promise<void> {
    const scheme = await verifyClientCertificateVerify(msg.body, s.chain[0], s.hs.transcript.digest(), this.provider);
    s.hs.transcript.update(msg.raw);
    s.hs.info.peerCertificates = s.chain;
    s.hs.info.peerSignatureScheme = schemeName(scheme);
    this.state = { name: "ExpectFinished", hs: s.hs };
  }

  /**
   * RFC 8446 §4.6.1: "a server which does not request client authentication MAY compute the remainder of the
   * transcript independently and then send a NewSessionTicket immediately upon sending its Finished rather than
   * waiting for the client Finished" (as Go does): a client that leaves right after its handshake still gets
   * them. Not with 0-RTT accepted, whose EndOfEarlyData is part of the transcript too. The one message the
   * client may send next is that Finished, so it goes into the running transcript now; handleClientFinished
   * compares the client's against it.
   */
  private sendTicketsWithFlight(hs: ServerHandshake): void {
    const tickets = this.config.tickets!;
    const count = ticketCount(tickets, hs.info);
    if (count === 0) return;
    const clientFinished = finishedMessage(hs.suite.hash, hs.transcript, hs.clientHandshakeSecret);
    const resumptionMasterSecret = hs.app.master.resumptionMasterSecret(hs.transcript.digest());
    hs.predicted = { clientFinished, resumptionMasterSecret };
    const session = { suite: hs.suite, info: hs.info, resumptionMasterSecret };
    for (; hs.ticketsSent < count; hs.ticketsSent++) {
      this.records.queueHandshake(newSessionTicket(session, hs.ticketsSent, tickets, this.provider, this.config.now()));
    }
    this.records.flushHandshake();
  }

  /** RFC 8446 §4.4.4: the client's Finished completes the handshake; tickets go out with it (§4.6.1). */
  private handleClientFinished(msg: HandshakeMessage, { hs }: { hs: ServerHandshake }): void {
    // The predicted Finished is in the transcript already: its verify_data follows the 4-byte message header.
    if (hs.predicted) verifyFinished(msg, hs.predicted.clientFinished.subarray(4), "client");
    else checkFinished(hs.suite.hash, hs.transcript, hs.clientHandshakeSecret, msg, "client");
    this.keyClientDirection(hs.suite, hs.app.client);
    const session: ServerSession = {
      suite: hs.suite,
      info: hs.info,
      transcript: hs.offersPostHandshakeAuth && this.config.clientAuth !== null ? hs.transcript : null,
      resumptionMasterSecret: hs.predicted?.resumptionMasterSecret ??
        hs.app.master.resumptionMasterSecret(hs.transcript.digest()),
      offersPostHandshakeAuth: hs.offersPostHandshakeAuth,
      ticketsSent: hs.ticketsSent,
      requests: [],
    };
    this.state = { name: "Established", session };
    this.complete(() => {
      this.emit({ type: "handshake_complete", info: hs.info });
      const chain = hs.info.peerCertificates;
      if (chain.length > 0) this.emit({ type: "client_certificate", chain, context: null });
      // Unless they went out with our flight already (sendTicketsWithFlight).
      const count = this.config.tickets ? ticketCount(this.config.tickets, hs.info) : 0;
      if (count > 0 && hs.ticketsSent === 0 && this.canSend) this.sendTickets(count);
    });
  }

  // ----- after the handshake -----

  /** Sends `count` more tickets (RFC 8446 §4.6.1: "at any time after it receives the client Finished"). */
  sendTickets(count = 1): void {
    const tickets = this.config.tickets;
    if (!tickets) throw new TlsUsageError("tickets_disabled", "this server sends no tickets");
    const session = this.session;
    if (!session || !this.canSend) {
      throw new TlsUsageError("handshake_incomplete", "tickets need a completed handshake");
    }
    for (let i = 0; i < count; i++) {
      const n = session.ticketsSent++ & 0xffff;
      this.records.queueHandshake(newSessionTicket(session, n, tickets, this.provider, this.config.now()));
    }
    this.records.flushHandshake();
  }

  /** True when the client offered post_handshake_auth (RFC 8446 §4.2.6) and client certificates are configured. */
  get canRequestClientCertificate(): boolean {
    const session = this.session;
    return this.isHandshakeComplete && session !== null && session.offersPostHandshakeAuth &&
      this.config.clientAuth !== null;
  }

  /**
   * Sends a CertificateRequest with a fresh context and returns the context; the answer arrives as a
   * `client_certificate` or `client_certificate_refused` event carrying the same context.
   */
  requestClientCertificate(): Uint8Array {
    const session = this.session, clientAuth = this.config.clientAuth;
    if (!session?.transcript || !clientAuth || !this.canRequestClientCertificate) {
      throw new TlsUsageError(
        "post_handshake_auth_unavailable",
        "the client did not offer post-handshake authentication",
      );
    }
    // RFC 8446 §4.3.2: the context is unique within the connection; 32 random bytes make it so.
    const context = this.provider.randomBytes(32);
    const { request, exchange } = startExchange(context, clientAuth, session.transcript);
    session.requests.push(exchange);
    this.records.queueHandshake(request);
    this.records.flushHandshake();
    return context;
  }

  /** RFC 8446 §4.6: a client sends no post-handshake messages but KeyUpdate, unless we asked for a certificate. */
  protected onPostHandshakeMessage(msg: HandshakeMessage): void | Promise<void> {
    const session = this.session, clientAuth = this.config.clientAuth;
    const x = session?.requests[0];
    if (!session || !clientAuth || !x || msg.type !== awaited[x.name]) {
      throw failure("post_handshake_unexpected", `${handshakeName(msg.type)} from the client`);
    }
    switch (x.name) {
      case "ExpectCertificate":
        return readCertificate(x, msg, clientAuth, this.provider, this.config.now())
          .then((next) => void (session.requests[0] = next));
      case "ExpectCertificateVerify":
        return readCertificateVerify(x, msg, this.provider).then((next) => void (session.requests[0] = next));
      case "ExpectFinished": {
        const event = readFinished(x, msg, session.suite.hash, this.records.readSecret);
        session.requests.shift();
        if (event.type === "client_certificate") session.info.peerCertificates = event.chain;
        return this.emit(event);
      }
      default:
        return assertNever(x);
    }
  }

  /** The established connection's state, or null before the handshake completed. */
  private get session(): ServerSession | null {
    return this.state.name === "Established" ? this.state.session : null;
  }

  /** RFC 8446 §7.1: what tickets derive their PSKs from (read by the RFC 8448 trace tests). */
  protected get resumptionMasterSecret(): Uint8Array | null {
    return this.session?.resumptionMasterSecret ?? null;
  }
}

/** What the handshake negotiated, as the application sees it. */
function negotiatedInfo(n: Negotiated, early: EarlyDataDecision | null): ConnectionInfo {
  return {
    version: "TLSv1.3",
    cipherSuite: n.suite.params.name,
    group: n.group?.group ?? null,
    alpn: n.alpn,
    serverName: n.hello.serverName ?? null,
    resumed: n.psk !== null,
    earlyDataAccepted: early?.accept === true,
    earlyDataRejectedReason: early && !early.accept ? early.reason : null,
    peerSignatureScheme: null,
    // RFC 8446 §2.2: a resumed client is who it was when the ticket was issued.
    peerCertificates: n.psk ? n.psk.state.clientCertificates : [],
  };
}

/**
 * Tickets after a handshake: the configured count after a full one, at most one after a resumption (as OpenSSL
 * does), which replaces the ticket the client just used; more would only pile up in its cache.
 */
function ticketCount(tickets: TicketConfig, info: ConnectionInfo): number {
  return info.resumed ? Math.min(tickets.count, 1) : tickets.count;
}

/** Ciphertext is what we count, so leave room for the per-record overhead beyond the plaintext limit. */
function earlySkipLimit(ticketMaxEarlyData: number | null | undefined): number {
  return (ticketMaxEarlyData || DEFAULT_EARLY_SKIP) + 16 * 1024;
}

/**
 * The Certificate message body depends only on the certificate (chain and staple) and on whether the client
 * asked for the staple: encoded at most twice per certificate, not per handshake.
 */
const certificateBodies = new WeakMap<ServerCertificate, { plain?: Uint8Array; stapled?: Uint8Array }>();

function certificateBody(cert: ServerCertificate, staple: boolean): Uint8Array {
  let bodies = certificateBodies.get(cert);
  if (!bodies) certificateBodies.set(cert, bodies = {});
  const ocsp = staple ? cert.ocspResponse : undefined;
  if (!ocsp) return bodies.plain ??= encodeCertificate(EMPTY, cert.chain);
  const status = { type: ExtensionType.status_request, data: encodeCertificateStatus(ocsp) };
  return bodies.stapled ??= encodeCertificate(EMPTY, cert.chain, [status]);
}

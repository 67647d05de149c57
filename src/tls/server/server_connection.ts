/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2, §4), sans-IO.
 *
 * Reads top to bottom as the server's flight: ClientHello → (HelloRetryRequest → ClientHello) →
 * ServerHello, EncryptedExtensions, [Certificate, CertificateVerify], Finished → [early data,
 * EndOfEarlyData] → client Finished → NewSessionTicket. Each state is an `Expect*` value carrying only what
 * that step needs; a message that fits no state is unexpected_message.
 */
import { TlsAlert } from "../alert.ts";
import { constantTimeEqual } from "../../crypto/ct.ts";
import type { TranscriptHash } from "../../crypto/provider.ts";
import { TlsConnection } from "../connection.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import {
  EarlySecret,
  finishedVerifyData,
  type HandshakeSecret,
  type MasterSecret,
  ticketPsk,
} from "../key_schedule.ts";
import { MAX_PLAINTEXT } from "../record/framing.ts";
import { encodeSessionState } from "../tickets/session_state.ts";
import { type ClientHello, decodeClientHello } from "../wire/client_hello.ts";
import {
  ExtensionType,
  groupName,
  HandshakeType,
  ProtocolVersion,
  PskKeyExchangeMode,
  schemeName,
} from "../wire/constants.ts";
import { certificateVerifyContent, encodeCertificateVerify, SERVER_CONTEXT } from "../wire/certificate_verify.ts";
import { encodeCertificate } from "../wire/certificate.ts";
import { encodeEncryptedExtensions } from "../wire/encrypted_extensions.ts";
import type { Extension } from "../wire/extensions/extension_list.ts";
import { encodeProtocolNames } from "../wire/extensions/alpn.ts";
import { encodeMaxEarlyDataSize } from "../wire/extensions/early_data.ts";
import { encodeServerKeyShare, type KeyShareEntry } from "../wire/extensions/key_share.ts";
import { encodeSelectedIdentity } from "../wire/extensions/pre_shared_key.ts";
import { encodeRecordSizeLimit } from "../wire/extensions/record_size_limit.ts";
import { encodeSupportedGroups } from "../wire/extensions/supported_groups.ts";
import { encodeSelectedVersion } from "../wire/extensions/supported_versions.ts";
import { decodeFinished } from "../wire/finished.ts";
import { encodeHandshake, type HandshakeMessage } from "../wire/handshake.ts";
import { encodeNewSessionTicket } from "../wire/new_session_ticket.ts";
import { encodeServerHello } from "../wire/server_hello.ts";
import { Writer } from "../wire/writer.ts";
import { decideEarlyData } from "./early_data.ts";
import { type CookieState, encodeHelloRetryRequest, helloDigest, messageHash } from "./hello_retry.ts";
import {
  type CertificateChoice,
  chooseAlpn,
  chooseCertificate,
  chooseCipherSuite,
  chooseGroup,
  groupCode,
} from "./negotiate.ts";
import { type AcceptedPsk, acceptPsk, firstTicketSuite } from "./psk.ts";
import type { ServerCertificate, ServerConfig } from "./server_config.ts";
import {
  certificateErrorCode,
  certificateRequestBody,
  readClientCertificate,
  verifyClientCertificateVerify,
  verifyClientChain,
} from "./client_auth.ts";

interface ExpectFinished {
  name: "ExpectFinished";
  clientHandshakeSecret: Uint8Array;
  clientTrafficSecret: Uint8Array;
  master: MasterSecret;
}

type ServerState =
  | { name: "ExpectClientHello"; retried: boolean }
  | { name: "ExpectEndOfEarlyData"; then: ExpectFinished }
  | { name: "ExpectCertificate"; then: ExpectFinished }
  | { name: "ExpectCertificateVerify"; chain: Uint8Array[]; then: ExpectFinished }
  | ExpectFinished
  | { name: "Connected" };

/** A post-handshake CertificateRequest awaiting its answer (RFC 8446 §4.6.2). */
interface PendingAuth {
  context: Uint8Array;
  transcript: TranscriptHash;
  expect: "certificate" | "certificate_verify" | "finished";
  chain: Uint8Array[];
  refused: { code: string; reason: string } | null;
}

/** The handshake secret and both handshake traffic secrets (RFC 8446 §7.1). */
interface HandshakeKeys {
  secret: HandshakeSecret;
  client: Uint8Array;
  server: Uint8Array;
}

/** RFC 8446 §4.2.10: rejected early data is skipped up to this much when no ticket says otherwise. */
const DEFAULT_EARLY_SKIP = 16 * 1024;

export class ServerConnection extends TlsConnection {
  private state: ServerState = { name: "ExpectClientHello", retried: false };
  private clientHelloSeen = false;
  private negotiated: ConnectionInfo | null = null;
  private earlyDataReceived = 0;
  /** The first ClientHello offered early data and got a HelloRetryRequest: it is refused (and reported so). */
  private earlyDataBeforeRetry = false;
  private ticketsSent = 0;
  private clientOffersPostHandshakeAuth = false;
  private readonly pendingAuth: PendingAuth[] = [];
  /** RFC 8446 §4.6.1: tickets derive their PSK from it; kept for tickets sent on request later. */
  protected resumptionMasterSecret: Uint8Array | null = null;

  constructor(readonly config: ServerConfig) {
    super(config.provider, config.maxHandshakeMessageSize);
  }

  /** What was negotiated; available once the server's flight is out (so 0-RTT handlers can see it too). */
  get info(): ConnectionInfo | null {
    return this.negotiated;
  }

  protected async onHandshakeMessage(msg: HandshakeMessage): Promise<void> {
    const s = this.state;
    if (s.name === "ExpectClientHello" && msg.type === HandshakeType.client_hello) {
      return await this.handleClientHello(msg, s.retried);
    }
    if (s.name === "ExpectEndOfEarlyData" && msg.type === HandshakeType.end_of_early_data) {
      return this.handleEndOfEarlyData(msg, s.then);
    }
    if (s.name === "ExpectCertificate" && msg.type === HandshakeType.certificate) {
      return await this.handleClientCertificate(msg, s.then);
    }
    if (s.name === "ExpectCertificateVerify" && msg.type === HandshakeType.certificate_verify) {
      return await this.handleClientCertificateVerify(msg, s.chain, s.then);
    }
    if (s.name === "ExpectFinished" && msg.type === HandshakeType.finished) return this.handleClientFinished(msg, s);
    throw new TlsAlert("unexpected_message", `handshake message ${msg.type} in ${s.name}`);
  }

  /** RFC 8446 §4.6: a client sends no post-handshake messages but KeyUpdate, unless we asked for a certificate. */
  protected async onPostHandshakeMessage(msg: HandshakeMessage): Promise<void> {
    const pending = this.pendingAuth[0];
    if (!pending || !postHandshakeAuthExpects(pending, msg.type)) {
      throw new TlsAlert("unexpected_message", `post-handshake message ${msg.type} from client`);
    }
    await this.handlePostHandshakeAuth(pending, msg);
  }

  /** RFC 8446 §5: a compatibility change_cipher_spec may arrive after the first ClientHello, until Finished. */
  protected acceptsChangeCipherSpec(): boolean {
    return this.state.name !== "Connected" && this.clientHelloSeen;
  }

  /** Sends `count` more tickets (RFC 8446 §4.6.1: "at any time after it receives the client Finished"). */
  sendTickets(count = 1): void {
    if (!this.isHandshakeComplete || !this.config.tickets) {
      throw new TlsAlert("internal_error", "tickets need a completed handshake");
    }
    for (let i = 0; i < count; i++) this.sendTicket();
    this.flushHandshake();
  }

  // ----- ClientHello -----

  private async handleClientHello(msg: HandshakeMessage, retried: boolean): Promise<void> {
    this.clientHelloSeen = true;
    const hello = decodeClientHello(msg.body);
    checkVersions(hello);
    const retry = this.openRetryCookie(hello, retried);
    const suite = chooseCipherSuite(hello, this.config, firstTicketSuite(hello, this.config));
    if (retry && retry.cipherSuite !== suite.code) {
      throw new TlsAlert("illegal_parameter", "second ClientHello changed the cipher suite choice");
    }
    this.setSuite(suite);
    const prefix = this.hash!.transcript();
    if (retry) {
      prefix.update(messageHash(retry.firstHelloHash));
      prefix.update(encodeHelloRetryRequest(hello.legacySessionId, suite.code, retry.group, hello.cookie!));
    }
    const psk = acceptPsk(hello, msg.raw, prefix, suite, this.config);
    checkRequiredExtensions(hello, psk);
    const group = psk?.mode === PskKeyExchangeMode.psk_ke ? null : chooseGroup(hello, this.config);
    const cert = psk ? null : chooseCertificate(hello, this.config);
    const alpn = chooseAlpn(hello, this.config);
    const afterRetry = retried || retry !== null;
    if (group && !group.share) return this.sendHelloRetryRequest(msg, hello, afterRetry, groupCode[group.group]);
    if (retry) checkRetriedHello(hello, retry, this.config.provider);

    this.clientRandom = hello.random;
    this.transcript = prefix;
    this.transcript.update(msg.raw);
    const early = hello.earlyData
      ? await decideEarlyData(psk, suite, alpn, afterRetry, this.config)
      : this.earlyDataBeforeRetry
      ? { accept: false as const, reason: "HelloRetryRequest was needed" }
      : null;
    this.negotiated = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      group: group?.group ?? null,
      alpn,
      serverName: hello.serverName ?? null,
      resumed: psk !== null,
      earlyDataAccepted: early?.accept === true,
      earlyDataRejectedReason: early && !early.accept ? early.reason : null,
      peerSignatureScheme: null,
      peerCertificates: [],
    };
    const earlySecret = psk?.early ?? EarlySecret.fromPsk(this.hash!);
    const clientEarlySecret = early?.accept ? earlySecret.clientEarlyTrafficSecret(this.transcript.digest()) : null;
    if (clientEarlySecret) this.log("CLIENT_EARLY_TRAFFIC_SECRET", clientEarlySecret);
    this.clientOffersPostHandshakeAuth = hello.postHandshakeAuth;
    const handshake = this.sendServerHello(hello, earlySecret, group?.share ?? null, psk, afterRetry);
    this.sendEncryptedExtensions(hello, alpn, clientEarlySecret !== null);
    // RFC 8446 §4.3.2: a server authenticating with a PSK does not send CertificateRequest in the handshake.
    const askCertificate = !psk && (this.config.clientAuth?.mode ?? "none") !== "none";
    if (askCertificate) {
      this.sendAndHash(
        HandshakeType.certificate_request,
        certificateRequestBody(new Uint8Array(0), this.config.clientAuth!),
      );
    }
    if (psk) this.negotiated.peerCertificates = psk.state.clientCertificates;
    if (cert) await this.sendCertificateAndVerify(cert);
    const next = this.sendServerFinished(handshake);
    if (!askCertificate && !early?.accept && this.config.tickets?.withServerFlight) this.sendTicketsWithFlight(next);
    this.startReading(
      hello,
      psk,
      handshake,
      clientEarlySecret,
      askCertificate ? { name: "ExpectCertificate", then: next } : next,
    );
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
    if (hello.earlyData) {
      this.earlyDataSkipBudget = this.earlySkipLimit();
      this.earlyDataBeforeRetry = true;
    }
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

  private sendServerHello(
    hello: ClientHello,
    early: EarlySecret,
    share: KeyShareEntry | null,
    psk: AcceptedPsk | null,
    afterRetry: boolean,
  ): HandshakeKeys {
    const extensions: Extension[] = [];
    if (psk) extensions.push({ type: ExtensionType.pre_shared_key, data: encodeSelectedIdentity(psk.index) });
    let shared: Uint8Array | undefined;
    if (share) {
      const ours = this.provider.keyExchange(this.negotiated!.group as never).generate();
      shared = ours.agree(share.keyExchange);
      extensions.push({
        type: ExtensionType.key_share,
        data: encodeServerKeyShare({ group: share.group, keyExchange: ours.publicKey }),
      });
    }
    extensions.push({ type: ExtensionType.supported_versions, data: encodeSelectedVersion(ProtocolVersion.TLS1_3) });
    this.sendAndHash(
      HandshakeType.server_hello,
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLS1_2,
        random: this.provider.randomBytes(32),
        legacySessionIdEcho: hello.legacySessionId,
        cipherSuite: this.suite!.code,
        legacyCompressionMethod: 0,
        extensions,
      }),
    );
    // RFC 8446 Appendix D.4: in compatibility mode the dummy change_cipher_spec follows our first flight message.
    if (!afterRetry && hello.legacySessionId.length > 0) this.sendChangeCipherSpec();
    const secret = early.intoHandshake(shared);
    const traffic = secret.trafficSecrets(this.transcript!.digest());
    this.log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", traffic.client);
    this.log("SERVER_HANDSHAKE_TRAFFIC_SECRET", traffic.server);
    this.setWriteSecret(traffic.server);
    return { secret, client: traffic.client, server: traffic.server };
  }

  private sendEncryptedExtensions(hello: ClientHello, alpn: string | null, earlyAccepted: boolean): void {
    const extensions: Extension[] = [];
    // RFC 8446 §4.2.7: a server may tell the client which groups it prefers, for later connections.
    if (this.config.advertisedGroups.length > 0) {
      extensions.push({
        type: ExtensionType.supported_groups,
        data: encodeSupportedGroups(this.config.advertisedGroups),
      });
    }
    if (hello.recordSizeLimit !== undefined) {
      // RFC 8449 §4: the peer's limit counts the content type byte; ours is the protocol maximum.
      this.maxSendFragment = Math.min(MAX_PLAINTEXT, hello.recordSizeLimit - 1);
      extensions.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(MAX_PLAINTEXT + 1) });
    }
    // RFC 6066 §3: an empty server_name acknowledges that SNI was used.
    if (hello.serverName) extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    if (alpn !== null) {
      extensions.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeProtocolNames([alpn]),
      });
    }
    if (earlyAccepted) extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) });
    this.sendAndHash(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(extensions));
  }

  /** RFC 8446 §4.4.2, §4.4.3 */
  private async sendCertificateAndVerify(choice: CertificateChoice): Promise<void> {
    this.sendAndHash(HandshakeType.certificate, certificateBody(choice.certificate));
    const content = certificateVerifyContent(SERVER_CONTEXT, this.transcript!.digest());
    const signature = await choice.certificate.signingKey.sign(choice.scheme, content);
    this.sendAndHash(HandshakeType.certificate_verify, encodeCertificateVerify({ scheme: choice.scheme, signature }));
  }

  /** RFC 8446 §4.4.4; application secrets come from the transcript through the server Finished. */
  private sendServerFinished(handshake: HandshakeKeys): ExpectFinished {
    this.sendAndHash(
      HandshakeType.finished,
      finishedVerifyData(this.hash!, handshake.server, this.transcript!.digest()),
    );
    const master = handshake.secret.intoMaster();
    const app = master.applicationSecrets(this.transcript!.digest());
    this.log("CLIENT_TRAFFIC_SECRET_0", app.client);
    this.log("SERVER_TRAFFIC_SECRET_0", app.server);
    this.log("EXPORTER_SECRET", app.exporter);
    this.setWriteSecret(app.server);
    this.canSendBeforeComplete = true;
    return { name: "ExpectFinished", clientHandshakeSecret: handshake.client, clientTrafficSecret: app.client, master };
  }

  /** RFC 8446 §4.6.1: without client authentication, tickets "MAY" go right after our Finished. */
  private sendTicketsWithFlight(next: ExpectFinished): void {
    const count = this.config.tickets!.count;
    if (count === 0) return;
    const clientFinished = encodeHandshake(
      HandshakeType.finished,
      finishedVerifyData(this.hash!, next.clientHandshakeSecret, this.transcript!.digest()),
    );
    const transcript = this.transcript!.clone();
    transcript.update(clientFinished);
    this.resumptionMasterSecret = next.master.resumptionMasterSecret(transcript.digest());
    for (let i = 0; i < count; i++) this.sendTicket();
    this.flushHandshake();
  }

  /** Reads early data under the early key when 0-RTT was accepted, else the client's handshake flight. */
  private startReading(
    hello: ClientHello,
    psk: AcceptedPsk | null,
    handshake: HandshakeKeys,
    clientEarlySecret: Uint8Array | null,
    next: ExpectFinished | { name: "ExpectCertificate"; then: ExpectFinished },
  ): void {
    if (clientEarlySecret && next.name === "ExpectFinished") {
      this.setReadSecret(clientEarlySecret);
      this.receivingEarlyData = true;
      this.state = { name: "ExpectEndOfEarlyData", then: next };
      this.emit({ type: "early_data_accepted", info: this.negotiated! });
      return;
    }
    this.setReadSecret(handshake.client);
    // RFC 8446 §4.2.10: rejected early data is skipped, up to the ticket's limit, by trial decryption.
    if (hello.earlyData) this.earlyDataSkipBudget = this.earlySkipLimit(psk);
    this.state = next;
  }

  // ----- early data and the client's flight -----

  /** RFC 8446 §4.2.10: more early data than max_early_data_size is unexpected_message. */
  protected override onEarlyData(content: Uint8Array): void {
    this.earlyDataReceived += content.length;
    if (this.earlyDataReceived > this.config.tickets!.maxEarlyDataSize) {
      throw new TlsAlert("unexpected_message", "early data beyond max_early_data_size");
    }
    if (content.length > 0) this.emit({ type: "early_data", data: content });
  }

  /** RFC 8446 §4.5: EndOfEarlyData switches the client to its handshake key. */
  private handleEndOfEarlyData(msg: HandshakeMessage, next: ExpectFinished): void {
    if (msg.body.length !== 0) throw new TlsAlert("decode_error", "EndOfEarlyData with a body");
    this.transcript!.update(msg.raw);
    this.receivingEarlyData = false;
    this.setReadSecret(next.clientHandshakeSecret);
    this.state = next;
  }

  /**
   * RFC 8446 §4.4.2.4: an empty Certificate is certificate_required when we require one, otherwise the
   * client stays anonymous; a chain that does not verify gets the alert its failure names.
   */
  private async handleClientCertificate(msg: HandshakeMessage, next: ExpectFinished): Promise<void> {
    const chain = readClientCertificate(msg.body, new Uint8Array(0));
    this.transcript!.update(msg.raw);
    if (chain.length === 0) {
      if (this.config.clientAuth!.mode === "require") {
        throw new TlsAlert("certificate_required", "no client certificate");
      }
      this.state = next;
      return;
    }
    await verifyClientChain(chain, this.config.clientAuth!, this.provider, this.config.now());
    this.state = { name: "ExpectCertificateVerify", chain, then: next };
  }

  private async handleClientCertificateVerify(msg: HandshakeMessage, chain: Uint8Array[], next: ExpectFinished) {
    const scheme = await verifyClientCertificateVerify(msg.body, chain[0], this.transcript!.digest(), this.provider);
    this.transcript!.update(msg.raw);
    this.negotiated!.peerCertificates = chain;
    this.negotiated!.peerSignatureScheme = schemeName(scheme);
    this.state = next;
  }

  /** RFC 8446 §4.4.4: the client's Finished, compared in constant time; decrypt_error when it differs. */
  private handleClientFinished(msg: HandshakeMessage, s: ExpectFinished): void {
    const received = decodeFinished(msg.body, this.hash!.outputLength);
    const expected = finishedVerifyData(this.hash!, s.clientHandshakeSecret, this.transcript!.digest());
    if (!constantTimeEqual(received, expected)) throw new TlsAlert("decrypt_error", "client Finished does not verify");
    this.transcript!.update(msg.raw);
    this.setReadSecret(s.clientTrafficSecret);
    this.resumptionMasterSecret = s.master.resumptionMasterSecret(this.transcript!.digest());
    this.earlyDataSkipBudget = 0;
    this.state = { name: "Connected" };
    this.established();
    this.emit({ type: "handshake_complete", info: this.negotiated! });
    const chain = this.negotiated!.peerCertificates;
    if (chain.length > 0) this.emit({ type: "client_certificate", chain, context: null });
    const tickets = this.config.tickets;
    // Unless they went out with our flight already (sendTicketsWithFlight).
    if (tickets && tickets.count > 0 && this.ticketsSent === 0) this.sendTickets(tickets.count);
    this.closeIfDeferred();
  }

  // ----- post-handshake client authentication (RFC 8446 §4.6.2) -----

  /** True when the client offered post_handshake_auth (RFC 8446 §4.2.6) and client certificates are configured. */
  get canRequestClientCertificate(): boolean {
    return this.isHandshakeComplete && this.clientOffersPostHandshakeAuth && this.config.clientAuth !== null;
  }

  /**
   * Sends a CertificateRequest with a fresh context and returns the context; the answer arrives as a
   * `client_certificate` or `client_certificate_refused` event carrying the same context.
   */
  requestClientCertificate(): Uint8Array {
    if (!this.canRequestClientCertificate) {
      throw new TlsAlert("internal_error", "the client did not offer post-handshake authentication");
    }
    // RFC 8446 §4.3.2: the context is unique within the connection; 32 random bytes make it so.
    const context = this.provider.randomBytes(32);
    const raw = encodeHandshake(
      HandshakeType.certificate_request,
      certificateRequestBody(context, this.config.clientAuth!),
    );
    // RFC 8446 §4.4: the post-handshake transcript is the handshake's, through client Finished, then this request.
    const transcript = this.transcript!.clone();
    transcript.update(raw);
    this.pendingAuth.push({ context, transcript, expect: "certificate", chain: [], refused: null });
    this.sendHandshake(raw);
    this.flushHandshake();
    return context;
  }

  /** Certificate, then CertificateVerify (when the chain is not empty), then Finished, in order. */
  private async handlePostHandshakeAuth(p: PendingAuth, msg: HandshakeMessage): Promise<void> {
    if (p.expect === "certificate") {
      p.chain = readClientCertificate(msg.body, p.context);
      p.transcript.update(msg.raw);
      if (p.chain.length === 0) p.refused = { code: "no_certificate", reason: "the client has no certificate to send" };
      else {
        // A chain we cannot verify is refused, but the exchange finishes so that the connection stays usable.
        try {
          await verifyClientChain(p.chain, this.config.clientAuth!, this.provider, this.config.now());
        } catch (err) {
          p.refused = certificateErrorCode(err);
        }
      }
      p.expect = p.chain.length === 0 ? "finished" : "certificate_verify";
      return;
    }
    if (p.expect === "certificate_verify") {
      await verifyClientCertificateVerify(msg.body, p.chain[0], p.transcript.digest(), this.provider);
      p.transcript.update(msg.raw);
      p.expect = "finished";
      return;
    }
    const received = decodeFinished(msg.body, this.hash!.outputLength);
    const expected = finishedVerifyData(this.hash!, this.peerTrafficSecret, p.transcript.digest());
    if (!constantTimeEqual(received, expected)) {
      throw new TlsAlert("decrypt_error", "post-handshake Finished does not verify");
    }
    this.pendingAuth.shift();
    if (p.refused) {
      this.emit({ type: "client_certificate_refused", context: p.context, ...p.refused });
      return;
    }
    this.negotiated!.peerCertificates = p.chain;
    this.emit({ type: "client_certificate", chain: p.chain, context: p.context });
  }

  // ----- tickets -----

  /** RFC 8446 §4.6.1: a self-contained ticket sealed under the rotating ticket key. */
  private sendTicket(): void {
    const t = this.config.tickets!;
    const nonce = new Writer(2).u16(this.ticketsSent++ & 0xffff).finish();
    const age = this.provider.randomBytes(4);
    const ageAdd = ((age[0] << 24) >>> 0) + ((age[1] << 16) | (age[2] << 8) | age[3]);
    const state = encodeSessionState({
      cipherSuite: this.suite!.code,
      psk: ticketPsk(this.hash!, this.resumptionMasterSecret!, nonce),
      issuedAt: this.config.now(),
      lifetime: t.lifetime,
      ageAdd,
      maxEarlyData: t.maxEarlyDataSize,
      alpn: this.negotiated!.alpn,
      serverName: this.negotiated!.serverName,
      id: this.provider.randomBytes(16),
      clientCertificates: this.negotiated!.peerCertificates,
    });
    const extensions = t.maxEarlyDataSize > 0
      ? [{ type: ExtensionType.early_data, data: encodeMaxEarlyDataSize(t.maxEarlyDataSize) }]
      : [];
    const ticket = t.sealer.seal(state, this.config.now());
    this.sendHandshake(encodeHandshake(
      HandshakeType.new_session_ticket,
      encodeNewSessionTicket({ lifetime: t.lifetime, ageAdd, nonce, ticket, extensions }),
    ));
  }

  private earlySkipLimit(psk?: AcceptedPsk | null): number {
    // Ciphertext is what we count, so leave room for the per-record overhead beyond the plaintext limit.
    return (psk?.state.maxEarlyData || DEFAULT_EARLY_SKIP) + 16 * 1024;
  }

  private log(label: string, secret: Uint8Array): void {
    this.logKey(this.config.keyLog, label, secret);
  }
}

/** The Certificate message body depends only on the chain: encoded once per certificate, not per handshake. */
const certificateBodies = new WeakMap<ServerCertificate, Uint8Array>();

function certificateBody(cert: ServerCertificate): Uint8Array {
  let body = certificateBodies.get(cert);
  if (!body) certificateBodies.set(cert, body = encodeCertificate(new Uint8Array(0), cert.chain));
  return body;
}

function postHandshakeAuthExpects(p: PendingAuth, type: number): boolean {
  const wanted = p.expect === "certificate"
    ? HandshakeType.certificate
    : p.expect === "certificate_verify"
    ? HandshakeType.certificate_verify
    : HandshakeType.finished;
  return type === wanted;
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

/**
 * RFC 8446 §9.2: a certificate-authenticated handshake needs signature_algorithms; (EC)DHE needs
 * supported_groups and key_share together. Missing ones are missing_extension.
 */
function checkRequiredExtensions(hello: ClientHello, psk: AcceptedPsk | null): void {
  if (!psk && !hello.signatureAlgorithms) throw new TlsAlert("missing_extension", "no signature_algorithms");
  if (psk?.mode === PskKeyExchangeMode.psk_ke) return;
  if (!hello.supportedGroups) throw new TlsAlert("missing_extension", "no supported_groups");
  if (!hello.keyShares) throw new TlsAlert("missing_extension", "no key_share");
}

/** RFC 8446 §4.1.2, §4.2.8: the second ClientHello repeats the first, with one share for the requested group. */
function checkRetriedHello(hello: ClientHello, retry: CookieState, provider: ServerConfig["provider"]): void {
  if (!constantTimeEqual(helloDigest(provider, hello), retry.helloDigest)) {
    throw new TlsAlert("illegal_parameter", "second ClientHello does not match the first");
  }
  if (hello.keyShares!.length !== 1 || hello.keyShares![0].group !== retry.group) {
    throw new TlsAlert(
      "illegal_parameter",
      `second ClientHello must carry exactly one ${groupName(retry.group)} share`,
    );
  }
  if (hello.earlyData) throw new TlsAlert("illegal_parameter", "early_data after a HelloRetryRequest");
}

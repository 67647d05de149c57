/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, §4), sans-IO.
 *
 * Reads top to bottom as the client's flight: ClientHello → (HelloRetryRequest → ClientHello) → ServerHello,
 * EncryptedExtensions, [CertificateRequest], Certificate, CertificateVerify, Finished → [Certificate], Finished.
 * Each state is an `Expect*` value carrying only what that step needs; a message that fits no state is
 * unexpected_message, from one place (`onHandshakeMessage`).
 *
 * The ClientHello is queued by the constructor: `takeOutput()` right after `new` gives the first flight.
 */
import { TlsAlert } from "../alert.ts";
import { constantTimeEqual } from "../../crypto/ct.ts";
import type { KeyShare, TranscriptHash } from "../../crypto/provider.ts";
import { TlsConnection } from "../connection.ts";
import type { ConnectionInfo } from "../connection_info.ts";
import {
  EarlySecret,
  exportKeyingMaterial,
  finishedVerifyData,
  type HandshakeSecret,
} from "../key_schedule.ts";
import { keyLogLine } from "../key_log.ts";
import type { Certificate } from "../pki/certificate.ts";
import { MAX_PLAINTEXT } from "../record/framing.ts";
import { HandshakeType, ProtocolVersion, schemeName } from "../wire/constants.ts";
import { encodeCertificate } from "../wire/certificate.ts";
import { decodeCertificateVerify } from "../wire/certificate_verify.ts";
import { decodeEncryptedExtensions } from "../wire/encrypted_extensions.ts";
import { decodeFinished } from "../wire/finished.ts";
import { encodeHandshake, type HandshakeMessage } from "../wire/handshake.ts";
import { decodeNewSessionTicket } from "../wire/new_session_ticket.ts";
import { decodeServerHello, isHelloRetryRequest, type ServerHello } from "../wire/server_hello.ts";
import { readCertificateRequest } from "./certificate_request.ts";
import { type ClientConfig, groupCodes, sniName } from "./client_config.ts";
import { buildClientHello, type BuiltHello } from "./client_hello.ts";
import { readEncryptedExtensions } from "./encrypted_extensions.ts";
import { readHelloRetryRequest, retryTranscriptPrefix, type RetryRequest } from "./hello_retry.ts";
import {
  type CertificateStatus,
  checkCertificateVerify,
  parseLeaf,
  readServerCertificate,
} from "./server_auth.ts";
import { checkServerHelloFields, serverKeyShare } from "./server_hello.ts";

/** The handshake secret and both handshake traffic secrets (RFC 8446 §7.1). */
interface HandshakeKeys {
  secret: HandshakeSecret;
  client: Uint8Array;
  server: Uint8Array;
}

/** A CertificateRequest's context, or null when the server did not ask for a certificate. */
type Request = Uint8Array | null;

type ClientState =
  | { name: "ExpectServerHello"; hello: BuiltHello; shares: readonly KeyShare[]; retry: RetryRequest | null; prefix: Uint8Array[] }
  | { name: "ExpectEncryptedExtensions"; keys: HandshakeKeys }
  | { name: "ExpectCertificateOrRequest"; keys: HandshakeKeys }
  | { name: "ExpectCertificate"; keys: HandshakeKeys; request: Request }
  | { name: "ExpectCertificateVerify"; keys: HandshakeKeys; request: Request; leaf: Certificate }
  | { name: "ExpectFinished"; keys: HandshakeKeys; request: Request }
  | { name: "Connected" };

type In<N extends ClientState["name"]> = Extract<ClientState, { name: N }>;

export class ClientConnection extends TlsConnection {
  private state: ClientState;
  private transcript: TranscriptHash | null = null;
  private readonly clientRandom: Uint8Array;
  private readonly legacySessionId: Uint8Array;
  /** Extension types of the ClientHello the server answered. */
  private sent: ReadonlySet<number> = new Set();
  private retried = false;
  private sentChangeCipherSpec = false;
  private negotiated: Partial<ConnectionInfo> = {};
  private status: CertificateStatus | null = null;
  private exporterSecret: Uint8Array | null = null;
  /** Kept for session tickets (RFC 8446 §4.6.1), which a later step turns into PSKs. */
  protected resumptionMasterSecret: Uint8Array | null = null;

  constructor(readonly config: ClientConfig) {
    super(config.provider, config.maxHandshakeMessageSize);
    this.clientRandom = config.provider.randomBytes(32);
    // RFC 8446 Appendix D.4: in compatibility mode, a non-empty legacy_session_id makes us look like a TLS 1.2
    // resumption to middleboxes.
    this.legacySessionId = config.compatibilityMode ? config.provider.randomBytes(32) : new Uint8Array(0);
    const shares = config.keyShareGroups.map((g) => config.provider.keyExchange(g).generate());
    const hello = this.sendClientHello(shares);
    this.state = { name: "ExpectServerHello", hello, shares, retry: null, prefix: [] };
  }

  get info(): ConnectionInfo | null {
    return this.isHandshakeComplete ? this.negotiated as ConnectionInfo : null;
  }

  /** What became of the server's chain; null until its Certificate message has been processed. */
  get certificateStatus(): CertificateStatus | null {
    return this.status;
  }

  /** True when the server answered our first ClientHello with a HelloRetryRequest. */
  get helloRetried(): boolean {
    return this.retried;
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
    if ((s.name === "ExpectCertificateOrRequest" || s.name === "ExpectCertificate") && t === HandshakeType.certificate) {
      return await this.handleCertificate(msg, s.keys, s.name === "ExpectCertificate" ? s.request : null);
    }
    if (s.name === "ExpectCertificateVerify" && t === HandshakeType.certificate_verify) {
      return await this.handleCertificateVerify(msg, s);
    }
    if (s.name === "ExpectFinished" && t === HandshakeType.finished) return this.handleServerFinished(msg, s);
    throw new TlsAlert("unexpected_message", `unexpected handshake message ${msg.type} in ${s.name}`);
  }

  protected onPostHandshakeMessage(msg: HandshakeMessage): Promise<void> {
    // RFC 8446 §4.6.1: tickets are only announced for now; resumption comes with the session cache.
    if (msg.type === HandshakeType.new_session_ticket) {
      this.emit({ type: "session_ticket", ticket: decodeNewSessionTicket(msg.body) });
      return Promise.resolve();
    }
    // RFC 8446 §4.6.2: a post-handshake CertificateRequest needs our post_handshake_auth, which we never send.
    return Promise.reject(new TlsAlert("unexpected_message", `post-handshake message ${msg.type} from the server`));
  }

  /** RFC 8446 §5: a compatibility change_cipher_spec may arrive any time after our ClientHello until Finished. */
  protected acceptsChangeCipherSpec(): boolean {
    return this.state.name !== "Connected";
  }

  /** RFC 8446 §5.1: legacy_record_version 0x0301 for the initial ClientHello, as most clients send it. */
  protected override plaintextVersion(): number {
    return this.retried ? ProtocolVersion.TLS1_2 : ProtocolVersion.TLS1_0;
  }

  // ----- ClientHello and the server's answer -----

  private sendClientHello(shares: readonly KeyShare[], cookie?: Uint8Array): BuiltHello {
    const hello = buildClientHello(this.config, {
      random: this.clientRandom,
      legacySessionId: this.legacySessionId,
      shares,
      cookie,
    });
    this.sent = hello.sent;
    this.sendHandshake(hello.raw);
    this.flushHandshake();
    return hello;
  }

  private handleServerHello(msg: HandshakeMessage, s: In<"ExpectServerHello">): void {
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
    const share = serverKeyShare(sh, s.shares.map((k) => groupCodes[k.group]));
    const mine = s.shares.find((k) => groupCodes[k.group] === share.group)!;
    const shared = mine.agree(share.keyExchange);
    this.setSuite(suite);
    this.transcript = this.hash!.transcript();
    for (const m of [...s.prefix, s.hello.raw, msg.raw]) this.transcript.update(m);
    this.negotiated = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      group: mine.group,
      alpn: null,
      serverName: sniName(this.config.serverName),
      resumed: false,
      earlyDataAccepted: false,
      peerSignatureScheme: null,
      peerCertificates: [],
    };
    this.state = { name: "ExpectEncryptedExtensions", keys: this.enterHandshakeKeys(shared) };
  }

  /** RFC 8446 §7.1: handshake traffic secrets over ClientHello...ServerHello; the server writes next. */
  private enterHandshakeKeys(shared: Uint8Array): HandshakeKeys {
    const secret = EarlySecret.fromPsk(this.hash!).intoHandshake(shared);
    const { client, server } = secret.trafficSecrets(this.transcript!.digest());
    this.logKey("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client);
    this.logKey("SERVER_HANDSHAKE_TRAFFIC_SECRET", server);
    this.setReadSecret(server);
    // RFC 8446 Appendix D.4: the dummy change_cipher_spec goes before our first encrypted record.
    this.sendCompatibilityChangeCipherSpec();
    this.setWriteSecret(client);
    return { secret, client, server };
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
    // RFC 8446 Appendix D.4: "either before its second ClientHello or before its encrypted handshake flight".
    this.sendCompatibilityChangeCipherSpec();
    const hello = this.sendClientHello(shares, retry.cookie ?? undefined);
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
    this.transcript!.update(msg.raw);
    this.state = { name: "ExpectCertificateOrRequest", keys: s.keys };
  }

  /** RFC 8446 §4.3.2: we answer with an empty Certificate (client certificates come in a later step). */
  private handleCertificateRequest(msg: HandshakeMessage, s: In<"ExpectCertificateOrRequest">): void {
    const request = readCertificateRequest(msg.body);
    this.transcript!.update(msg.raw);
    this.state = { name: "ExpectCertificate", keys: s.keys, request: request.requestContext };
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
      const path = await verifier.verify(chain, { serverName: this.config.serverName, now: new Date(this.config.now()) });
      this.status = { verified: true, path };
    } catch (e) {
      if (this.config.certificateErrors !== "record" || !(e instanceof TlsAlert)) throw e;
      this.status = { verified: false, error: e };
    }
  }

  private async handleCertificateVerify(msg: HandshakeMessage, s: In<"ExpectCertificateVerify">): Promise<void> {
    const cv = decodeCertificateVerify(msg.body);
    await checkCertificateVerify(this.config.provider, s.leaf, cv, this.config.signatureSchemes, this.transcript!.digest());
    this.transcript!.update(msg.raw);
    this.negotiated.peerSignatureScheme = schemeName(cv.scheme);
    this.state = { name: "ExpectFinished", keys: s.keys, request: s.request };
  }

  /** RFC 8446 §4.4.4: the server's Finished, compared in constant time; decrypt_error when it differs. */
  private handleServerFinished(msg: HandshakeMessage, s: In<"ExpectFinished">): void {
    const received = decodeFinished(msg.body, this.hash!.outputLength);
    const expected = finishedVerifyData(this.hash!, s.keys.server, this.transcript!.digest());
    if (!constantTimeEqual(received, expected)) throw new TlsAlert("decrypt_error", "server Finished does not verify");
    this.transcript!.update(msg.raw);
    const master = s.keys.secret.intoMaster();
    const app = master.applicationSecrets(this.transcript!.digest());
    this.logKey("CLIENT_TRAFFIC_SECRET_0", app.client);
    this.logKey("SERVER_TRAFFIC_SECRET_0", app.server);
    this.logKey("EXPORTER_SECRET", app.exporter);
    this.setReadSecret(app.server);
    this.sendClientFlight(s);
    this.setWriteSecret(app.client);
    this.resumptionMasterSecret = master.resumptionMasterSecret(this.transcript!.digest());
    this.exporterSecret = app.exporter;
    this.state = { name: "Connected" };
    this.established();
    this.emit({ type: "handshake_complete", info: this.info! });
  }

  // ----- our second flight -----

  /** RFC 8446 §4.4.2: asked for a certificate, a client without one sends an empty Certificate; then Finished. */
  private sendClientFlight(s: In<"ExpectFinished">): void {
    if (s.request !== null) this.sendAndHash(HandshakeType.certificate, encodeCertificate(s.request, []));
    const verifyData = finishedVerifyData(this.hash!, s.keys.client, this.transcript!.digest());
    this.sendAndHash(HandshakeType.finished, verifyData);
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

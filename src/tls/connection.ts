/**
 * The sans-IO core shared by client and server: record layer in and out, handshake reassembly, alerts,
 * close_notify and KeyUpdate (RFC 8446 §5, §6, §4.6.3). Side-specific handshakes subclass it.
 *
 * Contract:
 * - `receive(bytes)` consumes all the bytes given (buffering partial records) and resolves with the events
 *   they caused. It takes ownership of `bytes`: the caller must not reuse the buffer. Calls must not
 *   overlap: await each before the next.
 * - `takeOutput()` hands over every byte the connection wants sent, in order; the caller owns them. After a
 *   failure the alert's bytes are still there to send, then the connection is closed.
 * - Nothing here touches a socket, a timer or a runtime global; randomness and the clock come from config.
 */
import { AlertDescription, TlsAlert } from "./alert.ts";
import { alertFor, failure } from "./failures.ts";
import { TlsUsageError } from "./usage_error.ts";
import type { Aead, CryptoProvider, Hash, TranscriptHash } from "../crypto/provider.ts";
import { keyLogLine } from "./key_log.ts";
import { concat } from "./wire/writer.ts";
import type { SuiteParams } from "./cipher_suite.ts";
import type { TlsEvent } from "./events.ts";
import { nextTrafficSecret, trafficKeys } from "./key_schedule.ts";
import { MAX_CIPHERTEXT, MAX_PLAINTEXT, type RawRecord, RecordFramer, recordHeader } from "./record/framing.ts";
import { RecordDecrypter, RecordEncrypter } from "./record/protection.ts";
import { ContentType, HandshakeType } from "./wire/constants.ts";
import { encodeHandshake, type HandshakeMessage, HandshakeReassembler } from "./wire/handshake.ts";
import { decodeKeyUpdate, encodeKeyUpdate } from "./wire/key_update.ts";

/** What takeOutput returns when there is nothing to send: one shared empty array, not one per call. */
const NOTHING = new Uint8Array(0);

export type Phase = "handshaking" | "connected" | "closed";

/** The traffic secrets of one direction, kept so that KeyUpdate can derive the next generation. */
interface Direction {
  secret: Uint8Array;
}

export abstract class TlsConnection {
  protected phase: Phase = "handshaking";
  protected suite: SuiteParams | null = null;
  protected hash: Hash | null = null;
  protected aead: Aead | null = null;

  private readonly framer = new RecordFramer();
  protected readonly reassembler: HandshakeReassembler;
  private reader: RecordDecrypter | null = null;
  private writer: RecordEncrypter | null = null;
  private readTraffic: Direction | null = null;
  private writeTraffic: Direction | null = null;
  /** Bumped on every read-key change, to catch a handshake message that straddles one (RFC 8446 §5.1). */
  private readEpoch = 0;
  /** Bytes of undecryptable records we may still skip: rejected 0-RTT (RFC 8446 §4.2.10). */
  protected earlyDataSkipBudget = 0;
  /** Largest TLSInnerPlaintext content the peer accepts (RFC 8449), minus the content type byte. */
  protected maxSendFragment = MAX_PLAINTEXT;
  private pendingHandshake: Uint8Array[] = [];
  private output: Uint8Array[] = [];
  private events: TlsEvent[] = [];
  private peerClosedWrite = false;
  private localClosedWrite = false;

  protected constructor(protected readonly provider: CryptoProvider, maxHandshakeMessage: number) {
    this.reassembler = new HandshakeReassembler(maxHandshakeMessage);
  }

  get isHandshakeComplete(): boolean {
    return this.phase === "connected";
  }

  get isClosed(): boolean {
    return this.phase === "closed";
  }

  /** Feeds bytes from the peer. Never throws for anything the peer sent: failures become a `failed` event. */
  async receive(data: Uint8Array): Promise<TlsEvent[]> {
    if (this.phase === "closed") return this.takeEvents();
    try {
      this.framer.push(data);
      for (;;) {
        const record = this.framer.next(this.reader ? MAX_CIPHERTEXT : MAX_PLAINTEXT);
        if (!record) break;
        await this.handleRecord(record);
        if (this.isClosed) break;
      }
      this.flushHandshake();
    } catch (err) {
      this.fail(err);
    }
    return this.takeEvents();
  }

  /** Every byte waiting to be sent, concatenated; empty when there is nothing. */
  takeOutput(): Uint8Array {
    const parts = this.output;
    if (parts.length === 0) return NOTHING;
    this.output = [];
    return parts.length === 1 ? parts[0] : concat(...parts);
  }

  get hasOutput(): boolean {
    return this.output.length > 0;
  }

  /** Queues application data, split into records the peer accepts. */
  send(data: Uint8Array): void {
    if (
      !(this.phase === "connected" || this.phase === "handshaking" && this.canSendBeforeComplete) ||
      this.localClosedWrite
    ) {
      throw new TlsUsageError("cannot_send", "cannot send: connection not established or already closed");
    }
    if (data.length > 0) this.output.push(this.sealRecords(ContentType.application_data, data));
  }

  /**
   * `content` cut into records the peer accepts, all sealed into one buffer: one allocation and one copy (by the
   * AEAD) per call, however many records it takes.
   */
  private sealRecords(type: number, content: Uint8Array): Uint8Array {
    const writer = this.writer!;
    const max = this.maxSendFragment;
    const full = Math.floor(content.length / max), rest = content.length % max;
    const out = new Uint8Array(full * writer.recordLength(max) + (rest > 0 ? writer.recordLength(rest) : 0));
    let at = 0;
    for (let o = 0; o < content.length; o += max) {
      at = writer.sealInto(type, content.subarray(o, Math.min(o + max, content.length)), out, at);
    }
    return out;
  }

  /** Sends close_notify (RFC 8446 §6.1): we will write nothing more; reading continues until the peer closes. */
  close(): void {
    if (this.localClosedWrite || this.phase === "closed") return;
    // A server answering 0-RTT data may want to close before the client's Finished has arrived; the close
    // waits for it, so that the session tickets sent on completion come before close_notify (RFC 8446 §6.1:
    // nothing after close_notify is read).
    if (this.phase === "handshaking" && this.canSendBeforeComplete) {
      this.closeWhenEstablished = true;
      return;
    }
    this.localClosedWrite = true;
    this.sendAlert(AlertDescription.close_notify);
    if (this.peerClosedWrite) this.phase = "closed";
  }

  /** Aborts with `alert` (user_canceled by default, RFC 8446 §6.1). */
  abort(alert: TlsAlert = failure("aborted")): void {
    this.fail(alert);
  }

  /** Sends KeyUpdate and switches to the next sending keys (RFC 8446 §4.6.3). */
  updateKeys(requestPeerUpdate: boolean): void {
    if (this.phase !== "connected") {
      throw new TlsUsageError("handshake_incomplete", "KeyUpdate before the handshake completed");
    }
    this.writeHandshakeNow(encodeHandshake(HandshakeType.key_update, encodeKeyUpdate(requestPeerUpdate)));
    this.setWriteSecret(nextTrafficSecret(this.hash!, this.writeTraffic!.secret));
  }

  // ----- for subclasses -----

  /** Handles one handshake message during the handshake. */
  protected abstract onHandshakeMessage(msg: HandshakeMessage): Promise<void>;

  /** Handles a post-handshake message other than KeyUpdate (tickets, post-handshake auth). */
  protected abstract onPostHandshakeMessage(msg: HandshakeMessage): Promise<void>;

  /** Whether a compatibility change_cipher_spec may arrive now (RFC 8446 §5, Appendix D.4). */
  protected abstract acceptsChangeCipherSpec(): boolean;

  /** True while accepted 0-RTT data is being read under the client's early traffic key (RFC 8446 §4.2.10). */
  protected receivingEarlyData = false;

  /** True once the server has sent its Finished: it may send data before the client's Finished (0.5-RTT). */
  protected canSendBeforeComplete = false;

  /** close() was called during 0.5-RTT; the subclass calls `closeIfDeferred()` once its completion messages are out. */
  private closeWhenEstablished = false;

  protected closeIfDeferred(): void {
    if (!this.closeWhenEstablished) return;
    this.closeWhenEstablished = false;
    this.close();
  }

  /** Handles one record of accepted early data; only the server accepts any. */
  protected onEarlyData(_content: Uint8Array): void {
    throw failure("early_data_not_accepted");
  }

  protected setSuite(suite: SuiteParams): void {
    this.suite = suite;
    this.hash = this.provider.hash(suite.hash);
    this.aead = this.provider.aead(suite.aead);
  }

  /** The peer's current traffic secret: the Base Key of a post-handshake Finished (RFC 8446 §4.4). */
  protected get peerTrafficSecret(): Uint8Array {
    return this.readTraffic!.secret;
  }

  protected setReadSecret(secret: Uint8Array): void {
    // RFC 8446 §5.1: handshake messages MUST NOT span key changes.
    if (this.reassembler.hasPartial) throw failure("key_change_not_at_record_boundary", "a message spans a key change");
    const { key, iv } = trafficKeys(this.hash!, secret, this.aead!.keyLength);
    this.reader = new RecordDecrypter(this.aead!, key, iv);
    this.readTraffic = { secret };
    this.readEpoch++;
  }

  protected setWriteSecret(secret: Uint8Array): void {
    this.flushHandshake();
    const { key, iv } = trafficKeys(this.hash!, secret, this.aead!.keyLength);
    this.writer = new RecordEncrypter(this.aead!, key, iv);
    this.writeTraffic = { secret };
  }

  /**
   * Back to unprotected writing: a client that sent 0-RTT data under the early key and then got a
   * HelloRetryRequest sends its second ClientHello in plaintext (RFC 8446 §4.1.4, §4.2.10).
   */
  protected clearWriteSecret(): void {
    this.flushHandshake();
    this.writer = null;
    this.writeTraffic = null;
  }

  /** The handshake transcript (RFC 8446 §4.4.1), once the suite's hash is known. */
  protected transcript: TranscriptHash | null = null;
  /** ClientHello.random: what key log lines are keyed by. */
  protected clientRandom: Uint8Array = new Uint8Array(0);

  /** Queues a handshake message and adds it to the transcript. */
  protected sendAndHash(type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.sendHandshake(raw);
    this.transcript!.update(raw);
  }

  /** An SSLKEYLOGFILE line, only when the application configured a key log. */
  protected logKey(keyLog: ((line: string) => void) | undefined, label: string, secret: Uint8Array): void {
    if (keyLog) keyLog(keyLogLine(label, this.clientRandom, secret));
  }

  /** Queues a handshake message; consecutive messages under the same keys share records. */
  protected sendHandshake(raw: Uint8Array): void {
    this.pendingHandshake.push(raw);
  }

  /** The middlebox-compatibility change_cipher_spec record (RFC 8446 Appendix D.4). */
  protected sendChangeCipherSpec(): void {
    this.flushHandshake();
    this.output.push(Uint8Array.of(ContentType.change_cipher_spec, 3, 3, 0, 1, 1));
  }

  protected established(): void {
    this.phase = "connected";
  }

  protected emit(event: TlsEvent): void {
    this.events.push(event);
  }

  protected flushHandshake(): void {
    if (this.pendingHandshake.length === 0) return;
    const parts = this.pendingHandshake;
    this.pendingHandshake = [];
    this.writeRecords(ContentType.handshake, parts.length === 1 ? parts[0] : concat(...parts));
  }

  // ----- records in -----

  private async handleRecord(record: RawRecord): Promise<void> {
    if (record.type === ContentType.change_cipher_spec) return this.handleChangeCipherSpec(record);
    if (this.reader === null) return this.handlePlaintextRecord(record);
    if (record.type !== ContentType.application_data) {
      // A peer that failed before deriving keys may still send a plaintext alert during the handshake.
      if (record.type === ContentType.alert && this.phase === "handshaking") return this.handleAlert(record.fragment);
      throw failure("unprotected_after_keys");
    }
    const inner = this.reader.open(record.header, record.fragment);
    if (inner === null) {
      if (this.earlyDataSkipBudget >= record.fragment.length) {
        this.earlyDataSkipBudget -= record.fragment.length;
        return;
      }
      throw failure("bad_record_mac");
    }
    this.earlyDataSkipBudget = 0;
    switch (inner.type) {
      case ContentType.handshake:
        return await this.handleHandshakeRecord(inner.content);
      case ContentType.alert:
        return this.handleAlert(inner.content);
      case ContentType.application_data:
        return this.handleApplicationData(inner.content);
      default:
        // RFC 8446 §5: an unknown or misplaced inner type (including protected change_cipher_spec).
        throw failure("inner_type_unexpected", `protected record of content type ${inner.type}`);
    }
  }

  private handlePlaintextRecord(record: RawRecord): Promise<void> | void {
    switch (record.type) {
      case ContentType.handshake:
        return this.handleHandshakeRecord(record.fragment);
      case ContentType.alert:
        return this.handleAlert(record.fragment);
      case ContentType.application_data:
        // RFC 8446 §4.2.10: after a HelloRetryRequest, rejected early data arrives before any key exists.
        if (this.earlyDataSkipBudget >= record.fragment.length) {
          this.earlyDataSkipBudget -= record.fragment.length;
          return;
        }
        throw failure("application_data_too_early", "application data before the handshake");
      default:
        throw failure("record_type_unknown", `record of content type ${record.type} before the handshake`);
    }
  }

  /** RFC 8446 §5: a single 0x01 byte, unprotected, only while the handshake runs; anything else is fatal. */
  private handleChangeCipherSpec(record: RawRecord): void {
    if (record.fragment.length !== 1 || record.fragment[0] !== 1) throw failure("change_cipher_spec_malformed");
    if (!this.acceptsChangeCipherSpec()) throw failure("change_cipher_spec_unexpected");
  }

  private async handleHandshakeRecord(content: Uint8Array): Promise<void> {
    const messages = this.reassembler.push(content);
    const epoch = this.readEpoch;
    for (let i = 0; i < messages.length; i++) {
      if (this.readEpoch !== epoch) {
        throw failure("key_change_not_at_record_boundary", "handshake data after a key change");
      }
      if (this.phase === "handshaking") await this.onHandshakeMessage(messages[i]);
      else if (messages[i].type === HandshakeType.key_update) this.handleKeyUpdate(messages[i]);
      else await this.onPostHandshakeMessage(messages[i]);
      if (this.isClosed) return;
    }
    if (this.readEpoch !== epoch && this.reassembler.hasPartial) {
      throw failure("key_change_not_at_record_boundary", "a message spans a key change");
    }
  }

  /** RFC 8446 §4.6.3 */
  private handleKeyUpdate(msg: HandshakeMessage): void {
    const requested = decodeKeyUpdate(msg.body);
    this.setReadSecret(nextTrafficSecret(this.hash!, this.readTraffic!.secret));
    // "If the request_update field is set to update_requested, the receiver MUST send a KeyUpdate of its own
    // with request_update set to update_not_requested prior to sending its next Application Data record."
    if (requested && !this.localClosedWrite) this.updateKeys(false);
    this.emit({ type: "key_update", requested });
  }

  private handleApplicationData(content: Uint8Array): void {
    if (this.phase !== "connected") {
      if (this.receivingEarlyData) return this.onEarlyData(content);
      throw failure("application_data_too_early", "application data before the handshake completed");
    }
    if (this.peerClosedWrite) throw failure("application_data_too_early", "application data after close_notify");
    if (content.length > 0) this.emit({ type: "data", data: content });
  }

  /** RFC 8446 §6: every alert but close_notify and user_canceled is fatal, whatever its level says. */
  private handleAlert(content: Uint8Array): void {
    if (content.length !== 2) throw failure("alert_malformed", `alert record of ${content.length} bytes`);
    const description = content[1];
    if (description === AlertDescription.close_notify) {
      this.peerClosedWrite = true;
      this.emit({ type: "peer_closed" });
      if (this.localClosedWrite || this.phase === "handshaking") this.phase = "closed";
      return;
    }
    if (description === AlertDescription.user_canceled) return;
    const alert = new TlsAlert(description, undefined, "remote");
    this.phase = "closed";
    this.emit({ type: "failed", alert });
  }

  // ----- records out -----

  private writeHandshakeNow(raw: Uint8Array): void {
    this.sendHandshake(raw);
    this.flushHandshake();
  }

  private writeRecords(type: number, content: Uint8Array): void {
    if (!this.writer) return this.writePlaintextRecords(type, content);
    this.output.push(content.length > 0 ? this.sealRecords(type, content) : this.writer.seal(type, content));
  }

  /** Before any key exists: TLSPlaintext records (RFC 8446 §5.1). */
  private writePlaintextRecords(type: number, content: Uint8Array): void {
    const max = this.maxSendFragment;
    let o = 0;
    do {
      const chunk = content.subarray(o, Math.min(o + max, content.length));
      const version = o === 0 && type === ContentType.handshake ? this.plaintextVersion() : 0x0303;
      const rec = new Uint8Array(5 + chunk.length);
      rec.set(recordHeader(type, chunk.length, version));
      rec.set(chunk, 5);
      this.output.push(rec);
      o += max;
    } while (o < content.length);
  }

  /** RFC 8446 §5.1: legacy_record_version; a client may use 0x0301 for its first ClientHello. */
  protected plaintextVersion(): number {
    return 0x0303;
  }

  private sendAlert(description: number): void {
    this.flushHandshake();
    const body = Uint8Array.of(description === AlertDescription.close_notify ? 1 : 2, description);
    if (this.writer) this.output.push(this.writer.seal(ContentType.alert, body));
    else this.output.push(new Uint8Array([ContentType.alert, 3, 3, 0, 2, ...body]));
  }

  /** Records a fatal error: the alert goes out (unless the peer sent it) and the connection is closed. */
  protected fail(err: unknown): void {
    if (this.phase === "closed") return;
    const alert = alertFor(err);
    if (alert.source === "local") {
      this.pendingHandshake = [];
      try {
        this.sendAlert(alert.description);
      } catch { /* the alert itself could not be sealed: nothing more to send */ }
    }
    this.phase = "closed";
    this.emit({ type: "failed", alert });
  }

  private takeEvents(): TlsEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}

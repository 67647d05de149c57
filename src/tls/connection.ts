/**
 * The sans-IO core both sides share: records in and their meaning (RFC 8446 §5), the connection's lifecycle,
 * alerts and close_notify (§6), KeyUpdate (§4.6.3). The record layer is a part it holds (record_layer.ts); each
 * side's handshake is a typed state machine in its subclass, which gets each handshake message from here.
 *
 * Contract:
 * - `receive(bytes)` consumes all the bytes given (buffering partial records) and resolves with the events
 *   they caused. It takes ownership of `bytes`: the caller must not reuse the buffer. Calls must not
 *   overlap: await each before the next.
 * - `takeOutput()` hands over every byte the connection wants sent, in order; the caller owns them. After a
 *   failure the alert's bytes are still there to send, then the connection is closed.
 * - Misuse (sending before the handshake allows it) throws a TlsUsageError and changes nothing.
 * - Nothing here touches a socket, a timer or a runtime global; randomness and the clock come from config.
 */
import { AlertDescription, TlsAlert } from "./alert.ts";
import type { CryptoProvider, TranscriptHash } from "../crypto/provider.ts";
import type { Suite } from "./cipher_suite.ts";
import type { TlsEvent } from "./events.ts";
import { alertFor, failure } from "./failures.ts";
import {
  type ApplicationTraffic,
  deriveApplicationTraffic,
  deriveHandshakeTraffic,
  type HandshakeContext,
  type HandshakeTraffic,
} from "./handshake.ts";
import type { EarlySecret, HandshakeSecret } from "./key_schedule.ts";
import type { RawRecord } from "./record/framing.ts";
import { RecordLayer } from "./record/record_layer.ts";
import { TlsUsageError } from "./usage_error.ts";
import { ContentType, handshakeName, HandshakeType } from "./wire/constants.ts";
import { encodeHandshake, type HandshakeMessage, HandshakeReassembler } from "./wire/handshake.ts";
import { decodeKeyUpdate, encodeKeyUpdate } from "./wire/key_update.ts";

/** Which end of the connection the engine plays. */
export type Side = "client" | "server";

/**
 * Where the connection stands (RFC 8446 §2, §6.1). During the handshake our direction is "unkeyed" until we
 * may send application data (a server after its Finished: 0.5-RTT), "closing" when close() came then (the
 * close_notify waits for the handshake's last messages), "closed" once close_notify is out. Once established,
 * each direction closes on its own; a fatal alert, or both close_notify alerts, close the connection.
 */
type Lifecycle =
  | { name: "handshaking"; ours: "unkeyed" | "open" | "closing" | "closed" }
  | { name: "established"; ours: "open" | "closed"; theirs: "open" | "closed" }
  | { name: "closed" };

/** Records of rejected 0-RTT data still to skip (RFC 8446 §4.2.10), in bytes of ciphertext. */
interface EarlySkip {
  budget: number;
}

/** RFC 8446 §5.1: empty records in a row before the peer is taken for a flood (as BoringSSL's kMaxEmptyRecords). */
const MAX_EMPTY_RECORDS = 32;

const precedesKeyChange: ReadonlySet<number> = new Set([
  HandshakeType.client_hello,
  HandshakeType.server_hello,
  HandshakeType.end_of_early_data,
  HandshakeType.finished,
  HandshakeType.key_update,
]);

/**
 * The sans-IO core both sides share: bytes in through `receive()`, bytes out through `takeOutput()`, events
 * returned; the record layer, lifecycle, alerts, close_notify and KeyUpdate (RFC 8446 §5, §6, §4.6.3).
 */
export abstract class TlsConnection {
  /**
   * The record layer both sides write and key through.
   *
   * @ignore engine plumbing between the two sides, not API
   */
  protected readonly records: RecordLayer = new RecordLayer();
  private readonly reassembler: HandshakeReassembler;
  private lifecycle: Lifecycle = { name: "handshaking", ours: "unkeyed" };
  private events: TlsEvent[] = [];
  /** Non-null while rejected early data may still arrive and be skipped. */
  private earlySkip: EarlySkip | null = null;
  /** Records with no content in a row (RFC 8446 §5.1 allows them; a flood of them is refused). */
  private emptyRecords = 0;
  private changeCipherSpecSeen = false;

  /** `maxHandshakeMessage` bounds what the reassembler buffers for one handshake message. */
  protected constructor(
    readonly side: Side,
    protected readonly provider: CryptoProvider,
    maxHandshakeMessage: number,
  ) {
    this.reassembler = new HandshakeReassembler(maxHandshakeMessage);
  }

  /** Both Finished messages verified: application data may flow both ways. */
  get isHandshakeComplete(): boolean {
    return this.lifecycle.name === "established";
  }

  /** Closed: by close_notify both ways, an alert, or `close()`; nothing more is read or sent. */
  get isClosed(): boolean {
    return this.lifecycle.name === "closed";
  }

  /** Feeds bytes from the peer. Never throws for anything the peer sent: failures become a `failed` event. */
  async receive(data: Uint8Array): Promise<TlsEvent[]> {
    if (this.isClosed || this.peerClosed) return this.takeEvents();
    try {
      this.records.push(data);
      for (let record; (record = this.records.nextRecord());) {
        const pending = this.handleRecord(record);
        if (pending) await pending;
        if (this.isClosed || this.peerClosed) break;
      }
      // RFC 8446 §6.1: "Any data received after a closure alert has been received MUST be ignored."
      if (this.peerClosed) this.records.discardInput();
      this.records.flushHandshake();
    } catch (err) {
      this.fail(err);
    }
    return this.takeEvents();
  }

  /** Every byte waiting to be sent, concatenated; empty when there is nothing. */
  takeOutput(): Uint8Array {
    return this.records.takeOutput();
  }

  /** Bytes wait in `takeOutput()`. */
  get hasOutput(): boolean {
    return this.records.hasOutput;
  }

  /** Queues application data, split into records the peer accepts. */
  send(data: Uint8Array): void {
    const l = this.lifecycle;
    if (l.name === "closed" || l.ours !== "open") {
      throw new TlsUsageError("cannot_send", "cannot send: connection not established or already closed");
    }
    this.records.writeApplicationData(data);
  }

  /** Sends close_notify (RFC 8446 §6.1): we will write nothing more; reading continues until the peer closes. */
  close(): void {
    const l = this.lifecycle;
    if (l.name === "closed" || l.ours === "closed" || l.ours === "closing") return;
    // A server answering 0-RTT data may want to close before the client's Finished has arrived; the close
    // waits for it, so that the session tickets sent on completion come before close_notify (RFC 8446 §6.1:
    // nothing after close_notify is read).
    if (l.name === "handshaking" && l.ours === "open") {
      this.lifecycle = { name: "handshaking", ours: "closing" };
      return;
    }
    this.records.writeAlert(AlertDescription.close_notify);
    if (l.name === "handshaking") this.lifecycle = { name: "handshaking", ours: "closed" };
    else this.lifecycle = l.theirs === "closed" ? { name: "closed" } : { ...l, ours: "closed" };
  }

  /** Aborts with `alert` (user_canceled by default, RFC 8446 §6.1). */
  abort(alert: TlsAlert = failure("aborted")): void {
    this.fail(alert);
  }

  /** Sends KeyUpdate and switches to the next sending keys (RFC 8446 §4.6.3). */
  updateKeys(requestPeerUpdate: boolean): void {
    if (this.lifecycle.name !== "established") {
      throw new TlsUsageError("handshake_incomplete", "KeyUpdate before the handshake completed");
    }
    this.records.queueHandshake(encodeHandshake(HandshakeType.key_update, encodeKeyUpdate(requestPeerUpdate)));
    this.records.updateWriteKeys();
  }

  // ----- for the sides -----

  /** Handles one handshake message while the handshake runs; the side's state decides what fits. */
  protected abstract onHandshakeMessage(msg: HandshakeMessage): void | Promise<void>;

  /** Handles a post-handshake message other than KeyUpdate (tickets, post-handshake auth). */
  protected abstract onPostHandshakeMessage(msg: HandshakeMessage): void | Promise<void>;

  /** Whether a compatibility change_cipher_spec may arrive now (RFC 8446 §5, Appendix D.4). */
  protected abstract acceptsChangeCipherSpec(): boolean;

  /** Application data before the handshake completed: accepted early data on a server, an error otherwise. */
  protected onEarlyApplicationData(_content: Uint8Array): void {
    throw failure("application_data_too_early", "application data before the handshake completed");
  }

  /** Queues a handshake message and adds it to `transcript` (RFC 8446 §4.4.1). */
  protected sendMessage(transcript: TranscriptHash, type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.records.queueHandshake(raw);
    transcript.update(raw);
  }

  /** Queues an event for the caller of `receive()`. */
  protected emit(event: TlsEvent): void {
    this.events.push(event);
  }

  /**
   * RFC 8446 §7.1, §7.3: the ServerHello is in the transcript, so both handshake traffic secrets exist; the
   * server's direction switches to its key at once (the server writes, the client reads, under it next).
   *
   * @ignore engine plumbing between the two sides, not API
   */
  protected enterHandshakeTraffic(ctx: HandshakeContext, early: EarlySecret, shared?: Uint8Array): HandshakeTraffic {
    const traffic = deriveHandshakeTraffic(ctx, early, shared);
    this.keyServerDirection(ctx.suite, traffic.server);
    return traffic;
  }

  /**
   * RFC 8446 §7.1: the server's Finished is in the transcript, so the application secrets exist, and the
   * server's direction switches to them (the server may now send 0.5-RTT data; the client reads it).
   *
   * @ignore engine plumbing between the two sides, not API
   */
  protected enterApplicationTraffic(ctx: HandshakeContext, handshake: HandshakeSecret): ApplicationTraffic {
    const traffic = deriveApplicationTraffic(ctx, handshake);
    this.keyServerDirection(ctx.suite, traffic.server);
    const l = this.lifecycle;
    if (this.side === "server" && l.name === "handshaking" && l.ours === "unkeyed") {
      this.lifecycle = { name: "handshaking", ours: "open" };
    }
    return traffic;
  }

  /**
   * Installs the key of the client's direction: the client writes under it, the server reads.
   *
   * @ignore engine plumbing between the two sides, not API
   */
  protected keyClientDirection(suite: Suite, secret: Uint8Array): void {
    if (this.side === "client") this.records.setWriteKeys(suite, secret);
    else this.setReadKeys(suite, secret);
  }

  /** Installs the key of the server's direction: the server writes under it, the client reads. */
  private keyServerDirection(suite: Suite, secret: Uint8Array): void {
    if (this.side === "server") this.records.setWriteKeys(suite, secret);
    else this.setReadKeys(suite, secret);
  }

  /** Switches reads to a new key, refusing a handshake message left half-read under the old one. */
  private setReadKeys(suite: Suite, secret: Uint8Array): void {
    // RFC 8446 §5.1: handshake messages MUST NOT span key changes.
    if (this.reassembler.hasPartial) throw failure("key_change_not_at_record_boundary", "a message spans a key change");
    this.records.setReadKeys(suite, secret);
  }

  /**
   * The handshake is complete: `completion` queues what goes out with it (a server's session tickets), then a
   * close() that came during 0.5-RTT takes effect.
   */
  protected complete(completion?: () => void): void {
    const l = this.lifecycle;
    if (l.name !== "handshaking") return;
    this.earlySkip = null;
    this.lifecycle = { name: "established", ours: l.ours === "closed" ? "closed" : "open", theirs: "open" };
    completion?.();
    if (l.ours === "closing") this.close();
  }

  /**
   * Rejected 0-RTT data may arrive now; up to `budget` bytes of it are skipped (RFC 8446 §4.2.10). Null ends
   * the skipping: after a HelloRetryRequest, the second ClientHello is where early data can no longer come.
   */
  protected skipEarlyData(budget: number | null): void {
    this.earlySkip = budget === null ? null : { budget };
  }

  /** The peer sent close_notify: nothing it sends from now on is read (RFC 8446 §6.1). */
  private get peerClosed(): boolean {
    const l = this.lifecycle;
    return l.name === "established" && l.theirs === "closed";
  }

  /** True while we may write application data (0.5-RTT or established, not closed). */
  protected get canSend(): boolean {
    const l = this.lifecycle;
    return l.name !== "closed" && l.ours === "open";
  }

  // ----- records in -----

  /** One record from the framer: change_cipher_spec, plaintext before keys, or protected (§5). */
  private handleRecord(record: RawRecord): void | Promise<void> {
    if (record.type === ContentType.change_cipher_spec) return this.handleChangeCipherSpec(record);
    if (!this.records.readsProtected) return this.handlePlaintextRecord(record);
    if (record.type !== ContentType.application_data) {
      // A peer that failed before deriving keys may still send a plaintext alert during the handshake.
      if (record.type === ContentType.alert && this.lifecycle.name === "handshaking") {
        return this.handleAlert(record.fragment);
      }
      throw failure("unprotected_after_keys");
    }
    const inner = this.records.open(record);
    if (inner === null) {
      if (this.earlySkip && this.earlySkip.budget >= record.fragment.length) {
        this.earlySkip.budget -= record.fragment.length;
        return;
      }
      throw failure("bad_record_mac");
    }
    this.earlySkip = null;
    return this.handleContent(inner.type, inner.content);
  }

  /** A record before the peer's keys exist: application data there is only rejected early data to skip (§4.2.10). */
  private handlePlaintextRecord(record: RawRecord): void | Promise<void> {
    if (record.type !== ContentType.application_data) return this.handleContent(record.type, record.fragment);
    this.checkNotInterleaved("application data");
    // RFC 8446 §4.2.10: after a HelloRetryRequest, rejected early data arrives before any key exists.
    if (this.earlySkip && this.earlySkip.budget >= record.fragment.length) {
      this.earlySkip.budget -= record.fragment.length;
      return;
    }
    throw failure("application_data_too_early", "application data before the handshake");
  }

  /** What a record carries, by its (inner) content type (RFC 8446 §5, §5.4). */
  private handleContent(type: number, content: Uint8Array): void | Promise<void> {
    if (content.length > 0) this.emptyRecords = 0;
    switch (type) {
      case ContentType.handshake:
        return this.handleHandshakeRecord(content);
      case ContentType.alert:
        return this.handleAlert(content);
      case ContentType.application_data:
        this.checkNotInterleaved("application data");
        // RFC 8446 §5.1 allows empty application data records; BoringSSL and OpenSSL stop at 32 in a row.
        if (content.length === 0 && ++this.emptyRecords > MAX_EMPTY_RECORDS) {
          throw failure("too_many_empty_records", `${this.emptyRecords} empty records in a row`);
        }
        return this.handleApplicationData(content);
      default:
        // RFC 8446 §5: an unknown or misplaced inner type (including protected change_cipher_spec).
        throw failure("inner_type_unexpected", `protected record of content type ${type}`);
    }
  }

  /**
   * RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other record types": while part of one
   * is held, only handshake records (or the peer's alert) may follow.
   */
  private checkNotInterleaved(what: string): void {
    if (this.reassembler.hasPartial) {
      throw failure("record_interleaved", `${what} inside a fragmented handshake message`);
    }
  }

  /**
   * RFC 8446 §5: a single 0x01 byte, unprotected, only between the first ClientHello and the peer's Finished,
   * and (Appendix D.4: the compatibility mode sends one) only once.
   */
  private handleChangeCipherSpec(record: RawRecord): void {
    this.checkNotInterleaved("change_cipher_spec");
    if (record.fragment.length !== 1 || record.fragment[0] !== 1) throw failure("change_cipher_spec_malformed");
    if (!this.acceptsChangeCipherSpec()) throw failure("change_cipher_spec_unexpected");
    if (this.changeCipherSpecSeen) throw failure("change_cipher_spec_repeated");
    this.changeCipherSpecSeen = true;
  }

  /** Handshake content: reassembled into messages (§5.1), each handed to the side's handshake in order. */
  private handleHandshakeRecord(content: Uint8Array): void | Promise<void> {
    this.reassembler.push(content);
    return this.handleHandshakeMessages();
  }

  /**
   * Every message the reassembler holds, in order. Steps that await (signing, chain verification, replay
   * stores) return a promise and the rest continues after it; all others run without one.
   */
  private handleHandshakeMessages(): void | Promise<void> {
    for (let msg; (msg = this.reassembler.next());) {
      // RFC 8446 §5.1: "Because the ClientHello, EndOfEarlyData, ServerHello, Finished, and KeyUpdate messages
      // can immediately precede a key change, implementations MUST send these messages in alignment with a
      // record boundary": checked before the message is acted on, so nothing goes out in answer to it.
      if (precedesKeyChange.has(msg.type) && this.reassembler.hasMore) {
        throw failure("key_change_not_at_record_boundary", `more data after ${handshakeName(msg.type)} in its record`);
      }
      const pending = this.lifecycle.name === "handshaking"
        ? this.onHandshakeMessage(msg)
        : msg.type === HandshakeType.key_update
        ? this.handleKeyUpdate(msg)
        : this.onPostHandshakeMessage(msg);
      if (pending) return pending.then(() => this.isClosed ? undefined : this.handleHandshakeMessages());
      if (this.isClosed) return;
    }
  }

  /** RFC 8446 §4.6.3 */
  private handleKeyUpdate(msg: HandshakeMessage): void {
    const requested = decodeKeyUpdate(msg.body);
    this.records.updateReadKeys();
    // "If the request_update field is set to update_requested, the receiver MUST send a KeyUpdate of its own
    // with request_update set to update_not_requested prior to sending its next Application Data record."
    if (requested && this.canSend) this.updateKeys(false);
    this.emit({ type: "key_update", requested });
  }

  /** Decrypted application data: early data before the handshake completes (the side decides), else a `data` event. */
  private handleApplicationData(content: Uint8Array): void {
    const l = this.lifecycle;
    if (l.name !== "established") return this.onEarlyApplicationData(content);
    if (content.length > 0) this.emit({ type: "data", data: content });
  }

  /** RFC 8446 §6: every alert but close_notify and user_canceled is fatal, whatever its level says. */
  private handleAlert(content: Uint8Array): void {
    // RFC 8446 §5.1: an alert record holds one whole alert; an empty one is no alert at all (as OpenSSL sees it).
    if (content.length === 0) throw failure("empty_alert_record");
    if (content.length !== 2) throw failure("alert_malformed", `alert record of ${content.length} bytes`);
    const description = content[1];
    if (description === AlertDescription.close_notify) return this.closeNotifyReceived();
    if (description === AlertDescription.user_canceled) return;
    this.lifecycle = { name: "closed" };
    this.emit({ type: "failed", alert: new TlsAlert(description, undefined, "remote") });
  }

  /** RFC 8446 §6.1: the peer sends nothing more; an established connection may still write until it closes too. */
  private closeNotifyReceived(): void {
    const l = this.lifecycle;
    this.emit({ type: "peer_closed" });
    if (l.name === "established" && l.ours === "open") this.lifecycle = { ...l, theirs: "closed" };
    else this.lifecycle = { name: "closed" };
  }

  /** Records a fatal error: the alert goes out (unless the peer sent it) and the connection is closed. */
  protected fail(err: unknown): void {
    if (this.isClosed) return;
    const alert = alertFor(err);
    if (alert.source === "local") {
      this.records.dropPendingHandshake();
      try {
        this.records.writeAlert(alert.description);
      } catch { /* the alert itself could not be sealed: nothing more to send */ }
    }
    this.lifecycle = { name: "closed" };
    this.emit({ type: "failed", alert });
  }

  /** The events queued since the last call, handed over once. */
  private takeEvents(): TlsEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}

/**
 * One connection's record layer (RFC 8446 §5): the bytes that arrive, framed into records and opened under the
 * current read key; what we send (handshake messages coalesced into records, application data, alerts, the
 * compatibility change_cipher_spec), sealed under the current write key into one output queue. Each
 * direction keeps the traffic secret its key came from, so that KeyUpdate derives the next one here (§7.2).
 *
 * It knows no handshake state: the connection decides what a record means and when keys change.
 */
import { concat } from "../../bytes.ts";
import type { Suite } from "../cipher_suite.ts";
import { nextTrafficSecret, trafficKeys } from "../key_schedule.ts";
import { ContentType } from "../wire/constants.ts";
import { MAX_CIPHERTEXT, MAX_PLAINTEXT, type RawRecord, RecordFramer, recordHeader } from "./framing.ts";
import { type InnerPlaintext, RecordDecrypter, RecordEncrypter } from "./protection.ts";

/** What takeOutput returns when there is nothing to send: one shared empty array, not one per call. */
const NOTHING = new Uint8Array(0);

/** One direction's protection, with the suite and secret it was made from. */
interface Keyed<P> {
  suite: Suite;
  secret: Uint8Array;
  protection: P;
}

export class RecordLayer {
  private readonly framer = new RecordFramer();
  private reader: Keyed<RecordDecrypter> | null = null;
  private writer: Keyed<RecordEncrypter> | null = null;
  private output: Uint8Array[] = [];
  private pendingHandshake: Uint8Array[] = [];
  private sentChangeCipherSpec = false;
  /** Largest TLSInnerPlaintext content the peer accepts (RFC 8449), without the content type byte. */
  maxSendFragment = MAX_PLAINTEXT;
  /** RFC 8446 §5.1: legacy_record_version of plaintext records; a client may use 0x0301 for its first ClientHello. */
  plaintextVersion = 0x0303;

  // ----- in -----

  /** Takes ownership of `bytes` (records may be views into it). */
  push(bytes: Uint8Array): void {
    this.framer.push(bytes);
  }

  /** The next complete record, its length checked against what the read state allows; null for more bytes. */
  nextRecord(): RawRecord | null {
    return this.framer.next(this.reader ? MAX_CIPHERTEXT : MAX_PLAINTEXT);
  }

  /** Drops whatever is buffered: nothing after the peer's close_notify is read (RFC 8446 §6.1). */
  discardInput(): void {
    this.framer.clear();
  }

  get readsProtected(): boolean {
    return this.reader !== null;
  }

  /** Opens a protected record; null when it does not authenticate (the caller decides: skip or bad_record_mac). */
  open(record: RawRecord): InnerPlaintext | null {
    return this.readKeys().protection.open(record.header, record.fragment);
  }

  setReadKeys(suite: Suite, secret: Uint8Array): void {
    const { key, iv } = trafficKeys(suite.hash, secret, suite.aead.keyLength);
    this.reader = { suite, secret, protection: new RecordDecrypter(suite.aead, key, iv) };
  }

  /** RFC 8446 §4.6.3: the peer's next application_traffic_secret. */
  updateReadKeys(): void {
    const r = this.readKeys();
    this.setReadKeys(r.suite, nextTrafficSecret(r.suite.hash, r.secret));
  }

  /** The peer's current traffic secret: the Base Key of a post-handshake Finished it sends (RFC 8446 §4.4). */
  get readSecret(): Uint8Array {
    return this.readKeys().secret;
  }

  // ----- out -----

  /** Queues a handshake message; consecutive messages under the same keys share records. */
  queueHandshake(raw: Uint8Array): void {
    this.pendingHandshake.push(raw);
  }

  flushHandshake(): void {
    const parts = this.pendingHandshake;
    if (parts.length === 0) return;
    this.pendingHandshake = [];
    this.writeRecords(ContentType.handshake, concat(parts));
  }

  /** Forgets queued handshake messages: after a failure only the alert goes out. */
  dropPendingHandshake(): void {
    this.pendingHandshake = [];
  }

  /** Application data, cut into records the peer accepts, all sealed into one buffer. */
  writeApplicationData(data: Uint8Array): void {
    if (data.length > 0) this.output.push(this.sealRecords(ContentType.application_data, data));
  }

  /** RFC 8446 Appendix D.4: the middlebox-compatibility change_cipher_spec, at most once a connection. */
  writeChangeCipherSpec(): void {
    if (this.sentChangeCipherSpec) return;
    this.sentChangeCipherSpec = true;
    this.flushHandshake();
    this.output.push(Uint8Array.of(ContentType.change_cipher_spec, 3, 3, 0, 1, 1));
  }

  /** An alert (RFC 8446 §6): warning level for close_notify, fatal for the rest; protected once keys exist. */
  writeAlert(description: number): void {
    this.flushHandshake();
    const body = Uint8Array.of(description === 0 ? 1 : 2, description);
    if (this.writer) this.output.push(this.writer.protection.seal(ContentType.alert, body));
    else this.output.push(Uint8Array.of(ContentType.alert, 3, 3, 0, 2, ...body));
  }

  setWriteKeys(suite: Suite, secret: Uint8Array): void {
    this.flushHandshake();
    const { key, iv } = trafficKeys(suite.hash, secret, suite.aead.keyLength);
    this.writer = { suite, secret, protection: new RecordEncrypter(suite.aead, key, iv) };
  }

  /**
   * Back to unprotected writing: a client that sent 0-RTT data under the early key and then got a
   * HelloRetryRequest sends its second ClientHello in plaintext (RFC 8446 §4.1.4, §4.2.10).
   */
  clearWriteKeys(): void {
    this.flushHandshake();
    this.writer = null;
  }

  /** RFC 8446 §4.6.3: our next application_traffic_secret. */
  updateWriteKeys(): void {
    const w = this.writeKeys();
    this.setWriteKeys(w.suite, nextTrafficSecret(w.suite.hash, w.secret));
  }

  /** Our current traffic secret: the Base Key of a post-handshake Finished we send (RFC 8446 §4.4). */
  get writeSecret(): Uint8Array {
    return this.writeKeys().secret;
  }

  /** Every byte waiting to be sent, concatenated; the caller owns it. Empty when there is nothing. */
  takeOutput(): Uint8Array {
    const parts = this.output;
    if (parts.length === 0) return NOTHING;
    this.output = [];
    return concat(parts);
  }

  get hasOutput(): boolean {
    return this.output.length > 0;
  }

  /** The keys in use; asking before there are any is a bug of ours (internal_error), never the peer's doing. */
  private readKeys(): Keyed<RecordDecrypter> {
    if (!this.reader) throw new Error("no read key installed");
    return this.reader;
  }

  private writeKeys(): Keyed<RecordEncrypter> {
    if (!this.writer) throw new Error("no write key installed");
    return this.writer;
  }

  private writeRecords(type: number, content: Uint8Array): void {
    if (!this.writer) return this.writePlaintextRecords(type, content);
    this.output.push(content.length > 0 ? this.sealRecords(type, content) : this.writer.protection.seal(type, content));
  }

  /**
   * `content` cut into records the peer accepts, all sealed into one buffer: one allocation and one copy (by the
   * AEAD) per call, however many records it takes.
   */
  private sealRecords(type: number, content: Uint8Array): Uint8Array {
    const writer = this.writeKeys().protection;
    const max = this.maxSendFragment;
    const full = Math.floor(content.length / max), rest = content.length % max;
    const out = new Uint8Array(full * writer.recordLength(max) + (rest > 0 ? writer.recordLength(rest) : 0));
    let at = 0;
    for (let o = 0; o < content.length; o += max) {
      at = writer.sealInto(type, content.subarray(o, Math.min(o + max, content.length)), out, at);
    }
    return out;
  }

  /** Before any key exists: TLSPlaintext records (RFC 8446 §5.1). */
  private writePlaintextRecords(type: number, content: Uint8Array): void {
    const max = this.maxSendFragment;
    let o = 0;
    do {
      const chunk = content.subarray(o, Math.min(o + max, content.length));
      const version = o === 0 && type === ContentType.handshake ? this.plaintextVersion : 0x0303;
      const rec = new Uint8Array(5 + chunk.length);
      rec.set(recordHeader(type, chunk.length, version));
      rec.set(chunk, 5);
      this.output.push(rec);
      o += max;
    } while (o < content.length);
  }
}

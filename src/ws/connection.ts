/**
 * The WebSocket connection as a sans-IO state machine (RFC 6455 §5-§7), for either role: bytes in, events
 * out; messages in, frames out. It owns no socket and no timer (the session does, session.ts).
 *
 * Contract (after h11's `Connection` and our TLS engine):
 * - `receive(bytes)` hands bytes over (they are unmasked in place) and returns the events they complete.
 *   Pings are answered by itself (§5.5.2), a peer's Close by echoing it (§5.5.1).
 * - `send`, `ping`, `close` queue frames; `takeOutput()` hands out everything queued, in order. Output queued
 *   by a failure (our Close with the error's code) is still there to take after the "failed" event.
 * - States: "open"; "closing" once we have sent Close and wait for the peer's; "closed" once both Close
 *   frames have crossed or the connection failed. A failed connection reads nothing more (§7.1.7).
 * - After we send Close we send no more data (§5.5.1), and messages still arriving are dropped.
 */
import { concat } from "../bytes.ts";
import { type CloseInfo, encodeClosePayload, parseClosePayload } from "./close_frame.ts";
import { CloseCode, WebSocketError } from "./errors.ts";
import { type DataOpcode, encodeFrame, type FrameHeader, isControl, Opcode } from "./frame.ts";
import { FrameDecoder } from "./frame_decoder.ts";
import { type Message, MessageAssembler } from "./message.ts";

/** Which end we are: a server expects masked frames and sends unmasked ones (§5.1); a client the reverse. */
export type Role = "server" | "client";

/** The connection's state; see the module's contract. */
export type ConnectionState = "open" | "closing" | "closed";

/** What `receive()` reports. */
export type WebSocketEvent =
  | Message
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  /** The close handshake completed: `code` and `reason` are the peer's; `initiator` says who sent Close first. */
  | { type: "close"; code: number; reason: string; initiator: "peer" | "local" }
  /** The connection failed (the peer broke a rule): our Close with `error.closeCode` is queued. */
  | { type: "failed"; error: WebSocketError };

/** Options of a `WebSocketConnection`. */
export interface ConnectionOptions {
  role: Role;
  /** The largest message accepted, in bytes; beyond it the connection fails with 1009. Default 16 MiB. */
  maxMessageSize?: number;
}

/** The default `maxMessageSize`: 16 MiB, as Bun's WebSocket server has. */
export const defaultMaxMessageSize = 16 * 1024 * 1024;

const encoder = new TextEncoder();

/** A WebSocket connection's protocol state for one role; see the module's contract. */
export class WebSocketConnection {
  readonly role: Role;
  readonly #decoder: FrameDecoder;
  readonly #message: MessageAssembler;
  #state: ConnectionState = "open";
  #output: Uint8Array[] = [];
  #outputBytes = 0;
  /** The control frame being read (its payload is at most 125 bytes), or null while reading data. */
  #control: { opcode: number; parts: Uint8Array[] } | null = null;
  #frameFin = false;
  #events: WebSocketEvent[] = [];

  /** A connection in the "open" state: the opening handshake is the HTTP layer's (handshake.ts). */
  constructor(options: ConnectionOptions) {
    this.role = options.role;
    this.#decoder = new FrameDecoder(options.role === "server");
    this.#message = new MessageAssembler(options.maxMessageSize ?? defaultMaxMessageSize);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Bytes queued for the peer and not yet taken. */
  get outputBytes(): number {
    return this.#outputBytes;
  }

  /** Bytes received and not yet decoded (at most one partial frame header, since payloads stream through). */
  get bufferedInput(): number {
    return this.#decoder.buffered;
  }

  receive(bytes: Uint8Array): WebSocketEvent[] {
    if (this.#state === "closed") return [];
    this.#decoder.feed(bytes);
    try {
      while (this.state !== "closed") {
        const event = this.#decoder.next();
        if (event === null) break;
        if (event.type === "header") this.#onHeader(event.header);
        else this.#onPayload(event.data, event.end);
      }
    } catch (error) {
      if (!(error instanceof WebSocketError)) throw error;
      this.#fail(error);
    }
    const events = this.#events;
    this.#events = [];
    return events;
  }

  /** Queues a message; returns false (and sends nothing) once the connection is closing or closed. */
  send(data: string | Uint8Array): boolean {
    if (this.#state !== "open") return false;
    if (typeof data === "string") this.#queue(Opcode.text, encoder.encode(data));
    else this.#queue(Opcode.binary, data);
    return true;
  }

  /** Queues a Ping (§5.5.2) with up to 125 bytes of application data. */
  ping(data: Uint8Array = new Uint8Array(0)): boolean {
    if (this.#state !== "open") return false;
    if (data.length > 125) throw new RangeError("a ping carries at most 125 bytes (RFC 6455 §5.5)");
    this.#queue(Opcode.ping, data);
    return true;
  }

  /**
   * Starts the close handshake (§7.1.2): queues Close with `code` and `reason` (a RangeError for a code that
   * may not be sent or a reason over 123 bytes). Does nothing unless open.
   */
  close(code: number = CloseCode.normal, reason = ""): void {
    if (this.#state !== "open") return;
    const payload = encodeClosePayload(code, reason);
    this.#queue(Opcode.close, payload);
    this.#state = "closing";
  }

  /** Everything queued for the peer, in order, as one buffer (empty when nothing is). */
  takeOutput(): Uint8Array {
    const frames = this.#output;
    this.#output = [];
    const size = this.#outputBytes;
    this.#outputBytes = 0;
    return concat(frames, size);
  }

  #onHeader(header: FrameHeader): void {
    this.#frameFin = header.fin;
    if (isControl(header.opcode)) {
      this.#control = { opcode: header.opcode, parts: [] };
      return;
    }
    this.#control = null;
    if (header.opcode === Opcode.continuation) {
      // §5.4: a continuation belongs to a message that has begun.
      if (!this.#message.open) throw new WebSocketError("unexpected_continuation", "no message to continue");
    } else {
      // §5.4: a message's fragments are not interleaved with another message's.
      if (this.#message.open) throw new WebSocketError("expected_continuation", "a new message inside another");
      this.#message.begin(header.opcode as DataOpcode);
    }
    this.#message.frame(header.length);
  }

  #onPayload(data: Uint8Array, end: boolean): void {
    const control = this.#control;
    if (control === null) {
      this.#message.append(data);
      if (end && this.#frameFin) this.#deliver(this.#message.finish());
      return;
    }
    if (data.length > 0) control.parts.push(data.slice());
    if (!end) return;
    this.#control = null;
    this.#onControl(control.opcode, concat(control.parts));
  }

  #deliver(message: Message): void {
    // §5.5.1: once we have sent Close, what still arrives is read and dropped.
    if (this.#state === "open") this.#events.push(message);
  }

  #onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.close) return this.#onClose(parseClosePayload(payload));
    if (opcode === Opcode.ping) {
      // §5.5.2: a Pong with the Ping's application data, as soon as practical (unless we are closing).
      if (this.#state === "open") this.#queue(Opcode.pong, payload);
      this.#events.push({ type: "ping", data: payload });
      return;
    }
    this.#events.push({ type: "pong", data: payload });
  }

  /** §5.5.1 and §7.1.2-§7.1.3: answer a Close with a Close (echoing its code), unless ours went first. */
  #onClose({ code, reason }: CloseInfo): void {
    const initiator = this.#state === "open" ? "peer" : "local";
    if (initiator === "peer") this.#queue(Opcode.close, encodeClosePayload(code));
    this.#state = "closed";
    this.#events.push({ type: "close", code, reason, initiator });
  }

  /** §7.1.7: _Fail the WebSocket Connection_: our Close with the error's code (if none went yet), then nothing. */
  #fail(error: WebSocketError): void {
    if (this.#state === "open") this.#queue(Opcode.close, encodeClosePayload(error.closeCode));
    this.#state = "closed";
    this.#events.push({ type: "failed", error });
  }

  #queue(opcode: number, payload: Uint8Array): void {
    // §5.3: a client masks every frame with a fresh, unpredictable key; a server masks none.
    const mask = this.role === "client" ? crypto.getRandomValues(new Uint8Array(4)) : undefined;
    const frame = encodeFrame(opcode, payload, { mask });
    this.#output.push(frame);
    this.#outputBytes += frame.length;
  }
}

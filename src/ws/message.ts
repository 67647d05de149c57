/**
 * One data message put together from its frames (RFC 6455 §5.4, §5.6), with its two rules: the size limit,
 * checked against each frame's declared length before its payload is accepted (so a peer cannot make us
 * buffer more than `maxMessageSize`, fragmented or not), and for text, UTF-8 validity, checked as the
 * pieces arrive (§8.1: fail as soon as the bytes cannot be UTF-8, not only at the end).
 *
 * The payload is copied into one buffer as it arrives, never kept as views of the input: a message of many
 * tiny fragments costs its own size, not one object (and one pinned input chunk) per fragment.
 */
import { WebSocketError } from "./errors.ts";
import { type DataOpcode, Opcode } from "./frame.ts";
import { Utf8Validator } from "./utf8.ts";

/** A complete message: text as a string, binary as bytes (a fresh buffer of exactly its length). */
export type Message = { type: "text"; data: string } | { type: "binary"; data: Uint8Array };

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Assembles one message at a time; `begin` starts it, `frame` admits each frame, `append` its payload. */
export class MessageAssembler {
  readonly #maxSize: number;
  #opcode: DataOpcode | null = null;
  /** Payload bytes declared by the frames admitted so far. */
  #declared = 0;
  #buffer = new Uint8Array(0);
  #length = 0;
  #utf8: Utf8Validator | null = null;

  /** `maxSize`: the largest message accepted, in bytes (1009 beyond it). */
  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** A message has begun and its final frame has not arrived. */
  get open(): boolean {
    return this.#opcode !== null;
  }

  /** Starts a message of type `opcode`. */
  begin(opcode: DataOpcode): void {
    this.#opcode = opcode;
    this.#declared = 0;
    this.#length = 0;
    this.#utf8 = opcode === Opcode.text ? new Utf8Validator() : null;
  }

  /**
   * Admits a frame of `length` payload bytes into the open message, or throws 1009. The buffer grows to hold
   * it: exactly, for a message of one frame; by doubling (up to the limit) for one in many.
   */
  frame(length: number): void {
    if (length > this.#maxSize - this.#declared) {
      throw new WebSocketError("message_too_big", `over ${this.#maxSize} bytes`);
    }
    this.#declared += length;
    if (this.#declared > this.#buffer.length) {
      const grown = this.#length === 0
        ? this.#declared
        : Math.min(this.#maxSize, Math.max(this.#declared, 2 * this.#buffer.length));
      const buffer = new Uint8Array(grown);
      buffer.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = buffer;
    }
  }

  /** Adds payload bytes (copied; the caller keeps its buffer). Throws 1007 at the first byte that is not UTF-8. */
  append(piece: Uint8Array): void {
    if (this.#utf8 !== null && !this.#utf8.push(piece)) {
      throw new WebSocketError("invalid_utf8", "in a text message");
    }
    this.#buffer.set(piece, this.#length);
    this.#length += piece.length;
  }

  /** Ends the message (its FIN frame is complete) and returns it. */
  finish(): Message {
    const text = this.#opcode === Opcode.text;
    this.#opcode = null;
    const bytes = this.#buffer.length === this.#length ? this.#buffer : this.#buffer.slice(0, this.#length);
    this.#buffer = new Uint8Array(0);
    if (!text) return { type: "binary", data: bytes };
    if (!this.#utf8!.complete) throw new WebSocketError("invalid_utf8", "a text message ends inside a character");
    return { type: "text", data: utf8.decode(bytes) };
  }
}

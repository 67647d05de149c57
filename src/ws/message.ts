/**
 * One data message put together from its frames (RFC 6455 §5.4, §5.6), with its two rules: the size limit,
 * checked against each frame's declared length before its payload is accepted (so a peer cannot make us
 * buffer more than `maxMessageSize`, fragmented or not), and for text, UTF-8 validity, checked as the
 * pieces arrive (§8.1: fail as soon as the bytes cannot be UTF-8, not only at the end).
 */
import { WebSocketError } from "./errors.ts";
import { type DataOpcode, Opcode } from "./frame.ts";

/** A complete message: text as a string, binary as bytes (a fresh buffer of exactly its length). */
export type Message = { type: "text"; data: string } | { type: "binary"; data: Uint8Array };

/** Assembles one message at a time; `begin` starts it, `frame` admits each frame, `append` its payload. */
export class MessageAssembler {
  readonly #maxSize: number;
  #opcode: DataOpcode | null = null;
  #size = 0;
  #parts: Uint8Array[] = [];
  #text: string[] = [];
  #decoder: TextDecoder | null = null;

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
    this.#size = 0;
    if (opcode === Opcode.text) this.#decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  }

  /** Admits a frame of `length` payload bytes into the open message, or throws 1009. */
  frame(length: number): void {
    if (length > this.#maxSize - this.#size) {
      throw new WebSocketError("message_too_big", `over ${this.#maxSize} bytes`);
    }
    this.#size += length;
  }

  /** Adds payload bytes (which may be a view of the caller's buffer; binary pieces are copied at the end). */
  append(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (this.#decoder === null) {
      this.#parts.push(piece);
      return;
    }
    try {
      this.#text.push(this.#decoder.decode(piece, { stream: true }));
    } catch {
      throw new WebSocketError("invalid_utf8", "in a text message");
    }
  }

  /** Ends the message (its FIN frame is complete) and returns it. */
  finish(): Message {
    const opcode = this.#opcode;
    this.#opcode = null;
    if (opcode === Opcode.text) {
      const decoder = this.#decoder!;
      this.#decoder = null;
      let tail: string;
      try {
        tail = decoder.decode();
      } catch {
        throw new WebSocketError("invalid_utf8", "a text message ends inside a character");
      }
      const data = this.#text.join("") + tail;
      this.#text = [];
      return { type: "text", data };
    }
    const data = concat(this.#parts, this.#size);
    this.#parts = [];
    return { type: "binary", data };
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * What the two sides' handshakes share (RFC 8446 §4.4, §7.1): the transcript under the negotiated suite, the
 * key-schedule steps both take at the same point of the exchange (handshake traffic secrets once the
 * ServerHello is in the transcript, application traffic secrets once the server's Finished is), and Finished.
 * Each step derives its secrets and logs them (only when a key log is configured); the connection installs
 * them (connection.ts).
 */
import { constantTimeEqual } from "../bytes.ts";
import type { Hash, TranscriptHash } from "../crypto/provider.ts";
import type { Suite } from "./cipher_suite.ts";
import { failure } from "./failures.ts";
import type { KeyLogger } from "./key_log.ts";
import { type EarlySecret, finishedVerifyData, type HandshakeSecret, type MasterSecret } from "./key_schedule.ts";
import { handshakeName, HandshakeType } from "./wire/constants.ts";
import { decodeFinished } from "./wire/finished.ts";
import { encodeHandshake, type HandshakeMessage } from "./wire/handshake.ts";

/** What every step after the hellos works with, on either side. */
export interface HandshakeContext {
  readonly suite: Suite;
  /** ClientHello (or message_hash and HelloRetryRequest, §4.4.1) through the last message handled. */
  readonly transcript: TranscriptHash;
  readonly log: KeyLogger;
}

/** The handshake secret and both handshake traffic secrets (RFC 8446 §7.1). */
export interface HandshakeTraffic {
  secret: HandshakeSecret;
  client: Uint8Array;
  server: Uint8Array;
}

/** RFC 8446 §7.1: over Transcript-Hash(ClientHello...ServerHello). */
export function deriveHandshakeTraffic(
  ctx: HandshakeContext,
  early: EarlySecret,
  sharedSecret?: Uint8Array,
): HandshakeTraffic {
  const secret = early.intoHandshake(sharedSecret);
  const { client, server } = secret.trafficSecrets(ctx.transcript.digest());
  ctx.log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client);
  ctx.log("SERVER_HANDSHAKE_TRAFFIC_SECRET", server);
  return { secret, client, server };
}

/** The master secret, both application traffic secrets and the exporter secret (RFC 8446 §7.1). */
export interface ApplicationTraffic {
  master: MasterSecret;
  client: Uint8Array;
  server: Uint8Array;
  exporter: Uint8Array;
}

/** RFC 8446 §7.1: over Transcript-Hash(ClientHello...server Finished). */
export function deriveApplicationTraffic(ctx: HandshakeContext, handshake: HandshakeSecret): ApplicationTraffic {
  const master = handshake.intoMaster();
  const { client, server, exporter } = master.applicationSecrets(ctx.transcript.digest());
  ctx.log("CLIENT_TRAFFIC_SECRET_0", client);
  ctx.log("SERVER_TRAFFIC_SECRET_0", server);
  ctx.log("EXPORTER_SECRET", exporter);
  return { master, client, server, exporter };
}

/** RFC 8446 §4.4.4: our Finished under `baseKey`, over `transcript`, which it is then added to. */
export function finishedMessage(hash: Hash, transcript: TranscriptHash, baseKey: Uint8Array): Uint8Array {
  const raw = encodeHandshake(HandshakeType.finished, finishedVerifyData(hash, baseKey, transcript.digest()));
  transcript.update(raw);
  return raw;
}

/**
 * RFC 8446 §4.4.4: the peer's Finished, compared in constant time ("Recipients of Finished messages MUST
 * verify that the contents are correct and if incorrect MUST terminate the connection with a "decrypt_error"
 * alert"), then added to `transcript`.
 */
export function checkFinished(
  hash: Hash,
  transcript: TranscriptHash,
  baseKey: Uint8Array,
  msg: HandshakeMessage,
  whose: string,
): void {
  verifyFinished(msg, finishedVerifyData(hash, baseKey, transcript.digest()), whose);
  transcript.update(msg.raw);
}

/**
 * RFC 8446 §4.4.4: the peer's Finished against the verify_data `expected`, in constant time, else decrypt_error.
 * For a Finished whose transcript is already known (a server that sent tickets with its flight computed it then).
 */
export function verifyFinished(msg: HandshakeMessage, expected: Uint8Array, whose: string): void {
  const received = decodeFinished(msg.body, expected.length);
  if (!constantTimeEqual(received, expected)) throw failure("finished_invalid", `${whose} Finished does not verify`);
}

/**
 * RFC 8446 §4: each state expects one message type (STYLE.md item 1); anything else is unexpected_message,
 * from this one place.
 */
export function expectMessage(msg: HandshakeMessage, type: number, state: string): HandshakeMessage {
  if (msg.type !== type) throw failure("message_unexpected", `${handshakeName(msg.type)} in ${state}`);
  return msg;
}

/** Makes a switch over a state union exhaustive: adding a state without handling it fails to compile. */
export function assertNever(state: never): never {
  throw new Error(`unhandled state ${JSON.stringify(state)}`);
}

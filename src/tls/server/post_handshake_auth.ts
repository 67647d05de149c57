/**
 * Post-handshake client authentication on the server (RFC 8446 §4.6.2): each CertificateRequest we send is an
 * exchange that moves through typed states as the client's Certificate, CertificateVerify (unless the
 * Certificate is empty) and Finished arrive, in that order; each step returns the next state. A chain that
 * does not verify is refused, but the exchange still finishes, so the connection stays usable (§4.4.2.4).
 */
import type { CryptoProvider, Hash, TranscriptHash } from "../../crypto/provider.ts";
import type { TlsEvent } from "../events.ts";
import { checkFinished } from "../handshake.ts";
import { HandshakeType } from "../wire/constants.ts";
import { encodeHandshake, type HandshakeMessage } from "../wire/handshake.ts";
import {
  certificateErrorCode,
  certificateRequestBody,
  type ClientAuthConfig,
  readClientCertificate,
  verifyClientCertificateVerify,
  verifyClientChain,
} from "./client_auth.ts";

/** Why a certificate was refused, reported in the `client_certificate_refused` event. */
interface Refusal {
  code: string;
  reason: string;
}

/** One CertificateRequest and where its answer stands. The transcript is the handshake's plus this exchange. */
export type AuthExchange =
  | { name: "ExpectCertificate"; context: Uint8Array; transcript: TranscriptHash }
  | {
    name: "ExpectCertificateVerify" | "ExpectFinished";
    context: Uint8Array;
    transcript: TranscriptHash;
    answer: Answer;
  };

/** The chain the client sent, and why we refuse it (null: verified). */
interface Answer {
  chain: Uint8Array[];
  refusal: Refusal | null;
}

/** The message each state waits for. */
export const awaited: Record<AuthExchange["name"], number> = {
  ExpectCertificate: HandshakeType.certificate,
  ExpectCertificateVerify: HandshakeType.certificate_verify,
  ExpectFinished: HandshakeType.finished,
};

/**
 * The CertificateRequest with `context` and the exchange it starts. RFC 8446 §4.4: the post-handshake
 * transcript is the handshake's, through the client Finished, then this request.
 */
export function startExchange(
  context: Uint8Array,
  config: ClientAuthConfig,
  handshakeTranscript: TranscriptHash,
): { request: Uint8Array; exchange: AuthExchange } {
  const request = encodeHandshake(HandshakeType.certificate_request, certificateRequestBody(context, config));
  const transcript = handshakeTranscript.clone();
  transcript.update(request);
  return { request, exchange: { name: "ExpectCertificate", context, transcript } };
}

/** The client's Certificate: an empty one goes straight to Finished, refused; a chain is verified now. */
export async function readCertificate(
  x: AuthExchange,
  msg: HandshakeMessage,
  config: ClientAuthConfig,
  provider: CryptoProvider,
  now: number,
): Promise<AuthExchange> {
  const chain = readClientCertificate(msg.body, x.context);
  x.transcript.update(msg.raw);
  if (chain.length === 0) {
    const refusal = { code: "no_certificate", reason: "the client has no certificate to send" };
    return { name: "ExpectFinished", context: x.context, transcript: x.transcript, answer: { chain, refusal } };
  }
  let refusal: Refusal | null = null;
  try {
    await verifyClientChain(chain, config, provider, now);
  } catch (err) {
    refusal = certificateErrorCode(err);
  }
  return { name: "ExpectCertificateVerify", context: x.context, transcript: x.transcript, answer: { chain, refusal } };
}

/** RFC 8446 §4.4.3: the signature over the exchange's transcript, under the leaf's key. */
export async function readCertificateVerify(
  x: AuthExchange & { answer: Answer },
  msg: HandshakeMessage,
  provider: CryptoProvider,
): Promise<AuthExchange> {
  await verifyClientCertificateVerify(msg.body, x.answer.chain[0], x.transcript.digest(), provider);
  x.transcript.update(msg.raw);
  return { ...x, name: "ExpectFinished" };
}

/**
 * RFC 8446 §4.6.2: Finished under the client's current application traffic secret ends the exchange; the
 * event says what came of it.
 */
export function readFinished(
  x: AuthExchange & { answer: Answer },
  msg: HandshakeMessage,
  hash: Hash,
  clientTrafficSecret: Uint8Array,
): TlsEvent {
  checkFinished(hash, x.transcript, clientTrafficSecret, msg, "post-handshake");
  const { chain, refusal } = x.answer;
  if (refusal) return { type: "client_certificate_refused", context: x.context, ...refusal };
  return { type: "client_certificate", chain, context: x.context };
}

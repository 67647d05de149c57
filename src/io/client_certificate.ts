/**
 * Asking a connected client for its certificate in the middle of the connection (post-handshake
 * authentication, RFC 8446 §4.6.2), as a promise: sends the CertificateRequest, then reads until the
 * answer with the same context arrives. Fails with a typed reason instead of hanging.
 */
import type { TlsEvent } from "../tls/events.ts";
import type { ServerTlsSocket } from "./tls_listener.ts";

/** Why a client certificate could not be had; the 403 page of `clientCertificate()` names it. */
export type ClientCertificateFailure =
  /** The client did not send post_handshake_auth (most browsers do not; Firefox does behind a pref). */
  | "not_offered"
  /** The server has no `clientAuth.ca` configured. */
  | "not_configured"
  /** The client answered with an empty Certificate. */
  | "no_certificate"
  /** The chain did not verify (see `reason`). */
  | "bad_certificate"
  /** No answer in time, or the connection ended. */
  | "timeout"
  | "connection_failed";

/** A client certificate was asked for and not obtained: `failure` says which way, `reason` the details. */
export class ClientCertificateError extends Error {
  /** Makes the error for `failure`, with `reason` in the message. */
  constructor(readonly failure: ClientCertificateFailure, readonly reason: string) {
    super(`client certificate ${failure}: ${reason}`);
    this.name = "ClientCertificateError";
  }
}

/** Options of `requestClientCertificate()`. */
export interface RequestCertificateOptions {
  /** Milliseconds to wait for the client's answer (default 30 s). */
  timeout?: number;
  /** Unread request bytes tolerated while waiting (default 1 MiB). */
  maxBuffered?: number;
}

type Answer = Extract<TlsEvent, { type: "client_certificate" | "client_certificate_refused" }>;

/** Resolves with the verified chain (DER, leaf first). Several requests on one connection are answered in order. */
export async function requestClientCertificate(
  socket: ServerTlsSocket,
  options: RequestCertificateOptions = {},
): Promise<Uint8Array[]> {
  const engine = socket.engine;
  if (!engine.config.clientAuth) throw new ClientCertificateError("not_configured", "the server trusts no client CA");
  const timeout = options.timeout ?? 30_000;
  const maxBuffered = options.maxBuffered ?? 1024 * 1024;
  // A request that came in 0-RTT early data is being served before the client's Finished. RFC 8446 §4.6.2:
  // a CertificateRequest goes only after the handshake is complete, so wait for it; a replayed early request
  // never gets that far (completing the handshake takes the PSK the attacker lacks).
  if (!socket.established) await untilEstablished(socket, timeout, maxBuffered);
  if (!engine.canRequestClientCertificate) {
    throw new ClientCertificateError(
      "not_offered",
      "the client did not offer TLS 1.3 post-handshake authentication (post_handshake_auth)",
    );
  }
  const context = engine.requestClientCertificate();
  await socket.flush();
  const sameContext = (e: TlsEvent): e is Answer =>
    (e.type === "client_certificate" || e.type === "client_certificate_refused") && e.context !== null &&
    e.context.length === context.length && e.context.every((b, i) => b === context[i]);
  let answer: Answer;
  try {
    answer = await socket.waitForEvent(sameContext, { timeout, maxBuffered });
  } catch (err) {
    const failure = /within/.test((err as Error).message) ? "timeout" : "connection_failed";
    throw new ClientCertificateError(failure, (err as Error).message);
  }
  if (answer.type === "client_certificate") return answer.chain;
  throw new ClientCertificateError(
    answer.code === "no_certificate" ? "no_certificate" : "bad_certificate",
    answer.reason,
  );
}

async function untilEstablished(socket: ServerTlsSocket, timeout: number, maxBuffered: number): Promise<void> {
  const complete = (e: TlsEvent): e is Extract<TlsEvent, { type: "handshake_complete" }> =>
    e.type === "handshake_complete";
  try {
    await socket.waitForEvent(complete, { timeout, maxBuffered });
  } catch (err) {
    const failure = /within/.test((err as Error).message) ? "timeout" : "connection_failed";
    throw new ClientCertificateError(failure, `the handshake did not complete: ${(err as Error).message}`);
  }
}

/** Sending a handler's Response over a connection: head, then the body streamed with backpressure. */
import type { HttpVersion } from "./keep_alive.ts";
import { peekBody, type PeekedBody, type Write, writeMessage } from "./outgoing_body.ts";
import {
  chooseResponseFraming,
  declaredContentLength,
  type FramingInput,
  responseFields,
  serializeResponseHead,
  statusForbidsBody,
} from "./response_writer.ts";

export interface ResponseContext {
  requestMethod: string;
  requestVersion: HttpVersion;
  /** Whether the server means to keep the connection; the framing may still force a close. */
  keepAlive: boolean;
}

/**
 * Sends `response` and resolves with whether the connection can carry another request. Rejects when
 * the body stream fails, a write fails, or the body disagrees with its Content-Length; the caller then
 * closes the connection. HEAD, 1xx, 204, 304 and 205 bodies are cancelled, never read.
 */
export async function sendResponse(write: Write, response: Response, context: ResponseContext): Promise<boolean> {
  const { status } = response;
  const mayHaveBody = context.requestMethod !== "HEAD" && !statusForbidsBody(status) && status !== 205;
  let peeked: PeekedBody | null = null;
  if (response.body !== null) {
    if (mayHaveBody) peeked = await peekBody(response.body);
    else response.body.cancel().catch(() => {});
  }
  try {
    const input: FramingInput = {
      requestMethod: context.requestMethod,
      requestVersion: context.requestVersion,
      status,
      hasBody: response.body !== null,
      knownLength: peeked?.complete ? peeked.length : null,
      declaredLength: declaredContentLength(response.headers),
    };
    const framing = chooseResponseFraming(input);
    const keepAlive = context.keepAlive && framing.kind !== "close";
    const fields = responseFields({ ...input, headers: response.headers, framing, keepAlive });
    const head = serializeResponseHead(status, response.statusText, fields);
    await writeMessage(write, head, peeked, framing);
    return keepAlive;
  } catch (error) {
    peeked?.reader.cancel(error).catch(() => {});
    throw error;
  }
}

/**
 * Sending a handler's Response over a connection: head and body in one write when the body is already in
 * memory (a string or bytes, see known_body.ts), else the head, then the body streamed with backpressure.
 */
import type { HttpVersion } from "./keep_alive.ts";
import { knownBody } from "./known_body.ts";
import { isAscii } from "./syntax.ts";
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

const utf8 = new TextEncoder();

/**
 * The part of a large known body that goes out with the head; the rest follows in writes of
 * `bodySlice` bytes (views, not copies), so one response never holds more than that in the TLS layer.
 */
const withHead = 64 * 1024;
const bodySlice = 256 * 1024;

/**
 * Sends `response` and resolves with whether the connection can carry another request. Rejects when
 * the body stream fails, a write fails, or the body disagrees with its Content-Length; the caller then
 * closes the connection. HEAD, 1xx, 204, 304 and 205 bodies are cancelled, never read. The last write
 * of the message is marked, so that a closing connection can send its close with it.
 */
export async function sendResponse(write: Write, response: Response, context: ResponseContext): Promise<boolean> {
  const known = knownBody(response);
  if (known !== undefined) return await sendKnown(write, response, context, known);
  const { status } = response;
  const mayHaveBody = context.requestMethod !== "HEAD" && !statusForbidsBody(status) && status !== 205;
  let peeked: PeekedBody | null = null;
  if (response.body !== null) {
    if (mayHaveBody) peeked = await peekBody(response.body);
    else response.body.cancel().catch(() => {});
  }
  try {
    const input = framingInput(response, context, response.body !== null, peeked?.complete ? peeked.length : null);
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

/** A body already in memory: its length is known, so the head says Content-Length and the body follows it at once. */
async function sendKnown(
  write: Write,
  response: Response,
  context: ResponseContext,
  known: string | Uint8Array | null,
) {
  // ASCII text (most of it) is as long in bytes as in chars and is encoded together with the head.
  const ascii = typeof known === "string" && known.length <= withHead && isAscii(known);
  const bytes = typeof known === "string" && !ascii ? utf8.encode(known) : known;
  const input = framingInput(response, context, bytes !== null, bytes?.length ?? 0);
  const framing = chooseResponseFraming(input);
  const fields = responseFields({ ...input, headers: response.headers, framing, keepAlive: context.keepAlive });
  const sent = framing.kind === "length" && bytes !== null ? bytes : null;
  if (sent === null || sent.length <= withHead) {
    await write(serializeResponseHead(response.status, response.statusText, fields, sent), true);
    return context.keepAlive;
  }
  if (typeof sent === "string") throw new TypeError("unreachable: long text is encoded above");
  await write(serializeResponseHead(response.status, response.statusText, fields, sent.subarray(0, withHead)), false);
  for (let offset = withHead; offset < sent.length; offset += bodySlice) {
    const end = Math.min(offset + bodySlice, sent.length);
    await write(sent.subarray(offset, end), end === sent.length);
  }
  return context.keepAlive;
}

function framingInput(
  response: Response,
  context: ResponseContext,
  hasBody: boolean,
  knownLength: number | null,
): FramingInput {
  return {
    requestMethod: context.requestMethod,
    requestVersion: context.requestVersion,
    status: response.status,
    hasBody,
    knownLength,
    declaredLength: declaredContentLength(response.headers),
  };
}

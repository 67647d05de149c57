/**
 * `upgradeWebSocket` for Hono apps served by `serve()`, in the shape of Hono's own helpers for Deno and Bun
 * (built with Hono's `defineWebSocketHelper`), so that an app's WebSocket code reads the same:
 *
 *   app.get("/ws", upgradeWebSocket((c) => ({ onMessage(event, ws) { ws.send(event.data) } })));
 *
 * The handler reads the upgrade request (RFC 6455 §4.2.1: 400 or 426 when it is malformed, the next handler
 * when it is no upgrade at all, as Hono's Deno adapter does), claims the connection, and answers with the
 * placeholder that the HTTP loop turns into the 101 (src/http/upgrade.ts). `c.env.tls` stays what it was
 * for the request, so middleware before it (`clientCertificate()`) guards the socket.
 */
import type { Context } from "hono";
import { createWSMessageEvent, defineWebSocketHelper, type UpgradeWebSocket, WSContext, type WSEvents } from "hono/ws";
import { claimProtocolSwitch, upgradeResponse } from "../http/upgrade.ts";
import type { WebSocketError } from "../ws/errors.ts";
import { acceptFields, readUpgradeRequest, refusalFields, selectProtocol } from "../ws/handshake.ts";
import type { Message } from "../ws/message.ts";
import { type CloseDetails, type SessionHandlers, type WebSocketLimits, WebSocketSession } from "../ws/session.ts";
import type { TlsBindings } from "./bindings.ts";
import { tooEarlyResponse } from "./early_data.ts";

/** Options of `upgradeWebSocket(createEvents, options)`: the session's limits, and the subprotocols spoken. */
export interface WebSocketOptions extends WebSocketLimits {
  /**
   * Subprotocols this endpoint speaks, preferred first (Sec-WebSocket-Protocol, RFC 6455 §4.2.2): the first
   * one the client offered is selected, or none. Without it, the client's first choice is echoed, as Hono's
   * Deno and Bun adapters do.
   */
  protocols?: readonly string[];
}

/** Hono's `upgradeWebSocket` for `serve()`: `ws.raw` is the `WebSocketSession`. */
export const upgradeWebSocket: UpgradeWebSocket<WebSocketSession, WebSocketOptions> = defineWebSocketHelper<
  WebSocketSession,
  WebSocketOptions
>((c, events, options) => {
  const decision = readUpgradeRequest(c.req.raw);
  if (decision.kind === "not_upgrade") return;
  if (decision.kind === "refused") {
    const { status, reason } = decision.refusal;
    return new Response(`${reason}\n`, { status, headers: refusalFields(decision.refusal) });
  }
  const tls = (c.env as Partial<TlsBindings> | undefined)?.tls;
  if (!tls) throw new TypeError("upgradeWebSocket from tls13-hono/ws needs an app served by serve() from tls13-hono");
  // RFC 8470 §5.2: a handshake in 0-RTT could be replayed, and every message after it with it; 425 makes the
  // client retry once the handshake is complete.
  if (tls.earlyData) return tooEarlyResponse();
  const protocol = selectProtocol(decision.request.protocols, options?.protocols);
  const session = new WebSocketSession(dispatcher(c, events, () => context), options, protocol);
  const context: WSContext<WebSocketSession> = new WSContext({
    send: (data) => session.send(data),
    close: (code, reason) => session.close(code, reason),
    raw: session,
    get readyState() {
      return session.readyState;
    },
    url: c.req.url,
    protocol,
  });
  claimProtocolSwitch(c.req.raw, {
    protocol: "websocket",
    run: (conn, bytes, signal) => session.run(conn, bytes, signal),
  });
  const fields = acceptFields(decision.request, protocol).filter(([name]) => name.startsWith("sec-"));
  return upgradeResponse("websocket", fields);
});

/** The session's events as Hono's: Event, MessageEvent, CloseEvent, and an error Event carrying `error`. */
function dispatcher(
  c: Context,
  events: WSEvents<WebSocketSession>,
  ws: () => WSContext<WebSocketSession>,
): SessionHandlers {
  const run = (name: string, call: () => unknown) => {
    const report = (error: unknown) => {
      if (events.onError && name !== "onError") events.onError(errorEvent(error), ws());
      else console.error(`WebSocket ${name} failed on ${c.req.path}:`, error);
    };
    try {
      const result = call();
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  };
  return {
    onOpen: () => run("onOpen", () => events.onOpen?.(new Event("open"), ws())),
    onMessage: (message: Message) =>
      run("onMessage", () => events.onMessage?.(createWSMessageEvent(messageData(message)), ws())),
    onError: (error: WebSocketError) => run("onError", () => events.onError?.(errorEvent(error), ws())),
    onClose: (details: CloseDetails) => run("onClose", () => events.onClose?.(closeEvent(details), ws())),
  };
}

/** Text as a string, binary as an ArrayBuffer (Hono's `binaryType` is "arraybuffer"). */
function messageData(message: Message): string | ArrayBuffer {
  return message.type === "text" ? message.data : message.data.buffer as ArrayBuffer;
}

/** A CloseEvent; Node 20 has no global one, so there it is an Event with the same three fields. */
function closeEvent(details: CloseDetails): CloseEvent {
  if (typeof CloseEvent === "function") return new CloseEvent("close", details);
  return Object.assign(new Event("close"), details) as CloseEvent;
}

function errorEvent(error: unknown): Event {
  const message = error instanceof Error ? error.message : String(error);
  return Object.assign(new Event("error"), { error, message });
}

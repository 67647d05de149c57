/**
 * WebSockets (RFC 6455) for Hono apps served by `serve()`, over the same TLS 1.3 connection: Hono's
 * `upgradeWebSocket` helper shape, so the code is the same as on Deno or Bun.
 *
 * ```ts
 * import { Hono } from "hono";
 * import { serve, type TlsBindings } from "tls13-hono";
 * import { upgradeWebSocket } from "tls13-hono/ws";
 *
 * const app = new Hono<{ Bindings: TlsBindings }>();
 * app.get("/ws", upgradeWebSocket((c) => ({
 *   onMessage(event, ws) {
 *     ws.send(`${c.env.tls.cipherSuite}: ${event.data}`);
 *   },
 * })));
 * serve({ fetch: app.fetch, port: 8443, tls: { cert: { path: "cert.pem" }, key: { path: "key.pem" } } });
 * ```
 *
 * @module
 */
export { upgradeWebSocket, type WebSocketOptions } from "./src/hono/websocket.ts";
export {
  type CloseDetails,
  type ReadyState,
  type SessionHandlers,
  type WebSocketLimits,
  WebSocketSession,
} from "./src/ws/session.ts";
export { CloseCode, WebSocketError, WebSocketErrorCode, type WebSocketErrorName } from "./src/ws/errors.ts";
export type { Message } from "./src/ws/message.ts";

// Types that the exports above refer to.
export type { Duplex, NetAddr } from "./src/transport/types.ts";

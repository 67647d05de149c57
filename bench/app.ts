/**
 * The app every benchmarked server serves: `GET /` → "hello" (the anchors' tiny response), then the routes of
 * examples/hello.ts mounted unchanged, of which the bulk rows use `GET /bytes/:size` (a streamed body of 64 KiB
 * chunks with Content-Length) and `POST /upload` (reads the body as a stream, answers its size and SHA-256).
 * The same object is handed to our serve() and to each runtime's own TLS server.
 */
import { Hono } from "hono";
import { app as example } from "../examples/hello.ts";

export const app = new Hono();
app.get("/", (c) => c.text("hello"));
app.route("/", example);

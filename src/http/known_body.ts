/**
 * Responses whose body is already whole in memory: a string or bytes given to `new Response(...)`, which
 * is what Hono's `c.text()`, `c.json()`, `c.html()` and `c.body(bytes)` make. The server writes such a
 * body with its head in one write, without reading it back through a `ReadableStream`.
 *
 * The runtime's `Response` keeps its body in internal slots, so `installResponseInterop()` replaces the
 * global `Response` (once per process) with one of two things:
 * - "record": a subclass that also remembers the body it was given. Its instances are the runtime's own
 *   Responses in every other respect. Right where constructing a Response is cheap (Deno, Bun), except for
 *   bytes bodies of 64 KiB and more, which the runtime would copy: those are deferred as below.
 * - "defer": a Response that holds a string or bytes body and its init, and builds the runtime's own
 *   Response only when something asks for more than status, headers and the body's direct reads (the
 *   technique of @hono/node-server). For Node, whose Response builds a web stream at construction (about
 *   8 µs, more than the rest of a request's HTTP handling).
 * Either way `instanceof Response` holds for every Response, whichever constructor made it.
 */

/** A body the server can write as is: text (sent as UTF-8), bytes, or none. */
export type KnownBody = string | Uint8Array | null;

const given = Symbol("the body given to the Response constructor");
const built = Symbol("the runtime's Response");
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

interface Recorded {
  [given]?: KnownBody;
}

/**
 * The body `response` was made with, if it is whole in memory and nobody has read it yet; undefined for
 * a stream, a Blob, FormData, or a Response made by something else (`Response.json()`, `fetch`). Bytes
 * are sent as they are when the response is written (the runtime would have copied them at
 * construction): a handler must not change them after returning.
 */
export function knownBody(response: Response): KnownBody | undefined {
  if (DeferredResponse.holds(response)) return response[given]();
  const body = (response as Recorded)[given];
  if (body === undefined || response.bodyUsed) return undefined;
  return body;
}

function asKnown(body: unknown): KnownBody | undefined {
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (body === null || body === undefined) return null;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return undefined;
}

let NativeResponse: typeof Response = globalThis.Response;

/** Fetch: statuses whose responses have a null body; RFC 9110 §15: 200-599 is what a Response may carry. */
const nullBodyStatus = new Set([101, 103, 204, 205, 304]);
const reasonPattern = /^[\t\x20-\x7e\x80-\xff]*$/;

/** An init the runtime would take as it is (else it throws, and it should, at construction). */
function plainInit(init: ResponseInit | undefined, body: KnownBody): boolean {
  if (init === undefined) return true;
  const { status, statusText } = init;
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) return false;
  if (body !== null && status !== undefined && nullBodyStatus.has(status)) return false;
  return statusText === undefined || (typeof statusText === "string" && reasonPattern.test(statusText));
}

/** The "defer" Response described above. Anything it does not answer itself goes to the built one. */
class DeferredResponse {
  #body: KnownBody = null;
  #status = 200;
  #statusText = "";
  #headers: Headers | null = null;
  #used = false;
  #built: Response | null = null;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const known = asKnown(body);
    if (known === undefined || !plainInit(init, known)) {
      this.#built = new NativeResponse(body, init);
      return;
    }
    this.#body = known;
    this.#status = init?.status ?? 200;
    this.#statusText = init?.statusText ?? "";
    // Built now, so that an invalid header fails here, as it would in the runtime's constructor.
    if (init?.headers !== undefined) this.#headers = new Headers(init.headers);
  }

  /** Whether `value` is one of these (by its private field: `instanceof` is widened to every Response). */
  static holds(value: unknown): value is DeferredResponse {
    return typeof value === "object" && value !== null && #used in value;
  }

  static json(data: unknown, init?: ResponseInit): Response {
    return NativeResponse.json(data, init);
  }

  static redirect(url: string | URL, status?: number): Response {
    return NativeResponse.redirect(url, status);
  }

  static error(): Response {
    return NativeResponse.error();
  }

  get status(): number {
    return this.#built?.status ?? this.#status;
  }

  get statusText(): string {
    return this.#built?.statusText ?? this.#statusText;
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }

  get headers(): Headers {
    if (this.#built !== null) return this.#built.headers;
    if (this.#headers === null) this.#headers = new Headers();
    // Fetch "extract a body": a string body is text/plain;charset=UTF-8 unless the init said otherwise.
    if (typeof this.#body === "string" && !this.#headers.has("content-type")) {
      this.#headers.set("content-type", "text/plain;charset=UTF-8");
    }
    return this.#headers;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#built?.bodyUsed ?? false);
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#built === null && this.#body === null) return null;
    return this[built]().body;
  }

  /** The body for the server: only while nothing else has read it or built a stream of it. */
  [given](): KnownBody | undefined {
    return this.#built === null && !this.#used ? this.#body : undefined;
  }

  async bytes(): Promise<Uint8Array> {
    if (this.#built !== null) return new Uint8Array(await this.#built.arrayBuffer());
    if (this.#used) throw new TypeError("Body already consumed");
    this.#used = true;
    const body = this.#body;
    return body === null ? new Uint8Array(0) : typeof body === "string" ? utf8.encode(body) : body.slice();
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer as ArrayBuffer;
  }

  async text(): Promise<string> {
    if (this.#built === null && !this.#used && typeof this.#body === "string") {
      this.#used = true;
      return this.#body;
    }
    return utf8Decoder.decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** The runtime's own Response, built once with this one's status, headers and body. */
  [built](): Response {
    if (this.#built !== null) return this.#built;
    const init = { status: this.#status, statusText: this.#statusText, headers: this.headers };
    // A body already read stays read: `bodyUsed` above keeps saying so.
    return this.#built = new NativeResponse(this.#used ? null : this.#body as BodyInit | null, init);
  }

  [Symbol.for("nodejs.util.inspect.custom")](
    _depth: number,
    options: unknown,
    inspect: (v: unknown, o: unknown) => string,
  ) {
    return `Response ${inspect({ status: this.status, headers: this.headers, body: this.#body }, options)}`;
  }
}

/** Bytes bodies from this size on are deferred in "record" mode too (see the constructor below). */
const deferFrom = 64 * 1024;

let installed: { mode: "record" | "defer"; record: typeof Response; defer: typeof Response } | null = null;

/**
 * Replaces the global `Response` with the "record" or the "defer" kind described above. Servers of one
 * process are meant to agree on the mode; a later call with another mode switches the global (Responses
 * made before keep working: the server recognizes both kinds).
 */
export function installResponseInterop(mode: "record" | "defer" = "record"): void {
  if (installed?.mode === mode) return;
  installed ??= prepare();
  installed.mode = mode;
  globalThis.Response = installed[mode];
}

function prepare(): { mode: "record" | "defer"; record: typeof Response; defer: typeof Response } {
  const Native = NativeResponse = globalThis.Response;
  const isResponse = (value: unknown) =>
    Object.prototype.isPrototypeOf.call(Native.prototype, value as object) || DeferredResponse.holds(value);
  delegateTheRest(Native);
  Object.defineProperty(DeferredResponse, Symbol.hasInstance, { value: isResponse });
  const Recording = class Response extends Native {
    static override [Symbol.hasInstance](value: unknown): boolean {
      return isResponse(value);
    }
    constructor(body?: BodyInit | null, init?: ResponseInit) {
      // The runtime copies a bytes body at construction; past `deferFrom` that copy costs more than the
      // rest of the response, so such a Response is a deferred one (which builds the runtime's own only
      // if something asks for it).
      if (body instanceof Uint8Array && body.byteLength >= deferFrom && plainInit(init, body)) {
        return new DeferredResponse(body, init) as unknown as Response;
      }
      super(body, init);
      const known = asKnown(body);
      if (known !== undefined) (this as Recorded)[given] = known;
    }
  };
  return { mode: "record", record: Recording, defer: DeferredResponse as unknown as typeof Response };
}

/**
 * Everything else a Response has (type, url, redirected, clone, blob, formData, and whatever a runtime
 * adds) is answered by the built Response, so that no getter of Response.prototype meets an object
 * without the internal slots it expects.
 */
function delegateTheRest(Native: typeof Response): void {
  const proto = DeferredResponse.prototype;
  for (const key of Object.getOwnPropertyNames(Native.prototype)) {
    if (key === "constructor" || Object.hasOwn(proto, key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(Native.prototype, key)!;
    if (descriptor.get) {
      Object.defineProperty(proto, key, {
        get(this: DeferredResponse) {
          return Reflect.get(this[built](), key);
        },
        configurable: true,
      });
    } else if (typeof descriptor.value === "function") {
      Object.defineProperty(proto, key, {
        value(this: DeferredResponse, ...args: unknown[]) {
          const response = this[built]();
          return (Reflect.get(response, key) as (...a: unknown[]) => unknown).apply(response, args);
        },
        configurable: true,
        writable: true,
      });
    }
  }
  Object.setPrototypeOf(proto, Native.prototype);
}

/**
 * The `Request` a handler receives: method, URL and headers come straight from the parsed head, and the
 * body's common reads (`text()`, `json()`, `arrayBuffer()`, `bytes()`, `blob()`) take the bytes from the
 * connection without a stream. The Fetch `Request` itself, with its `ReadableStream` body, is built only
 * when something asks for more (`body`, `clone()`, `formData()`, `cache`, ...). A handler that routes on
 * method, path and headers and answers with `c.text()` never pays for one.
 *
 * The object inherits from `Request.prototype`, so `instanceof Request` holds. What a runtime's own
 * `new Request(input)` and `fetch(input)` cannot do with it (they check internal slots) is handled by
 * `installRequestInterop()`, which wraps both globals to hand them the built `Request` instead.
 */
import type { Fields } from "./field_lines.ts";
import type { RequestBody } from "./request_body.ts";

const NativeRequest: typeof Request = globalThis.Request;
const build = Symbol("build the Fetch Request");
const textDecoder = new TextDecoder();

/** What the server loop knows about one request when the handler is called. */
export interface IncomingParts {
  /** As sent (the parser checked it is a token). */
  method: string;
  url: string;
  fields: Fields;
  body: RequestBody;
  /** The connection's abort signal, made on first use. */
  signal: () => AbortSignal;
}

/** Fetch §2.2.1 "normalize a method": these six are upper-cased whatever their case; others stay as sent. */
const normalizedMethods = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

function normalizeMethod(method: string): string {
  if (normalizedMethods.has(method)) return method;
  const upper = method.toUpperCase();
  return normalizedMethods.has(upper) ? upper : method;
}

class IncomingRequest {
  readonly #method: string;
  readonly #url: string;
  readonly #fields: Fields;
  readonly #body: RequestBody;
  readonly #signal: () => AbortSignal;
  #headers: Headers | null = null;
  #built: Request | null = null;
  /** The body was consumed through one of the direct reads below. */
  #used = false;

  constructor(parts: IncomingParts) {
    this.#method = normalizeMethod(parts.method);
    this.#url = parts.url;
    this.#fields = parts.fields;
    this.#body = parts.body;
    this.#signal = parts.signal;
  }

  get method(): string {
    return this.#method;
  }

  /** Whether `value` is one of these (by its private field, whatever its prototype chain says). */
  static holds(value: unknown): value is IncomingRequest {
    return typeof value === "object" && value !== null && #built in value;
  }

  /** Whether the Fetch Request was built (see requestWasBuilt). */
  static wasBuilt(request: IncomingRequest): boolean {
    return request.#built !== null;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    return this.#headers ??= new Headers(this.#fields);
  }

  get signal(): AbortSignal {
    return this.#signal();
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (!this.#body.exposed) return null;
    return this[build]().body;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#built?.bodyUsed ?? false);
  }

  async bytes(): Promise<Uint8Array> {
    if (this.#built !== null) return new Uint8Array(await this.#built.arrayBuffer());
    if (this.#used) throw new TypeError("Body already consumed");
    this.#used = true;
    if (!this.#body.exposed) return new Uint8Array(0);
    return await this.#body.readAll();
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return textDecoder.decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async blob(): Promise<Blob> {
    const type = this.#fields.find(([name]) => name.toLowerCase() === "content-type")?.[1] ?? "";
    return new Blob([await this.bytes() as Uint8Array<ArrayBuffer>], { type: type.toLowerCase() });
  }

  formData(): Promise<FormData> {
    return this.#builtForBody().formData();
  }

  clone(): Request {
    return this.#builtForBody().clone();
  }

  #builtForBody(): Request {
    if (this.#used) throw new TypeError("Body already consumed");
    return this[build]();
  }

  /** The Fetch `Request`, built once, with the same signal and the body as a stream. */
  [build](): Request {
    if (this.#built !== null) return this.#built;
    const stream = this.#used ? null : this.#body.stream;
    const init = { method: this.#method, headers: this.headers, signal: this.signal, body: stream, duplex: "half" };
    return this.#built = new NativeRequest(this.#url, init as RequestInit);
  }

  [Symbol.for("nodejs.util.inspect.custom")](
    _depth: number,
    options: unknown,
    inspect: (v: unknown, o: unknown) => string,
  ) {
    return `Request ${inspect({ method: this.method, url: this.url, headers: this.headers }, options)}`;
  }
}

// Everything else a Request has (cache, credentials, mode, redirect, ..., and whatever a runtime adds)
// is answered by the built Request, so that no getter of Request.prototype meets an object without
// the internal slots it expects.
for (const key of Object.getOwnPropertyNames(NativeRequest.prototype)) {
  if (key === "constructor" || Object.hasOwn(IncomingRequest.prototype, key)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(NativeRequest.prototype, key)!;
  if (descriptor.get) {
    Object.defineProperty(IncomingRequest.prototype, key, {
      get(this: IncomingRequest) {
        return Reflect.get(this[build](), key);
      },
      configurable: true,
    });
  } else if (typeof descriptor.value === "function") {
    Object.defineProperty(IncomingRequest.prototype, key, {
      value(this: IncomingRequest, ...args: unknown[]) {
        const built = this[build]();
        return (Reflect.get(built, key) as (...a: unknown[]) => unknown).apply(built, args);
      },
      configurable: true,
      writable: true,
    });
  }
}
Object.setPrototypeOf(IncomingRequest.prototype, NativeRequest.prototype);

/** A handler's `Request` for these parts. */
export function incomingRequest(parts: IncomingParts): Request {
  return new IncomingRequest(parts) as unknown as Request;
}

function isIncoming(value: unknown): value is IncomingRequest {
  return IncomingRequest.holds(value);
}

let installed = false;

/**
 * Lets `new Request(request)` and `fetch(request)` take a handler's request (Hono's body-limit
 * middleware and proxies do both): the globals are replaced, once per process, by thin wrappers that
 * hand the built Request to the runtime's own. Everything else passes through unchanged, and
 * `instanceof Request` still holds for every Request, whichever constructor made it.
 */
export function installRequestInterop(): void {
  if (installed) return;
  installed = true;
  const Native = globalThis.Request;
  const isRequest = (value: unknown) => Object.prototype.isPrototypeOf.call(Native.prototype, value as object);
  const Wrapped = class Request extends Native {
    static override [Symbol.hasInstance](value: unknown): boolean {
      return isRequest(value);
    }
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(isIncoming(input) ? input[build]() : input, init);
    }
  };
  globalThis.Request = Wrapped;
  const nativeFetch = globalThis.fetch;
  const fetch = function fetch(input: RequestInfo | URL, init?: RequestInit) {
    return nativeFetch(isIncoming(input) ? input[build]() : input, init);
  };
  globalThis.fetch = Object.assign(fetch, nativeFetch) as typeof globalThis.fetch;
}

/** Whether the Fetch Request behind a handler's request has been built (for tests and diagnostics). */
export function requestWasBuilt(request: Request): boolean {
  return isIncoming(request) ? IncomingRequest.wasBuilt(request) : true;
}

/**
 * A development CA and certificates, in the spirit of mkcert.
 *
 * @module
 */
export { type DevCerts, ensureDevCerts, type EnsureOptions, type ServerKeyType } from "./generate.ts";

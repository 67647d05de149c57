/**
 * The crypto provider boundary (DESIGN.md, "src/crypto"): the interface, the two providers, and the default.
 */
export type * from "./provider.ts";
export { nobleProvider } from "./noble.ts";
export { detectRuntime, type NativePlan, type NativeProvider, nativeProvider, type RuntimeName } from "./native.ts";
export { constantTimeEqual } from "./ct.ts";
export { type SchemeInfo, signatureSchemesFor } from "./schemes.ts";

import { nobleProvider } from "./noble.ts";
import type { CryptoProvider } from "./provider.ts";

/** The provider the engine uses unless told otherwise: noble for now (portable, the same bytes everywhere). */
export function defaultProvider(): CryptoProvider {
  return nobleProvider;
}

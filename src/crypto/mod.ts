/**
 * The crypto provider boundary (DESIGN.md, "src/crypto"): the interface, the two providers, and the default.
 */
export type * from "./provider.ts";
export { nobleProvider } from "./noble.ts";
export { type NativePlan, type NativeProvider, nativeProvider, type RuntimeName } from "./native.ts";
export { type SchemeInfo, signatureSchemesFor } from "./schemes.ts";

import { nativeProvider } from "./native.ts";
import type { CryptoProvider } from "./provider.ts";

let cached: CryptoProvider | undefined;

/**
 * The provider the engine uses unless told otherwise: the native one, which picks per runtime and per
 * primitive the fastest path that passes the same known-answer tests (node:crypto where the runtime has it,
 * noble where it is faster or the only choice). Pass `nobleProvider` to force the pure one.
 */
export function defaultProvider(): CryptoProvider {
  return cached ??= nativeProvider();
}

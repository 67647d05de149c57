/**
 * The crypto layer throws its own CryptoError (it knows nothing of TLS, issue 12: tests/transport/layering_test.ts
 * holds it to its imports); every code it can throw has the alert the engine sends for it (src/tls/failures.ts).
 */
import assert from "node:assert/strict";
import { CryptoError, type CryptoErrorCode } from "../../src/crypto/errors.ts";
import { alertFor } from "../../src/tls/failures.ts";

Deno.test("every CryptoError code maps to the alert its RFC names", () => {
  const expected: Record<CryptoErrorCode, string> = {
    invalid_key_share: "illegal_parameter",
    invalid_shared_secret: "illegal_parameter",
    invalid_public_key: "illegal_parameter",
    unsupported_scheme: "illegal_parameter",
    malformed_der: "decode_error",
    key_cannot_sign: "internal_error",
  };
  for (const [code, alert] of Object.entries(expected)) {
    const mapped = alertFor(new CryptoError(code as CryptoErrorCode, "why"));
    assert.equal(mapped.alertName, alert, code);
    assert.equal(mapped.source, "local");
  }
});

/**
 * Claims about the crypto layer's place (issue 12, DESIGN.md "Data flows one way"): src/crypto imports nothing from
 * the engine or any other part of src, only its own files and the primitives; and every CryptoError code the layer can
 * throw has the alert the engine sends for it.
 */
import assert from "node:assert/strict";
import { CryptoError, type CryptoErrorCode } from "../../src/crypto/errors.ts";
import { alertFor } from "../../src/tls/failures.ts";

const root = new URL("../../src/crypto/", import.meta.url).pathname;

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/g)].map((m) => m[1]);
}

Deno.test("src/crypto imports only its own files, node:crypto/node:buffer and the audited primitives", () => {
  const allowed = [/^\.\/[\w.]+\.ts$/, /^node:(crypto|buffer)$/, /^@noble\/(hashes|ciphers|curves|post-quantum)\//];
  const offenders: string[] = [];
  let files = 0;
  for (const entry of Deno.readDirSync(root)) {
    if (!entry.name.endsWith(".ts")) continue;
    files++;
    for (const spec of importsOf(Deno.readTextFileSync(root + entry.name))) {
      if (!allowed.some((re) => re.test(spec))) offenders.push(`${entry.name}: ${spec}`);
    }
  }
  assert.ok(files >= 8, `read ${files} files`);
  assert.deepEqual(offenders, []);
});

Deno.test("the import check sees the imports it is meant to refuse", () => {
  const sample =
    'import { TlsAlert } from "../tls/alert.ts";\nexport { x } from "./x.ts";\nimport type { Y } from "z";';
  assert.deepEqual(importsOf(sample), ["../tls/alert.ts", "./x.ts", "z"]);
});

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

/**
 * Constant-time comparison for secrets the peer can probe: AEAD tags, Finished verify_data
 * (RFC 8446 §4.4.4) and PSK binders (§4.2.11.2). The time taken depends on the lengths only,
 * which are public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

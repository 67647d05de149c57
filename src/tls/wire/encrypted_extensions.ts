/** EncryptedExtensions (RFC 8446 §4.3.1): the server's extensions that are not needed to derive keys. */
import { type Extension, readExtensions, writeExtensions } from "./extensions/extension_list.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export function decodeEncryptedExtensions(body: Uint8Array): Extension[] {
  const r = new Reader(body);
  const extensions = readExtensions(r);
  r.expectEnd("EncryptedExtensions");
  return extensions;
}

export function encodeEncryptedExtensions(extensions: readonly Extension[]): Uint8Array {
  const w = new Writer();
  writeExtensions(w, extensions);
  return w.finish();
}

/** NewSessionTicket (RFC 8446 §4.6.1). */
import { ExtensionType, HandshakeType } from "./constants.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions/extension_list.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export interface NewSessionTicket {
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extension[];
}

export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body);
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vec8();
  const ticket = r.vec16(1);
  const extensions = readExtensions(r);
  r.expectEnd("NewSessionTicket");
  return { lifetime, ageAdd, nonce, ticket, extensions };
}

export function encodeNewSessionTicket(t: NewSessionTicket): Uint8Array {
  const w = new Writer(64 + t.ticket.length);
  writeBody(w, t);
  return w.finish();
}

/** The whole handshake message, header included, written in one buffer (a server sends one or more per handshake). */
export function encodeNewSessionTicketMessage(t: NewSessionTicket): Uint8Array {
  const w = new Writer(80 + t.ticket.length).u8(HandshakeType.new_session_ticket);
  w.vec24((b) => writeBody(b, t));
  return w.finish();
}

function writeBody(w: Writer, t: NewSessionTicket): void {
  w.u32(t.lifetime).u32(t.ageAdd).opaque8(t.nonce).opaque16(t.ticket);
  writeExtensions(w, t.extensions);
}

/** The early_data extension of a ticket carries max_early_data_size (RFC 8446 §4.2.10). */
export function ticketMaxEarlyData(t: NewSessionTicket): number {
  const ext = t.extensions.find((e) => e.type === ExtensionType.early_data);
  if (!ext) return 0;
  return new Reader(ext.data).u32();
}

// TLS ClientHello recognition and its server_name (SNI) extension, for DoH/DoT bypass evidence.

const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;
const MAX_RECORD_BYTES = 16384 + 2048;

/**
 * Length of the TLS record that `data` starts with, when it looks like a ClientHello (handshake
 * record, TLS 1.0-1.3 version, first handshake byte ClientHello); 0 otherwise.
 */
export function clientHelloRecordLength(data: Buffer): number {
  if (data.length < 6 || data[0] !== CONTENT_HANDSHAKE || data[1] !== 0x03 || (data[2] ?? 0xff) > 0x04)
    return 0;
  const length = data.readUInt16BE(3);
  if (length < 4 || length > MAX_RECORD_BYTES || data[5] !== HANDSHAKE_CLIENT_HELLO) return 0;
  return 5 + length;
}

/** The host_name of the server_name extension in a ClientHello record, or undefined. Never throws. */
export function readSni(record: Buffer): string | undefined {
  const end = record.length;
  // record header (5), handshake type (1) and length (3), client_version (2), random (32)
  let at = 5 + 4 + 2 + 32;
  if (at + 1 > end) return undefined;
  at += 1 + (record[at] ?? 0); // session id
  if (at + 2 > end) return undefined;
  at += 2 + record.readUInt16BE(at); // cipher suites
  if (at + 1 > end) return undefined;
  at += 1 + (record[at] ?? 0); // compression methods
  if (at + 2 > end) return undefined;
  const extensionsEnd = Math.min(end, at + 2 + record.readUInt16BE(at));
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = record.readUInt16BE(at);
    const length = record.readUInt16BE(at + 2);
    at += 4;
    if (at + length > extensionsEnd) return undefined;
    if (type === EXTENSION_SERVER_NAME) return hostName(record, at, at + length);
    at += length;
  }
  return undefined;
}

function hostName(record: Buffer, start: number, end: number): string | undefined {
  if (start + 2 > end) return undefined;
  const listEnd = Math.min(end, start + 2 + record.readUInt16BE(start));
  for (let at = start + 2; at + 3 <= listEnd;) {
    const type = record[at] ?? 0xff;
    const length = record.readUInt16BE(at + 1);
    at += 3;
    if (at + length > listEnd) return undefined;
    if (type === NAME_TYPE_HOST && length > 0) return printable(record, at, at + length);
    at += length;
  }
  return undefined;
}

/**
 * The SNI as text with every byte outside printable ASCII as RFC 1035 `\DDD`, like qnames: an agent writes its own
 * ClientHello, and escape sequences in it must not reach an analyst's terminal through `replay`.
 */
function printable(record: Buffer, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const c = record[i] ?? 0;
    out += c > 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`;
  }
  return out;
}

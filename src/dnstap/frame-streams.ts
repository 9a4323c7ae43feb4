// Frame Streams (fstrm): data frames and the READY/ACCEPT/START/STOP/FINISH control frames dnstap rides on.
//
// A data frame is a big-endian uint32 length and the payload. A control frame starts with a zero length (the
// escape), then its own length, its type and fields; the only field is CONTENT_TYPE (type 1, length, bytes).

export const CONTROL = { ACCEPT: 1, START: 2, STOP: 3, READY: 4, FINISH: 5 } as const;
export type ControlType = (typeof CONTROL)[keyof typeof CONTROL];

const FIELD_CONTENT_TYPE = 1;
/** Control frames are small; a longer one is a protocol error (fstrm caps them at 512 bytes). */
const MAX_CONTROL_BYTES = 512;

export function controlFrame(type: ControlType, contentType?: string): Buffer {
  const content = contentType === undefined ? Buffer.alloc(0) : Buffer.from(contentType, 'utf8');
  const fields = contentType === undefined ? 0 : 8 + content.length;
  const frame = Buffer.alloc(12 + fields);
  frame.writeUInt32BE(0, 0);
  frame.writeUInt32BE(4 + fields, 4);
  frame.writeUInt32BE(type, 8);
  if (contentType !== undefined) {
    frame.writeUInt32BE(FIELD_CONTENT_TYPE, 12);
    frame.writeUInt32BE(content.length, 16);
    content.copy(frame, 20);
  }
  return frame;
}

/** The data frames of `payloads`, concatenated: one write for a batch. */
export function dataFrames(payloads: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const p of payloads) size += 4 + p.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of payloads) {
    out.writeUInt32BE(p.length, at);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

export interface ControlMessage {
  readonly type: number;
  readonly contentTypes: readonly string[];
}

/** Reads control frames from a byte stream (the reader's side of a bidirectional connection). */
export class ControlReader {
  private buffered = Buffer.alloc(0);

  /** Appends `chunk`; returns the complete control frames so far. Throws on anything but a control frame. */
  push(chunk: Buffer): ControlMessage[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const out: ControlMessage[] = [];
    while (this.buffered.length >= 8) {
      if (this.buffered.readUInt32BE(0) !== 0) throw new Error('frame streams: data frame from the reader');
      const length = this.buffered.readUInt32BE(4);
      if (length < 4 || length > MAX_CONTROL_BYTES)
        throw new Error(`frame streams: control length ${length}`);
      if (this.buffered.length < 8 + length) break;
      out.push(parseControl(this.buffered.subarray(8, 8 + length)));
      this.buffered = this.buffered.subarray(8 + length);
    }
    return out;
  }
}

function parseControl(body: Buffer): ControlMessage {
  const type = body.readUInt32BE(0);
  const contentTypes: string[] = [];
  let at = 4;
  while (at + 8 <= body.length) {
    const field = body.readUInt32BE(at);
    const length = body.readUInt32BE(at + 4);
    if (at + 8 + length > body.length) throw new Error('frame streams: control field overruns its frame');
    if (field === FIELD_CONTENT_TYPE) contentTypes.push(body.toString('utf8', at + 8, at + 8 + length));
    at += 8 + length;
  }
  return { type, contentTypes };
}

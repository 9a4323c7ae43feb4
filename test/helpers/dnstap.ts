// The real dnstap tools: fstrm_capture as the reader on a unix socket, dnstap-ldns to decode what it wrote.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startProcess, waitFor, type Running } from './processes.js';

const run = promisify(execFile);

/** `fstrm_capture -t protobuf:dnstap.Dnstap -u SOCKET -w FILE`, once its socket exists. */
export async function startFstrmCapture(socket: string, file: string): Promise<Running> {
  const proc = startProcess('fstrm_capture', ['-t', 'protobuf:dnstap.Dnstap', '-u', socket, '-w', file]);
  await waitFor(
    () => {
      if (proc.child.exitCode !== null) throw new Error(`fstrm_capture exited:\n${proc.output()}`);
      return existsSync(socket) && proc.output().includes('opened output file');
    },
    10_000,
    'fstrm_capture to listen',
  );
  return proc;
}

/** One dnstap message as dnstap-ldns -y prints it. */
export interface TapRecord {
  readonly type: string;
  readonly protocol: string;
  readonly queryAddress: string | undefined;
  readonly queryPort: number | undefined;
  readonly responseAddress: string | undefined;
  readonly responsePort: number | undefined;
  readonly identity: string;
  /** QNAME of the message (response message for *_RESPONSE), lower-case, no trailing dot. */
  readonly name: string;
  /** rcode of the response message ("" for queries). */
  readonly rcode: string;
}

/** Decodes a Frame Streams file with `dnstap-ldns -y -r FILE`. */
export async function readDnstap(file: string): Promise<TapRecord[]> {
  const { stdout } = await run('dnstap-ldns', ['-y', '-r', file], { timeout: 15_000, maxBuffer: 64 << 20 });
  const out: TapRecord[] = [];
  for (const doc of parseAllDocuments(stdout, { version: '1.1' })) {
    const top = doc.toJSON() as Record<string, unknown> | null;
    if (!top) continue;
    const m = top.message as Record<string, unknown>;
    const response = typeof m.response_message === 'string' ? m.response_message : '';
    const wire = response !== '' ? response : typeof m.query_message === 'string' ? m.query_message : '';
    out.push({
      type: String(m.type),
      protocol: String(m.socket_protocol),
      queryAddress: m.query_address as string | undefined,
      queryPort: m.query_port as number | undefined,
      responseAddress: m.response_address as string | undefined,
      responsePort: m.response_port as number | undefined,
      identity: String(top.identity),
      name: (/;; QUESTION SECTION:\n;(\S+?)\.?\s/.exec(wire)?.[1] ?? '').toLowerCase(),
      rcode: response === '' ? '' : (/rcode: (\w+)/.exec(response)?.[1] ?? ''),
    });
  }
  return out;
}

// dnstap payloads: ClientExchange / ForwarderExchange -> the official dnstap.proto Dnstap message (protobufjs).
import protobuf from 'protobufjs';
import { addressToBigInt } from '../lib/cidr.js';
import type { ClientExchange, ForwarderExchange } from '../model/dns-tap.js';

/** The Frame Streams content type every dnstap reader expects. */
export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

// numbers from dnstap.proto (kept beside this file with its licence)
const DNSTAP_MESSAGE = 1;
const TYPE = { CLIENT_QUERY: 5, CLIENT_RESPONSE: 6, FORWARDER_QUERY: 7, FORWARDER_RESPONSE: 8 } as const;
const FAMILY = { 4: 1, 6: 2 } as const;
const PROTOCOL = { udp: 1, tcp: 2 } as const;
const ACTION = { NXDOMAIN: 1, PASS: 3, DROP: 4, LOCAL_DATA: 6 } as const;
const MATCH_QNAME = 1;

const root = protobuf.loadSync(new URL('./dnstap.proto', import.meta.url).pathname);
const Dnstap = root.lookupType('dnstap.Dnstap');

export interface DnstapIdentity {
  readonly identity: string;
  readonly version: string;
}

/** CLIENT_QUERY, then CLIENT_RESPONSE when an answer was sent; agent, group, decision and rule as JSON in `extra`. */
export function clientMessages(e: ClientExchange, id: DnstapIdentity): Uint8Array[] {
  const common = {
    ...endpoint(e.clientIp),
    socketProtocol: PROTOCOL[e.transport],
    queryPort: e.clientPort,
    ...time('query', e.queryTimeMs),
    policy: policy(e),
  };
  const extra = JSON.stringify({ agent: e.agentId, group: e.group, decision: e.decision, rule: e.ruleId });
  const out = [encode(id, extra, { ...common, type: TYPE.CLIENT_QUERY, queryMessage: e.query })];
  if (e.response)
    out.push(
      encode(id, extra, {
        ...common,
        type: TYPE.CLIENT_RESPONSE,
        queryMessage: e.query,
        responseMessage: e.response,
        ...time('response', e.responseTimeMs),
      }),
    );
  return out;
}

/** FORWARDER_QUERY, then FORWARDER_RESPONSE when the upstream answered. */
export function forwarderMessages(e: ForwarderExchange, id: DnstapIdentity): Uint8Array[] {
  const address = addressBytes(e.upstreamIp);
  const common = {
    socketFamily: address.family,
    socketProtocol: PROTOCOL[e.transport],
    responseAddress: address.bytes,
    responsePort: e.upstreamPort,
    ...time('query', e.queryTimeMs),
  };
  const out = [encode(id, undefined, { ...common, type: TYPE.FORWARDER_QUERY, queryMessage: e.query })];
  if (e.response && e.responseTimeMs !== null)
    out.push(
      encode(id, undefined, {
        ...common,
        type: TYPE.FORWARDER_RESPONSE,
        responseMessage: e.response,
        ...time('response', e.responseTimeMs),
      }),
    );
  return out;
}

function encode(id: DnstapIdentity, extra: string | undefined, message: Record<string, unknown>): Uint8Array {
  const frame: Record<string, unknown> = {
    identity: Buffer.from(id.identity),
    version: Buffer.from(id.version),
    type: DNSTAP_MESSAGE,
    message,
  };
  if (extra !== undefined) frame.extra = Buffer.from(extra);
  return Dnstap.encode(Dnstap.create(frame)).finish();
}

function endpoint(ip: string): Record<string, unknown> {
  const address = addressBytes(ip);
  return { socketFamily: address.family, queryAddress: address.bytes };
}

/** 4 bytes for IPv4 (also IPv4-mapped IPv6), 16 for IPv6. */
function addressBytes(ip: string): { family: number; bytes: Buffer } {
  const parsed = addressToBigInt(ip);
  if (!parsed) return { family: FAMILY[4], bytes: Buffer.alloc(4) };
  const size = parsed.family === 4 ? 4 : 16;
  const bytes = Buffer.alloc(size);
  let value = parsed.value;
  for (let i = size - 1; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return { family: FAMILY[parsed.family], bytes };
}

function time(prefix: 'query' | 'response', epochMs: number): Record<string, number> {
  const sec = Math.floor(epochMs / 1000);
  // the clocks are exact to the microsecond: nanoseconds past that are float noise
  const nsec = Math.min(999_999_000, Math.round((epochMs - sec * 1000) * 1000) * 1000);
  return { [`${prefix}TimeSec`]: sec, [`${prefix}TimeNsec`]: nsec };
}

/** dnsward's decision as a dnstap Policy: type "dnsward", the rule id, and what was done. */
function policy(e: ClientExchange): Record<string, unknown> {
  const rcode = e.response && e.response.length >= 4 ? e.response.readUInt16BE(2) & 0xf : -1;
  let action: number = ACTION.PASS;
  if (e.decision === 'deny') action = rcode === 3 ? ACTION.NXDOMAIN : ACTION.LOCAL_DATA;
  else if (e.response === null) action = ACTION.DROP;
  else if (e.decision === 'rate-limited') action = ACTION.LOCAL_DATA;
  return { type: 'dnsward', rule: Buffer.from(e.ruleId), action, match: MATCH_QNAME };
}

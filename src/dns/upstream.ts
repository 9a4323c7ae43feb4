// One exchange with one upstream: random ID and pooled random source port, answer accepted only from the right address,
// with the right ID and question; a truncated UDP answer is retried over TCP.
import { connect } from 'node:net';
import { formatHostPort, type HostPort } from '../config/host-port.js';
import type { ForwarderExchange } from '../model/dns-tap.js';
import type { Query, Transport } from '../model/query.js';
import { randomQueryId } from './random-id.js';
import { appendOpt, OPT_BYTES } from './responses.js';
import type { UdpSocketPool } from './udp-socket-pool.js';
import { readUpstreamAnswer, type UpstreamAnswer } from './upstream-answer.js';
import { HEADER_BYTES, sameQuestion } from './wire.js';

export class UpstreamError extends Error {
  constructor(
    readonly upstream: string,
    readonly kind: 'timeout' | 'network' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamTimeouts {
  readonly udpMs: number;
  readonly tcpMs: number;
}

/** An accepted answer and the bytes it was read from (as received, for dnstap). */
interface Received {
  readonly answer: UpstreamAnswer;
  readonly reply: Buffer;
}

/** Counters of answers we refused to believe. */
export const upstreamStats = { mismatched: 0 };

export class Upstream {
  readonly label: string;

  constructor(
    readonly server: HostPort,
    private readonly timeouts: UpstreamTimeouts,
    private readonly pool: UdpSocketPool,
    /** dnstap: each exchange's wire messages (FORWARDER_QUERY/RESPONSE). */
    private readonly tap?: (exchange: ForwarderExchange) => void,
  ) {
    this.label = formatHostPort(server);
  }

  /** Sends the client's question (no client options: ECS and the rest are not forwarded) and returns the answer. */
  async exchange(msg: Buffer, query: Query): Promise<UpstreamAnswer> {
    const udp = await this.tapped('udp', buildUpstreamQuery(msg, query), query);
    if (!udp.truncated) return udp;
    return this.tapped('tcp', buildUpstreamQuery(msg, query), query);
  }

  /** One exchange over `transport`, reported to the tap (if any) once it has settled. */
  private async tapped(transport: Transport, out: Buffer, query: Query): Promise<UpstreamAnswer> {
    const exchange = (): Promise<Received> =>
      transport === 'udp' ? this.exchangeUdp(out, query) : this.exchangeTcp(out, query);
    const tap = this.tap;
    if (!tap) return (await exchange()).answer;
    const sent = performance.timeOrigin + performance.now();
    const report = (response: Buffer | null): void =>
      tap({
        transport,
        upstreamIp: this.server.host,
        upstreamPort: this.server.port,
        queryTimeMs: sent,
        responseTimeMs: response ? performance.timeOrigin + performance.now() : null,
        query: out,
        response,
      });
    try {
      const { answer, reply } = await exchange();
      report(reply);
      return answer;
    } catch (error) {
      report(null);
      throw error;
    }
  }

  private exchangeUdp(out: Buffer, query: Query): Promise<Received> {
    return new Promise((resolve, reject) => {
      const cancel = this.pool.send(this.server, out, (reply, from) => {
        // an answer from anywhere but the upstream's address and port is not believed
        if (from.address !== this.server.host || from.port !== this.server.port) {
          upstreamStats.mismatched++;
          return false;
        }
        const answer = this.accept(out, reply, query);
        if (!answer) return false;
        clearTimeout(timer);
        resolve({ answer, reply });
        return true;
      });
      const timer = setTimeout(() => {
        cancel();
        reject(new UpstreamError(this.label, 'timeout', `no answer in ${this.timeouts.udpMs} ms`));
      }, this.timeouts.udpMs);
    });
  }

  private exchangeTcp(out: Buffer, query: Query): Promise<Received> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.server.host, port: this.server.port });
      let received = Buffer.alloc(0);
      const finish = (error: Error | null, answer?: Received): void => {
        clearTimeout(timer);
        socket.destroy();
        if (answer) resolve(answer);
        else reject(error ?? new UpstreamError(this.label, 'network', 'connection closed'));
      };
      const timer = setTimeout(
        () => finish(new UpstreamError(this.label, 'timeout', `no TCP answer in ${this.timeouts.tcpMs} ms`)),
        this.timeouts.tcpMs,
      );
      socket.on('error', (error) => finish(new UpstreamError(this.label, 'network', error.message)));
      socket.on('close', () => finish(null));
      socket.on('connect', () => {
        const frame = Buffer.allocUnsafe(2 + out.length);
        frame.writeUInt16BE(out.length, 0);
        out.copy(frame, 2);
        socket.write(frame);
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
          const reply = received.subarray(2, 2 + received.readUInt16BE(0));
          received = received.subarray(2 + reply.length);
          const answer = this.accept(out, reply, query);
          if (answer) {
            finish(null, { answer, reply });
            return;
          }
        }
      });
    });
  }

  /** The cache-poisoning checks: a response, our ID, our question, and well-formed. */
  private accept(sent: Buffer, reply: Buffer, query: Query): UpstreamAnswer | null {
    if (
      reply.length < query.questionEnd ||
      reply.readUInt16BE(0) !== sent.readUInt16BE(0) ||
      (reply.readUInt16BE(2) & 0x8000) === 0 ||
      reply.readUInt16BE(4) !== 1 ||
      !sameQuestion(sent, HEADER_BYTES, query.questionEnd, reply, HEADER_BYTES)
    ) {
      upstreamStats.mismatched++;
      return null;
    }
    return readUpstreamAnswer(reply, query.questionEnd);
  }
}

/** Header with a fresh random ID and RD set, the client's question as asked, and our own OPT record. */
function buildUpstreamQuery(msg: Buffer, query: Query): Buffer {
  const out = Buffer.allocUnsafe(query.questionEnd + OPT_BYTES);
  msg.copy(out, 0, 0, query.questionEnd);
  out.writeUInt16BE(randomQueryId(), 0);
  out.writeUInt16BE(0x0100 | (query.checkingDisabled ? 0x0010 : 0), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  appendOpt(out, query.questionEnd, query.dnssecOk);
  return out;
}

// The answer-set stage behind the event queue: every address dnsward sent for an allowed name goes to the
// nftables set, with its TTL clamped, keyed by (agent, destination) or by destination; never on the answer path.
import type { NftablesConfig } from '../config/sections/egress.js';
import type { EventConsumer } from '../model/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import type { NftBatch } from './nft-batch.js';
import { plainAddress, type OpenedBy } from './opened-by.js';

export class AnswerSets implements EventConsumer {
  constructor(
    private readonly config: NftablesConfig,
    private readonly batch: Pick<NftBatch, 'add' | 'close'>,
    private readonly opened: OpenedBy,
  ) {}

  consume(events: readonly QueryEvent[]): void {
    for (const event of events) {
      // only answers the policy allowed: denied, audit-mode would-deny and refused ones never open the firewall;
      // rebinding-stripped addresses were removed from the answer before it was sent, so they are not here
      const addresses = event.answerAddresses;
      if (event.decision !== 'allow' || addresses === undefined || addresses.length === 0) continue;
      const { minTtl, maxTtl, perAgent } = this.config;
      const timeoutS = Math.max(1, minTtl, Math.min(maxTtl, event.answerTtl ?? 0));
      const agentIp = plainAddress(event.clientIp);
      const agentV6 = agentIp.includes(':');
      const expiresAt = event.ts + timeoutS * 1000;
      for (const dst of addresses) {
        const v6 = dst.includes(':');
        // a key already in the set for more than half the new timeout needs no refresh yet
        if (!this.opened.offer(agentIp, dst, event.qname, event.ts, expiresAt, timeoutS * 500)) continue;
        if (!perAgent) this.batch.add({ set: v6 ? 'egress_v6' : 'egress_v4', key: dst, timeoutS });
        else if (v6 === agentV6)
          this.batch.add({
            set: v6 ? 'egress_agent_v6' : 'egress_agent_v4',
            key: `${agentIp} . ${dst}`,
            timeoutS,
          });
      }
    }
  }

  close(): Promise<void> {
    return this.batch.close();
  }
}

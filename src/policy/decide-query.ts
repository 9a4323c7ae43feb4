// The decision for one parsed query: guard, then policy, then budget (dns/decide-message.ts runs it for both the server and replay).
import type { Agent } from '../model/agent.js';
import type { Decision } from '../model/decision.js';
import type { GroupPolicy } from './group-policy.js';
import type { Guard } from './guard.js';

export function decideQuery(
  group: GroupPolicy,
  guard: Guard,
  agent: Agent,
  name: string,
  qtype: number,
  now: number,
): Decision {
  // rate limits and quarantines first: they hold whatever the allowlist says
  const decision = guard.admit(agent, group, name, now) ?? group.decide(name, qtype, now);
  // new names past the exfiltration budget of an allowed base domain or wildcard entry are denied too
  if (decision.kind === 'allow' && !guard.withinBudget(agent, group, name, decision, now))
    return group.denied.budget;
  return decision;
}

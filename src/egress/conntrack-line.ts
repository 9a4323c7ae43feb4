// One line of `conntrack -E -o timestamp,id` read into a record: event kind, time, both tuples, counters.

export interface ConntrackTuple {
  readonly src: string;
  readonly dst: string;
  /** 0 for protocols without ports (ICMP). */
  readonly sport: number;
  readonly dport: number;
  /** Counters (with net.netfilter.nf_conntrack_acct=1, on DESTROY only); 0 otherwise. */
  readonly packets: number;
  readonly bytes: number;
}

export interface ConntrackRecord {
  readonly kind: 'new' | 'destroy';
  /** Epoch ms of the event (conntrack's timestamp). */
  readonly ts: number;
  readonly proto: string;
  /** The direction the agent opened (original) and the answer's (reply). */
  readonly orig: ConntrackTuple;
  readonly reply: ConntrackTuple;
  /** conntrack's id of the entry: pairs a DESTROY with its NEW. */
  readonly id: string;
  /** Seconds the entry lived (delta-time=, with net.netfilter.nf_conntrack_timestamp=1), or null. */
  readonly deltaS: number | null;
}

const HEAD = /^\[(\d+)\.(\d+)\]\s+\[(NEW|DESTROY)\]\s+(\S+)\s/;

/** Null for lines of another shape (UPDATE events, conntrack's own messages). */
export function parseConntrackLine(line: string): ConntrackRecord | null {
  const head = HEAD.exec(line);
  if (head === null) return null;
  const [, seconds = '0', fraction = '0', kind, proto = ''] = head;
  const tuples: Record<string, string>[] = [{}, {}];
  let id = '';
  let deltaS: number | null = null;
  let side = 0;
  for (const token of line.slice(head[0].length).split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0) continue;
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (key === 'delta-time') deltaS = Number(value);
    else if (key === 'id')
      id = value; // the entry's id is the last one (ICMP tuples carry an id= of their own)
    else {
      // the second src= starts the reply tuple
      if (key === 'src' && tuples[side]?.src !== undefined) side = 1;
      const tuple = tuples[side];
      if (tuple !== undefined && tuple[key] === undefined) tuple[key] = value;
    }
  }
  const [o = {}, r = {}] = tuples;
  if (o.src === undefined || o.dst === undefined) return null;
  return {
    kind: kind === 'NEW' ? 'new' : 'destroy',
    ts: Number(seconds) * 1000 + Math.floor(Number(`0.${fraction}`) * 1000),
    proto,
    orig: tuple(o),
    reply: tuple(r),
    id,
    deltaS,
  };
}

function tuple(fields: Record<string, string>): ConntrackTuple {
  const n = (key: string): number => Number(fields[key] ?? 0) || 0;
  return {
    src: fields.src ?? '',
    dst: fields.dst ?? '',
    sport: n('sport'),
    dport: n('dport'),
    packets: n('packets'),
    bytes: n('bytes'),
  };
}

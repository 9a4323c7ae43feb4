// The report's one chart: queries over time, one stacked bar a bucket, one colour a decision; inline SVG with a
// <title> a bar (the hover text), so the page needs no script.
import { escapeHtml, groupDigits } from '../lib/html.js';
import type { EventDecision } from '../model/query-event.js';
import type { TimelineBucket } from './query-tally.js';

/** Stacking order (bottom up) and colour; the colours stay apart for the common colour-vision deficiencies. */
export const DECISION_COLOURS: readonly (readonly [EventDecision, string])[] = [
  ['allow', '#2b8a3e'],
  ['would-deny', '#e8590c'],
  ['deny', '#c92a2a'],
  ['rate-limited', '#7048e8'],
  ['malformed', '#868e96'],
  ['not-implemented', '#adb5bd'],
  ['refused-class', '#495057'],
];

const WIDTH = 900;
const HEIGHT = 240;
const LEFT = 56;
const BOTTOM = 28;
const TOP = 10;

export function timelineSvg(timeline: readonly TimelineBucket[], bucket: 'hour' | 'day'): string {
  const totals = timeline.map((b) => Object.values(b.counts).reduce((sum, n) => sum + n, 0));
  const max = Math.max(1, ...totals);
  const plotHeight = HEIGHT - BOTTOM - TOP;
  const step = (WIDTH - LEFT) / Math.max(1, timeline.length);
  const barWidth = Math.max(1, step * 0.8);
  const bars = timeline.map((b, i) => {
    let y = HEIGHT - BOTTOM;
    const x = LEFT + i * step + (step - barWidth) / 2;
    const parts = DECISION_COLOURS.flatMap(([decision, colour]) => {
      const n = b.counts[decision] ?? 0;
      if (n === 0) return [];
      const h = (n / max) * plotHeight;
      y -= h;
      return [
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"/>`,
      ];
    });
    const label = `${bucketLabel(b.start, bucket)}: ${groupDigits(totals[i] ?? 0)} queries${DECISION_COLOURS.map(
      ([d]) => (b.counts[d] ? `, ${d} ${groupDigits(b.counts[d])}` : ''),
    ).join('')}`;
    return `<g><title>${escapeHtml(label)}</title>${parts.join('')}</g>`;
  });
  const ticks = [0, Math.floor((timeline.length - 1) / 2), timeline.length - 1]
    .filter((i, k, all) => i >= 0 && all.indexOf(i) === k)
    .map((i) => {
      const x = LEFT + i * step + step / 2;
      return `<text x="${x.toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(bucketLabel(timeline[i]?.start ?? '', bucket))}</text>`;
    });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="queries per ${bucket} by decision" class="chart">`,
    `<line x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH}" y2="${HEIGHT - BOTTOM}" stroke="#444"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${HEIGHT - BOTTOM}" stroke="#444"/>`,
    `<text x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end">${groupDigits(max)}</text>`,
    `<text x="${LEFT - 6}" y="${HEIGHT - BOTTOM}" text-anchor="end">0</text>`,
    ...bars,
    ...ticks,
    '</svg>',
  ].join('\n');
}

/** "2026-12-03 14:00" for hours, "2026-12-03" for days. */
function bucketLabel(start: string, bucket: 'hour' | 'day'): string {
  return bucket === 'hour' ? `${start.slice(0, 10)} ${start.slice(11, 16)}` : start.slice(0, 10);
}

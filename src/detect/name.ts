// Presentation-form query names -> labels of raw bytes, with counts of bytes outside letters/digits/"-"/"_".

export interface ParsedName {
  /** Labels left to right; each char is one wire byte (latin1), escapes (`\DDD`, `\.`) decoded. */
  readonly labels: readonly string[];
  /** Bytes outside [a-z0-9_-] (A-Z counts as LDH; a lone `*` wildcard label does not count). */
  readonly nonLdh: number;
  /** Bytes that are not printable ASCII (< 0x21 or > 0x7e): raw 8-bit or Base128 encodings. */
  readonly raw: number;
  readonly longestLabel: number;
  /** Wire length of the name (sum of label lengths + one length byte each + root). */
  readonly wireLength: number;
}

/** a-z, 0-9, "-", "_" (and A-Z, which the event should already have lower-cased). */
export function isLdhCode(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 45 ||
    code === 95 ||
    (code >= 65 && code <= 90)
  );
}

/** Parses a lower-cased presentation name (`\DDD` and `\X` escapes, no trailing dot; "." or "" = root). */
export function parseName(qname: string): ParsedName {
  if (qname === '' || qname === '.') return { labels: [], nonLdh: 0, raw: 0, longestLabel: 0, wireLength: 1 };
  const labels = qname.includes('\\') ? splitEscaped(qname) : qname.split('.');
  if (labels[labels.length - 1] === '') labels.pop();
  let nonLdh = 0;
  let raw = 0;
  let longest = 0;
  let wire = 1;
  for (const label of labels) {
    wire += label.length + 1;
    if (label.length > longest) longest = label.length;
    if (label === '*') continue;
    for (let i = 0; i < label.length; i++) {
      const code = label.charCodeAt(i);
      if (!isLdhCode(code)) {
        nonLdh++;
        if (code < 0x21 || code > 0x7e) raw++;
      }
    }
  }
  return { labels, nonLdh, raw, longestLabel: longest, wireLength: wire };
}

function splitEscaped(qname: string): string[] {
  const labels: string[] = [];
  let current = '';
  for (let i = 0; i < qname.length; i++) {
    const ch = qname.charAt(i);
    if (ch === '\\') {
      const digits = qname.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        current += String.fromCharCode(Number(digits) & 0xff);
        i += 3;
      } else if (i + 1 < qname.length) {
        current += qname.charAt(i + 1);
        i += 1;
      }
    } else if (ch === '.') {
      labels.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  labels.push(current);
  return labels;
}

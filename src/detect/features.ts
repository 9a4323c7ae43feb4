// Lexical features of the subdomain part: lengths, charset, normalised entropy, encoded runs, bigram surprisal.
import { BIGRAM_BOUNDARY, BIGRAM_SIZE, BIGRAM_SURPRISAL_DECIBITS } from './bigram-table.js';

/** The smallest alphabet the data fits in; its size bounds the information per character. */
export type Charset = 'empty' | 'digits' | 'hex' | 'alpha' | 'base32' | 'alnum' | 'ldh' | 'printable' | 'raw';

const CHARSET_SIZE: Record<Charset, number> = {
  empty: 1,
  digits: 10,
  hex: 16,
  alpha: 26,
  base32: 32,
  alnum: 36,
  ldh: 38,
  printable: 64,
  raw: 256,
};

export interface LexicalFeatures {
  /** Characters of the subdomain including dots. */
  readonly subLength: number;
  /** Characters of the data labels (service labels such as `_dmarc` left out). */
  readonly dataLength: number;
  readonly labelCount: number;
  readonly longestLabel: number;
  readonly charset: Charset;
  /** Charset-weighted information of the whole subdomain, in bytes (what a tunnel could carry in it). */
  readonly infoBytes: number;
  /** Shannon entropy of the data, bits per char. */
  readonly entropy: number;
  /** Entropy over the expected entropy of a uniformly random string of the same length and charset (hex tops out at 4 bits). */
  readonly entropyRatio: number;
  /** Longest label that looks like hex/base32/base64 data. */
  readonly encodedRun: number;
  /** Mean letter-bigram surprisal (bits) against English + hostname vocabulary; English ~3.5, random ~5.5. */
  readonly bigramBits: number;
  /** Letters the bigram mean is computed over. */
  readonly letters: number;
  /** Letter<->digit switches per character. */
  readonly switchRatio: number;
  /** 0..1: how much the name looks like encoded data. One lexical score never raises an alert above low. */
  readonly score: number;
}

/** RFC 6763/8552 underscore labels (`_dmarc`, `_domainkey`, `_tcp`, `_acme-challenge`, QNAME-minimisation `_`). */
export function isServiceLabel(label: string): boolean {
  return label.length <= 31 && /^_[a-z0-9-]*$/.test(label);
}

export function lexicalFeatures(subLabels: readonly string[]): LexicalFeatures {
  let subLength = subLabels.length > 0 ? subLabels.length - 1 : 0;
  let data = '';
  let longest = 0;
  let encodedRun = 0;
  let dataLabels = 0;
  for (const label of subLabels) {
    subLength += label.length;
    if (label.length > longest) longest = label.length;
    if (isServiceLabel(label) || label === '*') continue;
    data += label;
    dataLabels++;
    const run = encodedLabelRun(label);
    if (run > encodedRun) encodedRun = run;
  }
  const charset = charsetOf(data);
  const bits = Math.log2(CHARSET_SIZE[charset]);
  const infoBytes = (subLength * bits) / 8;
  const entropy = shannon(data);
  const expected = expectedRandomEntropy(data.length, CHARSET_SIZE[charset]);
  const entropyRatio = expected > 0 ? Math.min(1.2, entropy / expected) : 0;
  const { bits: bigramBits, letters } = bigramSurprisal(subLabels);
  const switchRatio = letterDigitSwitches(data);
  const features = {
    subLength,
    dataLength: data.length,
    labelCount: dataLabels,
    longestLabel: longest,
    charset,
    infoBytes,
    entropy,
    entropyRatio,
    encodedRun,
    bigramBits,
    letters,
    switchRatio,
    score: 0,
  };
  features.score = lexicalScore(features);
  return features;
}

const clamp01 = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x);

/** Weighted evidence; each part needs enough characters to mean anything. Documented in README.md. */
export function lexicalScore(f: Omit<LexicalFeatures, 'score'>): number {
  if (f.dataLength === 0) return 0;
  if (f.charset === 'raw' || f.charset === 'printable') return 1;
  const length = Math.max(clamp01((f.longestLabel - 16) / 32), clamp01((f.subLength - 40) / 80));
  const enoughChars = clamp01((f.dataLength - 6) / 26);
  const entropy = clamp01((f.entropyRatio - 0.85) / 0.13) * enoughChars;
  const bigram = clamp01((f.bigramBits - 4.2) / 1.3) * clamp01((f.letters - 4) / 16);
  const mix = clamp01((f.switchRatio - 0.12) / 0.25) * clamp01((f.dataLength - 6) / 18);
  const randomness = 1 - (1 - entropy) * (1 - bigram) * (1 - mix);
  const run = clamp01((f.encodedRun - 10) / 22);
  return clamp01(0.3 * length + 0.45 * randomness + 0.25 * run + 0.25 * length * randomness);
}

function charsetOf(data: string): Charset {
  if (data.length === 0) return 'empty';
  let digit = false;
  let hexLetter = false;
  let letter = false;
  let b32Digit = true;
  let hyphen = false;
  let printable = false;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digit = true;
      if (c < 50 || c > 55) b32Digit = false;
    } else if (c >= 97 && c <= 122) {
      letter = true;
      if (c <= 102) hexLetter = true;
    } else if (c >= 65 && c <= 90) {
      letter = true;
    } else if (c === 45 || c === 95) {
      hyphen = true;
    } else if (c >= 0x21 && c <= 0x7e) {
      printable = true;
    } else {
      return 'raw';
    }
  }
  if (printable) return 'printable';
  if (hyphen) return 'ldh';
  if (!letter) return 'digits';
  if (!digit) return 'alpha';
  if (!/[g-z]/.test(data) && hexLetter) return 'hex';
  if (b32Digit) return 'base32';
  return 'alnum';
}

/**
 * A label that reads as encoded data: printable non-LDH bytes anywhere, or a hyphen/underscore-free segment
 * that is long hex (>= 12, digits and letters) or a long alnum run mixing letters and digits (>= 16).
 * Segments keep hyphenated host names (`ac-shard-00-02`, `r4---sn-ab5l6nzr`) from reading as one run.
 */
function encodedLabelRun(label: string): number {
  if (label.length < 12) return 0;
  let best = 0;
  for (const segment of label.split(/[-_]/)) {
    if (segment.length < 12 || segment.length <= best) continue;
    let digits = 0;
    let letters = 0;
    for (let i = 0; i < segment.length; i++) {
      const c = segment.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
      else if (c >= 97 && c <= 122) letters++;
      else return label.length;
    }
    const hex = digits >= 2 && letters >= 2 && /^[0-9a-f]+$/.test(segment);
    const mixed = segment.length >= 16 && digits >= 2 && letters >= 4 && digits / segment.length >= 0.08;
    if (hex || mixed) best = segment.length;
  }
  return best;
}

/** shannon()'s scratch, reused so an event allocates no Map: a count per char code, codes in first-seen order. */
const charCounts = new Int32Array(65_536);
const charOrder: number[] = [];

function shannon(data: string): number {
  const n = data.length;
  if (n === 0) return 0;
  for (let i = 0; i < n; i++) {
    const c = data.charCodeAt(i);
    const count = charCounts[c] ?? 0;
    if (count === 0) charOrder.push(c);
    charCounts[c] = count + 1;
  }
  // summed in first-seen order, as before, so the float result stays bit-identical
  let h = 0;
  for (const c of charOrder) {
    const p = (charCounts[c] ?? 0) / n;
    h -= p * Math.log2(p);
    charCounts[c] = 0;
  }
  charOrder.length = 0;
  return h;
}

const expectedMemo = new Map<number, number>();

/**
 * Expected plug-in Shannon entropy of n symbols drawn uniformly from k: log2(n) - k*E[c log2 c]/n with
 * c ~ Binomial(n, 1/k). Short strings cannot reach log2(k), so this is the fair ceiling to normalise by.
 */
export function expectedRandomEntropy(n: number, k: number): number {
  if (n <= 1 || k <= 1) return 0;
  const m = Math.min(n, 512);
  const key = m * 1024 + k;
  const cached = expectedMemo.get(key);
  if (cached !== undefined) return cached;
  const p = 1 / k;
  let logPmf = m * Math.log(1 - p); // c = 0
  let acc = 0;
  for (let c = 1; c <= m; c++) {
    logPmf += Math.log((m - c + 1) / c) + Math.log(p / (1 - p));
    acc += Math.exp(logPmf) * c * Math.log2(c);
  }
  const value = Math.log2(m) - (k * acc) / m;
  expectedMemo.set(key, value);
  return value;
}

function letterIndex(c: number): number {
  if (c >= 97 && c <= 122) return c - 97;
  if (c >= 65 && c <= 90) return c - 65;
  return -1;
}

/** Mean surprisal over letter transitions within runs of >= 2 letters, word boundaries included. */
function bigramSurprisal(labels: readonly string[]): { bits: number; letters: number } {
  let total = 0;
  let transitions = 0;
  let letters = 0;
  for (const label of labels) {
    if (isServiceLabel(label) || label === '*') continue;
    let runStart = -1;
    for (let i = 0; i <= label.length; i++) {
      const idx = i < label.length ? letterIndex(label.charCodeAt(i)) : -1;
      if (idx >= 0) {
        if (runStart < 0) runStart = i;
        continue;
      }
      if (runStart >= 0 && i - runStart >= 2) {
        let prev = BIGRAM_BOUNDARY;
        for (let j = runStart; j < i; j++) {
          const cur = letterIndex(label.charCodeAt(j));
          total += BIGRAM_SURPRISAL_DECIBITS[prev * BIGRAM_SIZE + cur] ?? 0;
          prev = cur;
        }
        total += BIGRAM_SURPRISAL_DECIBITS[prev * BIGRAM_SIZE + BIGRAM_BOUNDARY] ?? 0;
        transitions += i - runStart + 1;
        letters += i - runStart;
      }
      runStart = -1;
    }
  }
  return { bits: transitions > 0 ? total / transitions / 10 : 0, letters };
}

function letterDigitSwitches(data: string): number {
  if (data.length < 2) return 0;
  let switches = 0;
  let prev = 0; // 1 letter, 2 digit
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    const cls = c >= 48 && c <= 57 ? 2 : (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ? 1 : 0;
    if (cls !== 0 && prev !== 0 && cls !== prev) switches++;
    if (cls !== 0) prev = cls;
  }
  return switches / data.length;
}

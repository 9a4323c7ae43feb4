// Parse a YAML file against a zod schema; every problem is reported as "file:line path: message".
import { LineCounter, parseDocument, isNode, visit } from 'yaml';
import type { z } from 'zod';
import { DnswardError, type ErrorCode } from '../errors.js';

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

export interface ParsedYaml<T> {
  readonly value: T;
  /** Source line of the node at `path` (or of its nearest existing parent). */
  readonly lineOf: (path: readonly PropertyKey[]) => number;
}

/** Parses `text` (read from `file`) as YAML and validates it; throws DnswardError with one detail line per problem. */
export function parseYaml<S extends z.ZodTypeAny>(
  file: string,
  text: string,
  schema: S,
  code: ErrorCode,
): ParsedYaml<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const line = e.linePos?.[0].line ?? lineCounter.linePos(e.pos[0]).line;
      return `${file}:${line} (yaml): ${e.message.split('\n')[0] ?? e.message}`;
    });
    throw new DnswardError(code, `${file}: invalid YAML`, details);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    throw new DnswardError(code, `${file}: invalid YAML`, [toJsProblem(file, doc, lineCounter, error)]);
  }
  const result = schema.safeParse(data ?? {});
  if (result.success) {
    return { value: result.data as z.output<S>, lineOf: (path) => lineOf(doc, lineCounter, path) };
  }
  const details = result.error.issues.map((issue) => {
    const line = lineOf(doc, lineCounter, issue.path);
    return `${file}:${line} ${formatPath(issue.path)}: ${issue.message}`;
  });
  throw new DnswardError(code, `${file}: ${details.length} problem(s)`, details);
}

/**
 * A document that parses but cannot become data: almost always an unquoted `*.example.com`, which YAML reads as an
 * alias to an anchor that does not exist. Names the line of the first alias and says to quote it.
 */
function toJsProblem(
  file: string,
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  error: unknown,
): string {
  let alias: { line: number; source: string } | undefined;
  visit(doc, {
    Alias(_, node) {
      alias = { line: node.range ? lineCounter.linePos(node.range[0]).line : 1, source: node.source };
      return visit.BREAK;
    },
  });
  if (alias === undefined) return `${file}:1 (yaml): ${(error as Error).message.split('\n')[0] ?? ''}`;
  return `${file}:${alias.line} (yaml): *${alias.source} is read as a YAML alias; quote a wildcard: '*${alias.source}'`;
}

/** The line of the deepest node on `path` that exists: a missing field points at its parent. */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

// Prints every folder -> folder import arrow inside src/ with its count of import lines, so the layer order can
// be checked by anyone: `node --import tsx tools/import-arrows.ts [ROOT]`. A folder is src/'s first level; a root
// file stands for itself.
import { readFileSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const src = join(root, 'src');

function folderOf(file: string): string {
  const parts = relative(src, file).split('/');
  const first = parts[0] ?? '';
  return parts.length > 1 ? first : first.replace(/\.[jt]s$/, '');
}

const arrows = new Map<string, number>();
for await (const file of glob('**/*.ts', { cwd: src })) {
  const path = join(src, file);
  for (const match of readFileSync(path, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const from = folderOf(path);
    const to = folderOf(resolve(dirname(path), match[1] ?? ''));
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    arrows.set(key, (arrows.get(key) ?? 0) + 1);
  }
}
const lines = [...arrows]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([key, n]) => `${String(n).padStart(4)}  ${key}`);
process.stdout.write(`${lines.join('\n')}\n`);

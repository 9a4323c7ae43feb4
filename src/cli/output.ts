// Printers shared by the CLI commands: aligned table, JSON document, CSV (RFC 4180), NDJSON.

export type OutputFormat = 'table' | 'json' | 'csv' | 'ndjson';

type Cell = string | number | boolean | null | undefined | readonly unknown[] | Record<string, unknown>;

function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatTable(rows: readonly Record<string, Cell>[], columns: readonly string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cellText(r[c]).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cellText(r[c]))))].join('\n') + '\n';
}

export function formatCsv(rows: readonly Record<string, Cell>[], columns: readonly string[]): string {
  const quote = (text: string): string => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return (
    [columns.join(','), ...rows.map((r) => columns.map((c) => quote(cellText(r[c]))).join(','))].join('\n') +
    '\n'
  );
}

export function formatRows(
  rows: readonly Record<string, Cell>[],
  columns: readonly string[],
  format: OutputFormat,
): string {
  switch (format) {
    case 'table':
      return formatTable(rows, columns);
    case 'csv':
      return formatCsv(rows, columns);
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'ndjson':
      return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
    default: {
      const never: never = format;
      return never;
    }
  }
}

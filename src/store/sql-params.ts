// One SQL text for both engines: written with PostgreSQL's `$n` placeholders; better-sqlite3 has no `?NNN`, so
// SQLite runs the text with `$n` renamed to the named parameter `$pN`, bound from the same array.

export function sqliteSql(sql: string): string {
  return sql.replace(/\$(\d+)/g, '$$p$1');
}

export function sqliteParams(params: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(params.map((value, i) => [`p${i + 1}`, value]));
}

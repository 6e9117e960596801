/** Quotes an identifier for SQLite: wrap in double quotes, double any inside. */
export function quoteSqliteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

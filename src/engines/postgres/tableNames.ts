/**
 * Table names, unambiguously. "a.b.c" could be schema "a.b" or table "b.c", so Lifeboat never
 * joins names with a bare dot where it must read them back: maps are keyed by the (schema, table)
 * pair, and names shown or typed quote any part that is not a plain lower-case identifier
 * ("a.b".c versus a."b.c"), as SQL would.
 */
export function tableKey(schema: string, table: string): string {
  return JSON.stringify([schema, table]);
}

export function fromTableKey(key: string): [string, string] {
  return JSON.parse(key) as [string, string];
}

export function displayName(schema: string, table: string): string {
  return `${quoteIfNeeded(schema)}.${quoteIfNeeded(table)}`;
}

/** How pg_dump's and pg_restore's --verbose messages name a table: unquoted, so only for matching
 *  progress lines, where a rare ambiguity costs nothing. */
export function verboseName(schema: string, table: string): string {
  return `${schema}.${table}`;
}

function quoteIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * `schema.table` or `"My Schema"."Odd.Name"`, the whole text and nothing else, → [schema, table],
 * exactly as written (no case folding: pg_restore matches names literally). Undefined when it is
 * not exactly a two-part name: `public.t"; drop table x; --` is refused, not read as public.t.
 */
export function parseTableName(text: string): [string, string] | undefined {
  const read = readQualifiedName(text.trim());
  return read && read.rest === '' ? read.name : undefined;
}

/** The table named by a COPY line's header as pg_dump writes it (`"a.b".c (x, y) FROM stdin;`):
 *  the name, then a column list or the FROM clause. */
export function parseCopyTarget(text: string): [string, string] | undefined {
  const read = readQualifiedName(text);
  return read && /^[\s(]/.test(read.rest) ? read.name : undefined;
}

/** A two-part name at the start of `text`, and what follows it. */
function readQualifiedName(text: string): { name: [string, string]; rest: string } | undefined {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let part = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        if (text[i] === '"') {
          if (text[i + 1] === '"') { part += '"'; i += 2; continue; }
          i++;
          closed = true;
          break;
        }
        part += text[i++];
      }
      if (!closed) return undefined;
    } else {
      while (i < text.length && /[^\s."(;]/.test(text[i])) part += text[i++];
    }
    parts.push(part);
    if (text[i] === '.') { i++; continue; }
    break;
  }
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { name: [parts[0], parts[1]], rest: text.slice(i) };
}

/**
 * How two tables line up before any row is read: columns matched by name, the kind each pair is
 * compared as, the key rows are matched by, and the read plan for each side.
 */
import { LifeboatError } from '../core/errors';
import type { ReadPlan, TableSource } from './source';
import type { ColumnInfo, DiffSummary, ValueKind } from './types';
import { pairKind } from './values';

export interface TablePairing {
  /** Matched columns as reported (production's names and types, the pair's kind). */
  columns: ColumnInfo[];
  backupPlan: ReadPlan;
  productionPlan: ReadPlan;
  /** Indexes into columns of the key, or null for a keyless (multiset) comparison. */
  keyIndexes: number[] | null;
  keySource: DiffSummary['keySource'];
  unmatched: { backup: string[]; production: string[] };
}

export function pairTables(backup: TableSource, production: TableSource, chosenKey?: string[]): TablePairing {
  const backupByName = new Map(backup.columns.map(c => [c.name, c]));
  const backupByLower = new Map<string, ColumnInfo[]>();
  for (const c of backup.columns) backupByLower.set(c.name.toLowerCase(), [...(backupByLower.get(c.name.toLowerCase()) ?? []), c]);
  const matched: { production: ColumnInfo; backup: ColumnInfo; kind: ValueKind }[] = [];
  const used = new Set<string>();
  for (const p of production.columns) {
    // Exact name first; else a case-insensitive match when it is the only one (PostgreSQL folds to lower case, others keep case).
    const candidates = backupByLower.get(p.name.toLowerCase()) ?? [];
    const b = backupByName.get(p.name) ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!b || used.has(b.name)) continue;
    used.add(b.name);
    matched.push({ production: p, backup: b, kind: pairKind(b.kind, p.kind) });
  }
  if (matched.length === 0) {
    throw new LifeboatError('usage', `${backup.label} and ${production.label} have no column names in common, so there is nothing to compare.`, 'Choose tables with the same columns.');
  }
  // Only the public fields: dialects keep more (collatable) that must not reach the summary.
  const columns: ColumnInfo[] = matched.map(({ production: p, kind }) => ({ name: p.name, type: p.type, kind, nullable: p.nullable, ...(p.generated ? { generated: true } : {}), ...(p.identityAlways ? { identityAlways: true } : {}) }));
  const { keyIndexes, keySource } = chooseKey(matched.map(m => m.production.name), production, chosenKey);
  // Keyless rows are ordered by every column that orders like its canonical text (not JSON, whose
  // canonical form sorts keys) and grouped on equal order values.
  const orderBy = keyIndexes ?? matched.map((m, i) => (m.kind === 'json' ? -1 : i)).filter(i => i >= 0);
  const kinds = matched.map(m => m.kind);
  return {
    columns,
    backupPlan: { columns: matched.map(m => m.backup.name), kinds, orderBy },
    productionPlan: { columns: matched.map(m => m.production.name), kinds, orderBy },
    keyIndexes,
    keySource,
    unmatched: {
      backup: backup.columns.filter(c => !used.has(c.name)).map(c => c.name),
      production: production.columns.filter(c => !matched.some(m => m.production.name === c.name)).map(c => c.name),
    },
  };
}

function chooseKey(names: string[], production: TableSource, chosen?: string[]): { keyIndexes: number[] | null; keySource: DiffSummary['keySource'] } {
  const indexesOf = (key: string[]) => key.map(k => names.indexOf(k));
  if (chosen?.length) {
    const missing = chosen.filter(k => !names.includes(k));
    if (missing.length) {
      throw new LifeboatError('usage', `The key column${missing.length > 1 ? 's' : ''} ${missing.map(m => `"${m}"`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in both tables.`,
        `Columns both tables have: ${names.join(', ')}.`);
    }
    return { keyIndexes: indexesOf(chosen), keySource: 'chosen' };
  }
  // Production's key only: a key the target does not enforce would not stop a concurrent insert.
  const primary = production.primaryKey;
  if (primary && primary.every(k => names.includes(k))) return { keyIndexes: indexesOf(primary), keySource: 'primary-key' };
  return { keyIndexes: null, keySource: 'none' };
}

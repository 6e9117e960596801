import { InvalidArgumentError } from 'commander';

export function parseLevel(value: string): number {
  const level = Number(value);
  if (!Number.isInteger(level)) throw new InvalidArgumentError('expected a whole number.');
  return level;
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

/** Repeatable options: each use adds to the list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

import { InvalidArgumentError } from 'commander';

export function parseLevel(value: string): number {
  const level = Number(value);
  if (!Number.isInteger(level) || level < 0 || level > 22) throw new InvalidArgumentError('expected a whole number.');
  return level;
}

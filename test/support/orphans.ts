import { spawnSync } from 'node:child_process';
import { ownedName, type OwnedKind } from '../../src/core/orphans';

/** A pid that certainly belongs to no running process: one that just exited. */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

/** The name the process `pid` on this host gives what it owns (orphans.ts): what a writer of
 *  that process would have left, to plant as a dead or live writer's leftover. */
export function ownedNameOf(base: string, kind: OwnedKind, pid: number): string {
  return ownedName(base, kind).replace(`-${process.pid}-`, `-${pid}-`);
}

import type { Command } from 'commander';
import { listBackups } from '../../core/catalog';
import { formatAge, formatBytes } from '../../core/format';
import { totalStoredBytes, verificationState } from '../../core/manifest';
import { resolveConnection } from '../config';
import { action } from '../context';

export function registerList(program: Command): void {
  program.command('list')
    .description('List the backups in the backup folder, newest first (rebuilt from their manifests).')
    .argument('[connection]', 'only this connection\'s backups')
    .action(action(async (ctx, reference?: string) => {
      const connectionId = reference ? resolveConnection(ctx.config, reference).connection.id : undefined;
      const listing = await listBackups(ctx.job.destination, { ...(connectionId ? { connectionId } : {}), logger: ctx.job.logger });
      const rows = listing.entries.map(({ manifest: m, prefix }) => ({
        id: m.id, connection: m.connection.id, engine: m.engine, kind: m.kind, parent: m.parent, completedAt: m.completedAt, bytes: totalStoredBytes(m),
        state: verificationState(m), location: `${ctx.job.destination.location}/${prefix}`,
      }));
      const human = rows.length === 0 ? [`No backups in ${ctx.job.destination.location}.`] : rows.map(r =>
        `${r.id}  ${r.connection.padEnd(16)} ${formatBytes(r.bytes).padStart(9)}  ${formatAge(new Date(r.completedAt)).padEnd(12)} ${r.state}${r.parent ? `  (incremental, parent ${r.parent})` : ''}`);
      const problems = listing.problems.map(p => `unreadable: ${p.prefix}: ${p.message} (to remove it: lifeboat delete ${p.prefix} --yes)`);
      ctx.output.result({ ok: true, folder: ctx.job.destination.location, backups: rows, problems: listing.problems }, [...human, ...problems]);
    }));
}

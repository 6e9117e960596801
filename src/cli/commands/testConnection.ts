import type { Command } from 'commander';
import { testConnection } from '../../engines';
import { readPassword, resolveConnection } from '../config';
import { action } from '../context';

export function registerTestConnection(program: Command): void {
  program.command('test')
    .description('Connect to a database and report its server (or SQLite library) version.')
    .argument('<connection>', 'connection id or name from the config file, or a SQLite path / URI without password')
    .action(action(async (ctx, reference: string) => {
      const cli = resolveConnection(ctx.config, reference);
      const probe = await testConnection(cli.connection, readPassword(cli));
      ctx.output.result({ ok: true, connection: cli.connection.id, ...probe }, `${cli.connection.name}: ${probe.summary}`);
    }));
}

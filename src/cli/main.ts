import { Command } from 'commander';
import { LIFEBOAT_VERSION } from '../core/version';
import { registerBackup } from './commands/backup';
import { registerDelete } from './commands/delete';
import { registerPrune } from './commands/prune';
import { registerRun } from './commands/run';
import { registerStatus } from './commands/status';
import { registerSchedule } from './commands/schedule';
import { registerReport } from './commands/report';
import { registerCopy } from './commands/copy';
import { registerSweep } from './commands/sweep';
import { registerDiff } from './commands/diff';
import { registerMerge } from './commands/merge';
import { registerUndoMerge } from './commands/undoMerge';
import { registerList } from './commands/list';
import { registerRestore } from './commands/restore';
import { registerTestConnection } from './commands/testConnection';
import { registerVerify } from './commands/verify';
import { registerWal } from './commands/wal';
import { registerPitr } from './commands/pitr';
import { EXIT_CODES_HELP } from './exitCodes';
import { escapeControl } from '../core/terminalText';

/** `lifeboat`: the same engine as the editor extension, for cron, systemd timers and CI. */
export function buildProgram(): Command {
  const program = new Command('lifeboat')
    .version(LIFEBOAT_VERSION)
    .description('Back up, verify and restore databases with manifests and checksums.')
    .option('--config <file>', 'config file (default: ./lifeboat.json, then ~/.config/lifeboat/config.json; or LIFEBOAT_CONFIG)')
    .option('--backup-dir <location>', 'where backups are: a folder, s3://bucket/prefix, or a destination named in the config file (default: the config file\'s backupFolder, LIFEBOAT_BACKUP_DIR, or ~/.local/share/lifeboat/backups)')
    .option('--pg-bin-dir <folder>', 'folder of pg_dump, pg_restore and psql (default: the config file\'s postgresBinDir, else PATH and the usual install folders, newest that fits the server)')
    .option('--mysql-bin-dir <folder>', 'folder of mariadb-dump/mysqldump and the mariadb/mysql client (default: the config file\'s mysqlBinDir, else PATH and the usual install folders)')
    .option('--scratch-dir <folder>', 'where jobs keep intermediate files (default: the config file\'s scratchFolder, else a dot-folder in the backup folder)')
    .option('--identity <file>', 'age identity file (AGE-SECRET-KEY-1…, mode 0600) to decrypt encrypted backups with (default: the config file\'s identityFile, or LIFEBOAT_AGE_IDENTITY_FILE)')
    .option('--json', 'print the result as JSON on stdout (progress as JSON lines on stderr)')
    .option('-q, --quiet', 'no progress output')
    .option('-v, --verbose', 'log each step on stderr')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP);
  program.exitOverride(error => {
    // Commander's own usage errors exit with status 2, like ours; help and version with 0.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });
  registerBackup(program);
  registerList(program);
  registerVerify(program);
  registerRestore(program);
  registerCopy(program);
  registerDelete(program);
  registerPrune(program);
  registerRun(program);
  registerStatus(program);
  registerSchedule(program);
  registerReport(program);
  registerSweep(program);
  registerTestConnection(program);
  registerDiff(program);
  registerMerge(program);
  registerUndoMerge(program);
  registerWal(program);
  registerPitr(program);
  return program;
}

buildProgram().parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`lifeboat: ${escapeControl((error as Error).message)}\n`);
  process.exitCode = 1;
});

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, runCli } from '../support/cli';
import { tempFolder } from '../support/temp';

// Every option an engine does not take is refused by name, with the engine named, from the one
// place that checks (src/engines/engineOptions.ts, with each engine's list in registry.ts), before
// anything connects or is written: for backups of each engine, and for restores of each engine's
// backups (those of test/fixtures/backups-0.1.0).

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'backups-0.1.0');
const BACKUP = { sqlite: '2026-12-01T23-18-42-239Z-4d38', postgres: '2026-12-01T23-18-43-841Z-7eb0', mysql: '2026-12-01T23-18-45-482Z-67c1' };

describe('options an engine does not take', () => {
  const tmp = tempFolder('lifeboat-options');
  after(() => tmp.dispose());
  const config = tmp.file('lifeboat.json');
  // Port 9: nothing listens there, so a refusal after connecting would read differently.
  fs.writeFileSync(config, JSON.stringify({
    connections: [
      { id: 'fixture-pg', name: 'Fixture PostgreSQL', engine: 'postgres', host: '127.0.0.1', port: 9, user: 'postgres', database: 'lifeboat_fixture' },
      { id: 'fixture-maria', name: 'Fixture MariaDB', engine: 'mysql', host: '127.0.0.1', port: 9, user: 'root', database: 'lifeboat_fixture' },
    ],
  }));
  const db = tmp.file('shop.db');
  fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'chinook', 'Chinook_Sqlite.sqlite'), db);
  const folder = tmp.file('backups');
  fs.cpSync(FIXTURE, folder, { recursive: true });

  const refused = async (args: string[], named: RegExp) => {
    const result = await runCli(['--config', config, '--backup-dir', folder, ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, named, args.join(' '));
    assert.doesNotMatch(result.stderr, /Nothing is listening|could not connect/, `${args.join(' ')}: refused before connecting`);
  };

  const backups: [string, string[], RegExp][] = [
    [db, ['--format', 'custom'], /format \(--format\) does not apply to SQLite backups/],
    [db, ['--exclude-table-data', 'x'], /excludeTableData \(--exclude-table-data\) does not apply to SQLite backups/],
    ['fixture-pg', ['--sqlite-format', 'sql'], /sqliteFormat \(--sqlite-format\) does not apply to PostgreSQL backups/],
    ['fixture-pg', ['--vacuum'], /vacuum \(--vacuum\) does not apply to PostgreSQL backups/],
    ['fixture-pg', ['--pages-per-step', '10'], /pagesPerStep \(--pages-per-step\) does not apply to PostgreSQL backups/],
    ['fixture-maria', ['--compressor', 'tool'], /compressor \(--compressor\) does not apply to MySQL\/MariaDB backups/],
    ['fixture-maria', ['--schema', 'public'], /schemas \(--schema\) does not apply to MySQL\/MariaDB backups/],
    ['fixture-maria', ['--no-owner', '--no-privileges'], /noOwner \(--no-owner\), noPrivileges \(--no-privileges\) do not apply to MySQL\/MariaDB backups/],
    ['fixture-maria', ['--sqlite-format', 'copy'], /sqliteFormat \(--sqlite-format\) does not apply to MySQL\/MariaDB backups/],
  ];
  for (const [connection, flags, named] of backups) {
    it(`backup ${path.basename(connection)} ${flags.join(' ')}: refused, naming the option and the engine`, async () => {
      const before = fs.readdirSync(folder).sort();
      await refused(['backup', connection, ...flags], named);
      assert.deepEqual(fs.readdirSync(folder).sort(), before, 'nothing was written');
    });
  }

  const restores: [keyof typeof BACKUP, string[], RegExp][] = [
    ['sqlite', ['--to', tmp.file('never.db'), '--no-owner'], /noOwner \(--no-owner\) does not apply to SQLite restores/],
    ['mysql', ['--database', 'x', '--jobs', '2'], /jobs \(--jobs\) does not apply to MySQL\/MariaDB restores/],
    ['mysql', ['--database', 'x', '--clean'], /clean \(--clean\) does not apply to MySQL\/MariaDB restores/],
    ['mysql', ['--database', 'x', '--no-privileges'], /noPrivileges \(--no-privileges\) does not apply to MySQL\/MariaDB restores/],
    ['postgres', ['--to', tmp.file('never.db')], /--to does not apply to restoring a PostgreSQL backup/],
    ['mysql', ['--overwrite', '--database', 'x'], /--overwrite does not apply to restoring a MySQL\/MariaDB backup/],
  ];
  for (const [engine, flags, named] of restores) {
    it(`restore of a ${engine} backup with ${flags.filter(f => f.startsWith('--')).join(' ')}: refused, naming the option and the engine`, async () => {
      await refused(['restore', BACKUP[engine], ...flags], named);
      assert.equal(fs.existsSync(tmp.file('never.db')), false);
    });
  }
});

// Point-in-time recovery: Lifeboat beside bare pg_basebackup and pgBackRest, measured in the same
// run on the same ~1 GB database (pgbench scale 70) with more than 1 GB of WAL archived after the
// base backups, by both archivers at once (archive_command runs `lifeboat wal-push` and then
// `pgbackrest archive-push`). Prints medians, CPU-seconds and ratios; asserts nothing.
//
//   node --import tsx bench/pitrRecovery.ts              2 rounds of backups, 2 of recoveries
//   node --import tsx bench/pitrRecovery.ts --rounds 3   more
//
// Backups, each round in a rotating order: Lifeboat's (`lifeboat backup --format base`: one tar
// stream compressed with zstd level 2, every file checked against the backup_manifest), bare
// `pg_basebackup -Ft -X fetch --checkpoint=fast --compress=client-zstd:2` (what a user types), and
// `pgbackrest backup --type=full` (compress-type=zst, level 2, its default process-max 1).
// Recoveries to a time near the end of the WAL: `lifeboat pitr restore --time` (unpack, stage WAL,
// start, replay, promote) beside `pgbackrest restore --type=time --target-action=promote` followed
// by pg_ctl start and polling until promoted. Both end with the same rows (checksums compared).
// CPU-seconds are the commands' own processes; the server's replay runs in a daemon neither counts.
// Needs pgbackrest (Debian package pgbackrest: set-up installs it for the bench only) and runs the
// cluster as "postgres" when run as root. Its files are in /var/tmp/lifeboat-bench-pitr (the
// server's account must reach them), removed at the end.
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../src/core/freePort';
import { buildIfStale, DIST_CLI, median, rotate, timedCommand } from './benchSupport';
import { cpuClock, type Measured } from './processMeter';
import { commandFor, findAccount, isRoot, runTool, trackServer, type RunAs } from '../test/support/serverHarness';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, scale: { type: 'string', default: '70' }, 'wal-gib': { type: 'string', default: '1.1' } } });
const ROUNDS = Math.max(1, Number(flags.rounds) || 2);
const SCALE = Math.max(1, Number(flags.scale) || 70);
const WAL_BYTES = Number(flags['wal-gib']) * 1024 ** 3;
const PG_BIN = '/usr/lib/postgresql/15/bin';
const HOME = '/var/tmp/lifeboat-bench-pitr';
const DATA = path.join(HOME, 'data');
const USER = 'bench';
const running = new Set<ChildProcess>();
const progress = (text: string) => process.stderr.write(`${text}\n`);

const runAs: RunAs | undefined = isRoot() ? findAccount(['postgres']) : undefined;
if (isRoot() && !runAs) throw new Error('Running as root: the cluster and pgBackRest need an unprivileged "postgres" account (useradd -r postgres).');
const pgbackrest: string = ['/usr/bin/pgbackrest', '/usr/local/bin/pgbackrest'].find(f => fs.existsSync(f)) ?? '';
if (!pgbackrest) throw new Error('pgbackrest is not installed: apt-get install -y pgbackrest (the bench\'s peer).');

function sh(command: string, args: string[], options: { as?: boolean } = {}) {
  const spec = options.as ? commandFor(command, args, runAs) : { command, args };
  const result = spawnSync(spec.command, spec.args, { cwd: HOME, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

function own(file: string): void {
  if (runAs) fs.chownSync(file, runAs.uid, runAs.gid);
}

async function main(): Promise<void> {
  buildIfStale();
  const cliJs = DIST_CLI;
  fs.rmSync(HOME, { recursive: true, force: true });
  for (const dir of [HOME, path.join(HOME, 'archive'), path.join(HOME, 'archive', 'bench'), path.join(HOME, 'archive', 'bench', 'wal'), path.join(HOME, 'pgbackrest'), path.join(HOME, 'log'), path.join(HOME, 'sandboxes'), path.join(HOME, 'bare')]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    own(dir);
  }
  // The Node and Lifeboat the server's archive_command runs: copied where its account reaches them.
  const node = path.join(HOME, 'node');
  fs.copyFileSync(process.execPath, node);
  fs.chmodSync(node, 0o755);
  fs.mkdirSync(path.join(HOME, 'dist'));
  for (const f of ['cli.js', 'lifeboatCli.js', 's3Destination.js']) fs.copyFileSync(path.join(path.dirname(cliJs), f), path.join(HOME, 'dist', f));
  const lifeboatCli = path.join(HOME, 'dist', 'cli.js');

  const port = await freePort();
  const config = path.join(HOME, 'lifeboat.json');
  fs.writeFileSync(config, JSON.stringify({
    backupFolder: path.join(HOME, 'archive'), sandboxFolder: path.join(HOME, 'sandboxes'), compression: 'zstd', compressionLevel: 2,
    connections: [{ id: 'bench', name: 'Bench', engine: 'postgres', host: HOME, port, user: USER, database: 'bench' }],
  }));
  const pgbrConf = path.join(HOME, 'pgbackrest.conf');
  fs.writeFileSync(pgbrConf, [
    '[global]', `repo1-path=${HOME}/pgbackrest`, 'compress-type=zst', 'compress-level=2', 'start-fast=y', 'log-level-console=warn', 'log-level-file=off',
    `lock-path=${HOME}/log`, `spool-path=${HOME}/log`, 'repo1-retention-full=99',
    '[bench]', `pg1-path=${DATA}`, `pg1-port=${port}`, `pg1-socket-path=${HOME}`, `pg1-user=${USER}`, '',
  ].join('\n'));
  fs.chmodSync(pgbrConf, 0o644);
  const brArgs = [`--config=${pgbrConf}`, '--stanza=bench'];

  progress(`Creating the cluster and a pgbench database of scale ${SCALE}…`);
  await runTool(path.join(PG_BIN, 'initdb'), ['-D', DATA, '-U', USER, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C'], { runAs, cwd: HOME, timeoutMs: 180_000 });
  const archiveCommand = `${node} ${lifeboatCli} --config ${config} wal-push --connection bench %p && ${pgbackrest} ${brArgs.join(' ')} archive-push %p`;
  fs.appendFileSync(path.join(DATA, 'postgresql.conf'), [
    '', `port = ${port}`, `unix_socket_directories = '${HOME}'`, "listen_addresses = ''", "wal_level = 'replica'", "archive_mode = 'on'",
    `archive_command = '${archiveCommand}'`, "max_wal_size = '4GB'", "shared_buffers = '256MB'", "checkpoint_timeout = '30min'", '',
  ].join('\n'));
  fs.appendFileSync(path.join(DATA, 'pg_hba.conf'), `local replication ${USER} trust\n`);
  await runTool(path.join(PG_BIN, 'pg_ctl'), ['-D', DATA, '-l', path.join(HOME, 'log', 'postgres.log'), '-w', 'start'], { runAs, cwd: HOME });
  const untrack = trackServer({ description: 'PITR bench cluster', stop: async () => { sh(path.join(PG_BIN, 'pg_ctl'), ['-D', DATA, '-m', 'immediate', 'stop'], { as: true }); }, killSync: () => { spawnSync('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, 'pg_ctl'), '-D', DATA, '-m', 'immediate', 'stop']); } });
  const query = async <Row>(sql: string, database = 'bench', host = HOME, p = port): Promise<Row[]> => {
    const client = new Client({ host, port: p, user: USER, database });
    await client.connect();
    try { return (await client.query(sql)).rows as Row[]; } finally { await client.end(); }
  };
  try {
    sh(path.join(PG_BIN, 'createdb'), ['-h', HOME, '-p', String(port), '-U', USER, 'bench']);
    sh(path.join(PG_BIN, 'pgbench'), ['-h', HOME, '-p', String(port), '-U', USER, '-i', '-q', '-s', String(SCALE), 'bench']);
    sh(pgbackrest, [...brArgs, 'stanza-create'], { as: true });
    const [{ size }] = await query<{ size: string }>('SELECT pg_database_size(\'bench\')::text AS size');
    progress(`Database: ${(Number(size) / 1024 ** 3).toFixed(2)} GiB`);

    // Backups.
    const env = { ...process.env };
    const backups: Record<string, Measured[]> = { lifeboat: [], bare: [], pgbackrest: [] };
    const steps: Record<string, () => Promise<Measured>> = {
      lifeboat: () => timedCommand(process.execPath, [cliJs, '--config', config, 'backup', 'bench', '--format', 'base', '--quiet'], { cwd: HOME, env, running, clock: cpuClock() }),
      bare: async () => {
        const target = path.join(HOME, 'bare', String(Date.now()));
        const measured = await timedCommand(path.join(PG_BIN, 'pg_basebackup'), ['-h', HOME, '-p', String(port), '-U', USER, '-D', target, '-F', 't', '-X', 'fetch', '--checkpoint=fast', '--compress=client-zstd:2'], { cwd: HOME, env, running, clock: cpuClock() });
        fs.rmSync(target, { recursive: true, force: true });
        return measured;
      },
      pgbackrest: () => {
        const spec = commandFor(pgbackrest, [...brArgs, '--type=full', 'backup'], runAs);
        return timedCommand(spec.command, spec.args, { cwd: HOME, env, running, clock: cpuClock() });
      },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of rotate(Object.keys(steps), round)) {
        sh('sync', []);
        await query('CHECKPOINT');
        progress(`Round ${round + 1}: ${name} base backup…`);
        backups[name].push(await steps[name]());
      }
    }

    // WAL after the base backups: updates in many transactions, until more than WAL_BYTES.
    progress(`Writing ${(WAL_BYTES / 1024 ** 3).toFixed(1)} GiB of WAL…`);
    const [{ lsn: startLsn }] = await query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    let target = '';
    for (let i = 0; ; i++) {
      await query(`UPDATE pgbench_accounts SET abalance = abalance + ${i + 1} WHERE aid % 8 = ${i % 8}`);
      const [{ bytes }] = await query<{ bytes: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${startLsn}')::text AS bytes`);
      if (Number(bytes) >= WAL_BYTES) {
        await new Promise(resolve => setTimeout(resolve, 50));
        target = (await query<{ at: Date }>('SELECT clock_timestamp() AS at'))[0].at.toISOString();
        await new Promise(resolve => setTimeout(resolve, 50));
        await query('UPDATE pgbench_accounts SET abalance = -1 WHERE aid <= 1000');
        progress(`WAL written: ${(Number(bytes) / 1024 ** 3).toFixed(2)} GiB; target ${target}`);
        break;
      }
    }
    const [{ name: last }] = await query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name');
    for (;;) {
      const [row] = await query<{ last: string | null; failed: string }>('SELECT last_archived_wal AS last, failed_count::text AS failed FROM pg_stat_archiver');
      if (row.last && row.last >= last) break;
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    progress('Archived by both.');

    // Recoveries.
    const recoveries: Record<string, Measured[]> = { lifeboat: [], pgbackrest: [] };
    const checksums: Record<string, string> = {};
    const checksum = async (host: string, p: number) => {
      const [row] = await query<{ n: string; s: string; h: string }>("SELECT count(*)::text AS n, sum(abalance)::text AS s, md5(string_agg(aid::text || ':' || abalance::text, ',' ORDER BY aid)) AS h FROM pgbench_accounts", 'bench', host, p);
      return `${row.n} rows, sum ${row.s}, md5 ${row.h}`;
    };
    const stopAt = (dataDir: string) => spawnSync('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop'], { stdio: 'ignore' });
    const recover: Record<string, (last: boolean) => Promise<Measured>> = {
      lifeboat: async last => {
        const measured = await timedCommand(process.execPath, [cliJs, '--config', config, '--json', '--quiet', 'pitr', 'restore', 'bench', '--time', target], { cwd: HOME, env, running, clock: cpuClock() });
        const sandbox = (JSON.parse(measured.stdout) as { sandbox: { dir: string; port: number; dataDir: string } }).sandbox;
        if (last) checksums.lifeboat = await checksum(sandbox.dir, sandbox.port);
        stopAt(sandbox.dataDir);
        fs.rmSync(sandbox.dir, { recursive: true, force: true });
        return measured;
      },
      pgbackrest: async last => {
        const dir = path.join(HOME, 'sandboxes', `pgbackrest-${Date.now()}`);
        fs.mkdirSync(dir, { mode: 0o700 });
        own(dir);
        const restorePort = await freePort();
        const clock = cpuClock()();
        const restore = commandFor(pgbackrest, [...brArgs, `--pg1-path=${dir}/data`, '--type=time', `--target=${target.replace('T', ' ').replace('Z', '+00')}`, '--target-action=promote', '--target-timeline=current', '--archive-mode=off', 'restore'], runAs);
        await timedCommand(restore.command, restore.args, { cwd: HOME, env, running, clock: cpuClock() });
        const start = commandFor(path.join(PG_BIN, 'pg_ctl'), ['-D', `${dir}/data`, '-l', `${dir}/postgres.log`, '-w', '-t', '3600', '-o', `-p ${restorePort} -c unix_socket_directories=${dir} -c listen_addresses=''`, 'start'], runAs);
        await timedCommand(start.command, start.args, { cwd: dir, env, running, clock: cpuClock() });
        for (;;) {
          try {
            const [row] = await query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r', 'postgres', dir, restorePort);
            if (!row.r) break;
          } catch { /* still starting */ }
          await new Promise(resolve => setTimeout(resolve, 100));
        }
        const measured = clock.read();
        if (last) checksums.pgbackrest = await checksum(dir, restorePort);
        stopAt(`${dir}/data`);
        fs.rmSync(dir, { recursive: true, force: true });
        return measured;
      },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of rotate(Object.keys(recover), round)) {
        sh('sync', []);
        progress(`Round ${round + 1}: ${name} recovery to ${target}…`);
        recoveries[name].push(await recover[name](round === ROUNDS - 1));
      }
    }

    const cell = (samples: Measured[], field: 'wall' | 'cpu') => (median(samples.map(s => s[field] ?? NaN)) / 1000).toFixed(1);
    console.log(`\nPoint-in-time recovery, PostgreSQL 15, database ${(Number(size) / 1024 ** 3).toFixed(2)} GiB, ${(WAL_BYTES / 1024 ** 3).toFixed(1)}+ GiB of WAL after the base backups, ${ROUNDS} round(s); medians, seconds`);
    console.log('  step                                             wall    CPU');
    const row = (label: string, samples: Measured[]) => console.log(`  ${label.padEnd(48)} ${cell(samples, 'wall').padStart(5)}  ${cell(samples, 'cpu').padStart(5)}`);
    row('Lifeboat base backup (zstd 2, manifest checked)', backups.lifeboat);
    row('pg_basebackup -Ft --compress=client-zstd:2', backups.bare);
    row('pgbackrest backup --type=full (zst 2)', backups.pgbackrest);
    row('Lifeboat pitr restore --time (to promoted)', recoveries.lifeboat);
    row('pgbackrest restore --type=time + start + promote', recoveries.pgbackrest);
    const ratio = (label: string, a: Measured[], b: Measured[], goal: number) => {
      const wall = median(a.map(s => s.wall)) / median(b.map(s => s.wall));
      const cpu = median(a.map(s => s.cpu ?? NaN)) / median(b.map(s => s.cpu ?? NaN));
      console.log(`  ${label.padEnd(64)} wall ${wall.toFixed(2)}  CPU ${cpu.toFixed(2)}   target ≤ ${goal.toFixed(2)} (wall)`);
    };
    console.log('\nRatios');
    ratio('Lifeboat base backup ÷ bare pg_basebackup', backups.lifeboat, backups.bare, 1.05);
    ratio('Lifeboat base backup ÷ pgbackrest backup --type=full', backups.lifeboat, backups.pgbackrest, 1.0);
    ratio('Lifeboat recovery to a time ÷ pgbackrest restore + start + promote', recoveries.lifeboat, recoveries.pgbackrest, 1.0);
    console.log(`\nRecovered rows: Lifeboat ${checksums.lifeboat}\n                pgBackRest ${checksums.pgbackrest}\n  ${checksums.lifeboat === checksums.pgbackrest ? 'identical' : 'DIFFERENT'}`);
  } finally {
    sh(path.join(PG_BIN, 'pg_ctl'), ['-D', DATA, '-m', 'fast', '-w', 'stop'], { as: true });
    untrack();
    fs.rmSync(HOME, { recursive: true, force: true });
  }
}

main().catch(error => {
  for (const child of running) child.kill('SIGKILL');
  console.error(error);
  process.exit(1);
});

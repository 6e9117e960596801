import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { configuredCli, json, runCli, startCli } from '../support/cli';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

// lifeboat run --due, status and schedule print against real SQLite files and a real local HTTP
// server for the webhooks: a cron-like loop runs each slot once; runners racing for the lock run
// a slot once between them; a killed runner's lock is taken over; webhooks get the Slack, generic
// and healthchecks shapes, and one that is down or never answers costs only its bounded retries.

interface RunRecord { type: 'run'; connection: string; schedule: string; slot: string; missed: number; ok: boolean; error?: string; backupId?: string }
interface Ran { ok: boolean; ran: RunRecord[]; registered: string[]; heldBy?: { pid: number }; alerts: { kind: string; message: string }[] }

const runLog = (folder: string) => fs.existsSync(path.join(folder, '.lifeboat-runs', 'runs.jsonl'))
  ? fs.readFileSync(path.join(folder, '.lifeboat-runs', 'runs.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { type: string } & RunRecord) : [];
const runsIn = (folder: string) => runLog(folder).filter(r => r.type === 'run');

interface Hit { path: string; body: string }

/** A webhook receiver: records every request; paths under /slow never answer, /down is closed. */
async function startReceiver(): Promise<{ url: string; hits: Hit[]; stop(): Promise<void> }> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', d => { body += d; });
    req.on('end', () => {
      hits.push({ path: req.url ?? '', body });
      if (req.url?.startsWith('/slow')) return; // never answers: the client's time limit ends it
      res.writeHead(200).end('OK');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    stop: () => new Promise(resolve => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('lifeboat run --due', () => {
  const tmp = tempFolder('lifeboat-runs');
  const small = tmp.file('small.db');
  const large = tmp.file('large.db');

  before(() => {
    createSampleDatabase(small, { rows: 200 });
    // Large enough that a backup takes a while: the racing and killing below happen during one.
    createSampleDatabase(large, { rows: 600, blobBytes: 64 * 1024 });
  });
  after(() => tmp.dispose());

  it('from a cron-like loop: each slot runs once, a late runner runs missed slots once, and a second call at the same time runs nothing', async () => {
    const folder = tmp.file('loop');
    const cli = configuredCli(tmp.file('loop.json'), {
      backupFolder: folder,
      connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: small, tier: 'important', schedules: [
        { name: 'quarter', cron: '*/15 * * * *' },
        { name: 'nightly drill', cron: '0 3 * * *', run: 'drill' },
      ] }],
    });
    const first = json<Ran>(await cli.ok('run', '--due', '--at', '2026-12-03T01:00:00Z'));
    assert.deepEqual(first.registered.sort(), ['shop/nightly drill', 'shop/quarter']);
    assert.equal(first.ran.length, 0, 'a new schedule does not run for the slots before it');
    // Every ten minutes from 01:10 to 02:00 (the way cron would call it), each time twice.
    for (let minute = 10; minute <= 60; minute += 10) {
      const at = new Date(Date.UTC(2026, 11, 3, 1, minute)).toISOString();
      await cli.ok('run', '--due', '--at', at);
      const again = json<Ran>(await cli.ok('run', '--due', '--at', at));
      assert.equal(again.ran.length, 0, `a second call at ${at} runs nothing`);
    }
    assert.deepEqual(runsIn(folder).map(r => r.slot), ['01:15', '01:30', '01:45', '02:00'].map(t => `2026-12-03T${t}:00.000Z`));
    // No runner from 02:00 until 03:05: the 02:15 … 02:45 slots are missed and 03:00 runs once.
    const late = json<Ran>(await cli.ok('run', '--due', '--at', '2026-12-03T03:05:00Z'));
    assert.deepEqual(late.ran.map(r => [r.schedule, r.slot, r.missed]), [
      ['quarter', '2026-12-03T03:00:00.000Z', 3], ['nightly drill', '2026-12-03T03:00:00.000Z', 0],
    ], 'the quarter-hour backup runs before the drill of the newest backup');
    assert.ok(late.ran.every(r => r.ok), JSON.stringify(late.ran));
    assert.equal(late.alerts.filter(a => a.kind === 'missed').length, 1);
    assert.match(late.alerts.find(a => a.kind === 'missed')!.message, /3 runs of "quarter" were missed/);
    const listed = json<{ backups: { id: string }[] }>(await cli.ok('list'));
    assert.equal(listed.backups.length, 5, 'one backup per slot run');
    assert.equal(late.ran[1].backupId, late.ran[0].backupId, 'the drill checked the backup just made');

    const status = json<{ connections: { connection: string; tier: string; rpo: string; drill: { restoreMs: number } | null; lastRun: RunRecord; nextRun: { schedule: string } }[] }>(await cli.ok('status'));
    const shop = status.connections[0];
    assert.equal(shop.tier, 'important');
    assert.ok(shop.drill && shop.drill.restoreMs >= 0, 'the drill measured a restore time');
    assert.equal(shop.lastRun.schedule, 'nightly drill');
    assert.ok(['quarter', 'nightly drill'].includes(shop.nextRun.schedule));
  });

  it('a "prune" schedule applies the connection\'s retention to each place with rules, and says how many went', async () => {
    const folder = tmp.file('pruned');
    const cli = configuredCli(tmp.file('pruned.json'), {
      backupFolder: folder,
      destinations: [{ name: 'spare', location: tmp.file('pruned-spare') }],
      connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: small, retention: { last: 2 }, retentionByDestination: { spare: { last: 1 } },
        schedules: [{ name: 'tidy', cron: '0 4 * * *', run: 'prune' }] }],
    });
    await cli.ok('run', '--due', '--at', '2026-12-03T03:00:00Z');
    for (let i = 0; i < 4; i++) await cli.ok('backup', 'shop', '--copy-to', 'spare');
    const ran = json<Ran>(await cli.ok('run', '--due', '--at', '2026-12-03T04:00:30Z'));
    assert.deepEqual(ran.ran.map(r => [r.schedule, r.ok, (r as RunRecord & { deleted?: number }).deleted]), [['tidy', true, 2 + 3]]);
    assert.equal(json<{ backups: unknown[] }>(await cli.ok('list')).backups.length, 2);
    assert.equal(json<{ backups: unknown[] }>(await cli.ok('--backup-dir', 'spare', 'list')).backups.length, 1);
  });

  it('runners racing for the lock run a due slot once between them', async () => {
    const folder = tmp.file('race');
    const cli = configuredCli(tmp.file('race.json'), {
      backupFolder: folder,
      connections: [{ id: 'big', name: 'Big', engine: 'sqlite', path: large, schedules: [{ name: 'hourly', cron: '0 * * * *' }] }],
    });
    await cli.ok('run', '--due', '--at', '2026-12-03T00:30:00Z');
    const racers = await Promise.all([1, 2, 3].map(() => cli.run('run', '--due', '--at', '2026-12-03T01:00:30Z')));
    for (const r of racers) assert.equal(r.code, 0, r.stdout + r.stderr);
    const results = racers.map(r => json<Ran>(r));
    assert.equal(results.flatMap(r => r.ran).length, 1, 'one of three runners ran the slot');
    assert.equal(runsIn(folder).length, 1);
    const losers = results.filter(r => r.ran.length === 0);
    assert.ok(losers.every(r => r.heldBy || r.ran.length === 0));
    assert.ok(!fs.existsSync(path.join(folder, '.lifeboat-runs', 'runner.lock')), 'the lock is released');
  });

  it('a runner killed mid-run leaves its lock behind; the next runner takes it over and runs the slot', async () => {
    const folder = tmp.file('killed');
    const cli = configuredCli(tmp.file('killed.json'), {
      backupFolder: folder,
      connections: [{ id: 'big', name: 'Big', engine: 'sqlite', path: large, schedules: [{ name: 'hourly', cron: '0 * * * *' }] }],
    });
    await cli.ok('run', '--due', '--at', '2026-12-03T00:30:00Z');
    const lockFile = path.join(folder, '.lifeboat-runs', 'runner.lock');
    const child = startCli(['--config', cli.file, 'run', '--due', '--at', '2026-12-03T01:00:30Z', '--json']);
    const closed = new Promise(resolve => child.on('close', resolve));
    let stderr = '';
    child.stderr!.on('data', d => { stderr += d; });
    // Killed once the backup is under way (its first progress line), holding the lock.
    while (!/progress/.test(stderr)) await new Promise(resolve => setTimeout(resolve, 5));
    assert.ok(fs.existsSync(lockFile), 'the runner holds the lock while it runs');
    child.kill('SIGKILL');
    await closed;
    assert.ok(fs.existsSync(lockFile), 'SIGKILL left the lock behind');
    assert.equal(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid, child.pid);
    assert.equal(runsIn(folder).length, 0, 'the killed run recorded nothing');

    const next = json<Ran>(await cli.ok('run', '--due', '--at', '2026-12-03T01:01:00Z'));
    assert.equal(next.heldBy, undefined, 'the dead holder\'s lock was taken over');
    assert.deepEqual(next.ran.map(r => [r.slot, r.ok]), [['2026-12-03T01:00:00.000Z', true]], 'the slot the killed runner did not finish runs now');
    assert.ok(!fs.existsSync(lockFile));
    const listed = json<{ backups: unknown[] }>(await cli.ok('list'));
    assert.equal(listed.backups.length, 1, 'the killed run left no backup, the new one is complete');
  });

  it('a live holder is left alone: a runner that finds the lock held runs nothing and says who holds it', async () => {
    const folder = tmp.file('held');
    const cli = configuredCli(tmp.file('held.json'), {
      backupFolder: folder,
      connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: small, schedules: [{ name: 'hourly', cron: '0 * * * *' }] }],
    });
    await cli.ok('run', '--due', '--at', '2026-12-03T00:30:00Z');
    const lockFile = path.join(folder, '.lifeboat-runs', 'runner.lock');
    // This test process is alive: a lock in its name is a live holder's.
    fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid, host: os.hostname().replace(/[^A-Za-z0-9]/g, '_'), since: new Date().toISOString(), by: 'test', token: 'live' }));
    const held = json<Ran>(await cli.ok('run', '--due', '--at', '2026-12-03T01:00:30Z'));
    assert.equal(held.heldBy?.pid, process.pid);
    assert.equal(held.ran.length, 0);
    assert.ok(fs.existsSync(lockFile), 'a live holder\'s lock is not removed');
    fs.rmSync(lockFile);
    assert.equal(json<Ran>(await cli.ok('run', '--due', '--at', '2026-12-03T01:00:30Z')).ran.length, 1, 'once released, the slot runs');
  });

  it('webhooks: Slack text and generic JSON on a failure, healthchecks start/success/fail pings; a webhook that is down or never answers does not fail the run', async () => {
    const receiver = await startReceiver();
    try {
      const folder = tmp.file('alerts');
      const alerts = tmp.file('alerts.json');
      const closedPort = await new Promise<number>(resolve => { const s = http.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => resolve(p)); }); });
      fs.writeFileSync(alerts, JSON.stringify({ webhooks: [] }), { mode: 0o600 });
      const cli = configuredCli(tmp.file('alerts-config.json'), {
        backupFolder: folder, alertsFile: alerts,
        connections: [
          { id: 'shop', name: 'Shop', engine: 'sqlite', path: small, schedules: [{ name: 'hourly', cron: '0 * * * *' }] },
          { id: 'gone', name: 'Gone', engine: 'sqlite', path: tmp.file('missing.db'), schedules: [{ name: 'hourly', cron: '0 * * * *' }] },
        ],
      });
      await cli.ok('run', '--due', '--at', '2026-12-03T00:30:00Z');
      fs.writeFileSync(alerts, JSON.stringify({ webhooks: [
        { kind: 'slack', url: `${receiver.url}/slack/T000/B000/secret` },
        { kind: 'generic', url: `${receiver.url}/generic` },
        { kind: 'healthchecks', url: `${receiver.url}/hc/good`, connections: ['shop'] },
        { kind: 'healthchecks', url: `${receiver.url}/hc/broken`, connections: ['gone'] },
        { kind: 'generic', url: `http://127.0.0.1:${closedPort}/down` },
        { kind: 'slack', url: `${receiver.url}/slow` },
      ] }), { mode: 0o600 });
      const started = Date.now();
      const result = await cli.run('run', '--due', '--at', '2026-12-03T01:00:30Z');
      const seconds = (Date.now() - started) / 1000;
      assert.equal(result.code, 1, 'a failed run fails the command (cron mails it)');
      const ran = json<Ran>(result);
      assert.deepEqual(ran.ran.map(r => [r.connection, r.ok]).sort(), [['gone', false], ['shop', true]]);
      assert.match(ran.ran.find(r => r.connection === 'gone')!.error!, /missing\.db/);

      const paths = receiver.hits.map(h => h.path);
      assert.ok(paths.includes('/hc/good/start') && paths.includes('/hc/good'), `healthchecks start and success pings: ${paths.join(' ')}`);
      assert.ok(paths.includes('/hc/broken/start') && paths.includes('/hc/broken/fail'), 'start and fail pings for the failing connection');
      assert.ok(!paths.includes('/hc/good/fail') && !paths.includes('/hc/broken'), 'each healthcheck hears only about its own connection');
      const slack = receiver.hits.filter(h => h.path.startsWith('/slack')).map(h => JSON.parse(h.body) as { text: string });
      assert.ok(slack.some(s => /gone: scheduled backup "hourly" failed/.test(s.text)), JSON.stringify(slack));
      const generic = receiver.hits.filter(h => h.path === '/generic').map(h => JSON.parse(h.body) as { event: string; connection: string; run?: RunRecord });
      const failed = generic.find(g => g.event === 'failed');
      assert.equal(failed?.connection, 'gone');
      assert.equal(failed?.run?.ok, false);
      assert.ok(!generic.some(g => g.event === 'succeeded'), 'generic and Slack webhooks hear of problems, not of every success');
      assert.equal(receiver.hits.filter(h => h.path === '/slow').length, 3, 'the webhook that never answers was tried three times');
      assert.match(result.stderr, /webhook at 127\.0\.0\.1:\d+ was not reached/);
      assert.doesNotMatch(result.stderr + result.stdout, /secret/, 'a webhook URL (which holds its secret) is never printed');
      // Bounded: 3 tries of at most 5 s with 0.5 s and 1 s between them, every alert sent at once.
      assert.ok(seconds < 30, `the run took ${seconds} s`);

      fs.chmodSync(alerts, 0o644);
      const open = await cli.run('run', '--due', '--at', '2026-12-03T02:00:30Z');
      assert.equal(open.code, 1, 'an alerts file others can read fails the command');
      const despite = json<Ran & { alertsProblem: string }>(open);
      assert.match(despite.alertsProblem, /alerts file .* can be read by other users/);
      assert.ok(despite.ran.some(r => r.connection === 'shop' && r.ok), 'and the scheduled backups still run');
    } finally {
      await receiver.stop();
    }
  });
});

describe('lifeboat schedule print', () => {
  const tmp = tempFolder('lifeboat-units');
  after(() => tmp.dispose());
  const cli = () => configuredCli(tmp.file('config.json'), { backupFolder: tmp.file('backups'), connections: [] });

  it('systemd: a service and a timer that systemd-analyze verify accepts', async (t) => {
    const units = tmp.file('units');
    fs.mkdirSync(units);
    await cli().ok('schedule', 'print', 'systemd', '--out', units);
    const service = fs.readFileSync(path.join(units, 'lifeboat-run.service'), 'utf8');
    assert.match(service, /^ExecStart=\/\S+node \S+cli\.js --config \S+config\.json run --due --quiet$/m);
    assert.match(fs.readFileSync(path.join(units, 'lifeboat-run.timer'), 'utf8'), /^OnCalendar=\*-\*-\* \*:\*:00$/m);
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) return t.skip('systemd-analyze is not on this machine');
    const verified = spawnSync('systemd-analyze', ['verify', path.join(units, 'lifeboat-run.service'), path.join(units, 'lifeboat-run.timer')], { encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    // The check can fail: a unit whose command is not an absolute path is refused.
    fs.writeFileSync(path.join(units, 'broken.service'), '[Service]\nExecStart=lifeboat run --due\n');
    assert.notEqual(spawnSync('systemd-analyze', ['verify', path.join(units, 'broken.service')]).status, 0);
  });

  it('cron: one line every minute with absolute paths; kubernetes: a CronJob that forbids overlaps and reads the config from a Secret', async () => {
    const cron = json<{ crontab: string }>(await cli().ok('schedule', 'print', 'cron'));
    assert.match(cron.crontab, /^\* \* \* \* \* \/\S+ \/\S+cli\.js --config \/\S+ run --due --quiet/);
    const printed = await runCli(['--config', tmp.file('config.json'), 'schedule', 'print', 'kubernetes', '--image', 'registry.example/lifeboat:1', '--namespace', 'backups']);
    assert.equal(printed.code, 0, printed.stderr);
    // js-yaml (a dev dependency) has no types of its own; only load() is used.
    const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };
    const job = yaml.load(printed.stdout) as {
      kind: string; metadata: { namespace: string };
      spec: { schedule: string; concurrencyPolicy: string; jobTemplate: { spec: { template: { spec: { containers: { image: string; args: string[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; secret?: { secretName: string; defaultMode: number } }[] } } } } };
    };
    assert.equal(job.kind, 'CronJob');
    assert.equal(job.metadata.namespace, 'backups');
    assert.equal(job.spec.schedule, '* * * * *');
    assert.equal(job.spec.concurrencyPolicy, 'Forbid');
    const pod = job.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.containers[0].image, 'registry.example/lifeboat:1');
    assert.deepEqual(pod.containers[0].args, ['--config', '/etc/lifeboat/config.json', 'run', '--due', '--json']);
    const config = pod.volumes.find(v => v.secret);
    assert.equal(config?.secret?.secretName, 'lifeboat-config');
    assert.equal(config?.secret?.defaultMode, 0o400, 'secrets mounted readable by their owner only, as Lifeboat requires');
    assert.ok(pod.containers[0].volumeMounts.some(m => m.name === config?.name && m.mountPath === '/etc/lifeboat'));
  });
});

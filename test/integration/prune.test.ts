import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { configuredCli, json, startCli } from '../support/cli';
import { deadPid, ownedNameOf } from '../support/orphans';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../support/s3Server';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

// lifeboat prune: retention applied to real backups in a local folder and in an S3 bucket
// (fauxqs): a dry run first, then the deletions; the newest verified backup and a newer one whose
// check failed are kept whatever the rules say; a policy that keeps nothing is refused.

interface Made { backup: { id: string; location: string; manifest: { files: { name: string }[] } } }
interface Pruned { dryRun: boolean; connections: { connection: string; kept: { id: string; reasons: string[] }[]; deleted?: string[]; wouldDelete?: string[]; skipped?: string }[] }

describe('lifeboat prune', () => {
  const tmp = tempFolder('lifeboat-prune');
  const source = tmp.file('shop.db');
  const keys = tmp.file('keys.json');
  let server: S3TestServer;
  let bucket: string;

  before(async () => {
    createSampleDatabase(source, { rows: 300 });
    server = await startS3Server();
    bucket = (await server.newBucket('')).bucket;
    fs.writeFileSync(keys, JSON.stringify(TEST_CREDENTIALS), { mode: 0o600 });
  });
  after(async () => {
    await server?.stop();
    tmp.dispose();
  });

  const cliIn = (backupFolder: string) => configuredCli(tmp.file(`config-${Math.random().toString(36).slice(2)}.json`), {
    backupFolder,
    connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source }],
    destinations: [{ name: 'offsite', location: `s3://${bucket}/lifeboat`, endpoint: server.endpoint, credentialsFile: keys }],
  });

  async function backups(cli: ReturnType<typeof cliIn>, count: number): Promise<Made['backup'][]> {
    const made: Made['backup'][] = [];
    for (let i = 0; i < count; i++) made.push(json<Made>(await cli.ok('backup', 'shop')).backup);
    return made;
  }

  const listed = async (cli: ReturnType<typeof cliIn>) => json<{ backups: { id: string }[] }>(await cli.ok('list', 'shop')).backups.map(b => b.id);

  it('in a local folder: --dry-run names what would go and why the rest stays; then prune deletes exactly that', async () => {
    const folder = tmp.file('local');
    const cli = cliIn(folder);
    const [b1, b2, b3, b4] = await backups(cli, 4);
    const dry = json<Pruned>(await cli.ok('prune', 'shop', '--keep-last', '2', '--dry-run'));
    assert.equal(dry.dryRun, true);
    assert.deepEqual(dry.connections[0].wouldDelete, [b1.id, b2.id], 'the oldest two, oldest first');
    assert.deepEqual(dry.connections[0].kept.map(k => k.id), [b4.id, b3.id]);
    assert.deepEqual(dry.connections[0].kept[0].reasons, ['last', 'newest verified']);
    assert.equal((await listed(cli)).length, 4, 'a dry run deletes nothing');

    const done = json<Pruned>(await cli.ok('prune', 'shop', '--keep-last', '2'));
    assert.deepEqual(done.connections[0].deleted, [b1.id, b2.id]);
    assert.deepEqual(await listed(cli), [b4.id, b3.id]);
    assert.deepEqual(fs.readdirSync(path.join(folder, 'shop')).sort(), [path.basename(b3.location), path.basename(b4.location)].sort(), 'the pruned backups\' folders are gone');
  });

  it('keeps the newest verified backup and a newer one whose check failed, whatever --keep-last says', async () => {
    const folder = tmp.file('failed-check');
    const cli = cliIn(folder);
    const [b1, b2, b3] = await backups(cli, 3);
    // The newest is damaged, and verify records the failure: the newest verified is now b2.
    const stored = path.join(folder, b3.location.slice(folder.length + 1), b3.manifest.files[0].name);
    const bytes = fs.readFileSync(stored);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(stored, bytes);
    assert.equal((await cli.run('verify', b3.id)).code, 3);
    const done = json<Pruned>(await cli.ok('prune', 'shop', '--keep-last', '1'));
    assert.deepEqual(done.connections[0].deleted, [b1.id]);
    assert.deepEqual(done.connections[0].kept.map(k => [k.id, k.reasons]), [[b3.id, ['last', 'newer than the newest verified, not verified yet']], [b2.id, ['newest verified']]]);
  });

  it('in an S3 bucket: retention works on the bucket\'s own backups', async () => {
    const cli = cliIn('offsite');
    const [, , b3] = await backups(cli, 3);
    const done = json<Pruned>(await cli.ok('prune', '--keep-last', '1'));
    assert.equal(done.connections[0].deleted?.length, 2);
    assert.deepEqual(await listed(cli), [b3.id]);
    const client = server.client({ bucket, prefix: '', endpoint: server.endpoint, credentials: TEST_CREDENTIALS });
    const objects = ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(o => o.Key!);
    assert.deepEqual(objects.filter(k => k.endsWith('manifest.json')).length, 1, objects.join(', '));
    assert.ok(objects.every(k => k.includes(b3.id) || !k.includes('/shop/')), `nothing of the pruned backups is left: ${objects.join(', ')}`);
  });

  it('keeps a backup being restored (its reading marker), and a killed reader\'s marker holds nothing', async () => {
    const folder = tmp.file('held');
    const big = tmp.file('big.db');
    createSampleDatabase(big, { rows: 1000, blobBytes: 96 * 1024 });
    const cli = configuredCli(tmp.file('held.json'), { backupFolder: folder, connections: [{ id: 'big', name: 'Big', engine: 'sqlite', path: big }] });
    const [b1, b2] = [json<Made>(await cli.ok('backup', 'big')).backup, json<Made>(await cli.ok('backup', 'big')).backup];
    const b1Folder = path.join(folder, 'big', path.basename(b1.location));

    // A real restore marks the backup while it reads it, and removes the mark at its end.
    const restore = startCli(['--config', cli.file, 'restore', b1.id, '--to', tmp.file('big-restored.db')]);
    const exited = new Promise<number | null>(resolve => restore.once('close', resolve));
    let marker: string | undefined;
    while (!marker && restore.exitCode === null) {
      marker = fs.readdirSync(b1Folder).find(f => f.startsWith('backup.reading-'));
      if (!marker) await new Promise(resolve => setTimeout(resolve, 5));
    }
    assert.ok(marker, 'the restore marked the backup as being read');
    assert.equal(await exited, 0);
    assert.deepEqual(fs.readdirSync(b1Folder).filter(f => f.includes('.reading-')), [], 'the marker goes when the restore ends');

    // While a live reader's marker is there (this test process's), prune deletes nothing under it.
    const live = path.join(b1Folder, ownedNameOf('backup', 'reading', process.pid));
    fs.writeFileSync(live, '{}\n');
    const during = json<Pruned>(await cli.ok('prune', 'big', '--keep-last', '1'));
    assert.deepEqual(during.connections[0].deleted, [], 'nothing is deleted under the reader');
    assert.ok(during.connections[0].kept.find(k => k.id === b1.id)!.reasons.includes('in use'));
    fs.rmSync(live);

    // A reader killed before it could clean up: its marker is swept and holds nothing.
    fs.writeFileSync(path.join(b1Folder, ownedNameOf('backup', 'reading', deadPid())), '{}\n');
    const after = json<Pruned>(await cli.ok('prune', 'big', '--keep-last', '1'));
    assert.deepEqual(after.connections[0].deleted, [b1.id]);
    assert.deepEqual(json<{ backups: { id: string }[] }>(await cli.ok('list', 'big')).backups.map(b => b.id), [b2.id]);
  });

  it('without --keep flags, each connection\'s retention from the config file; one without is left alone', async () => {
    const folder = tmp.file('configured');
    const other = tmp.file('other.db');
    createSampleDatabase(other, { rows: 50 });
    const cli = configuredCli(tmp.file('configured.json'), {
      backupFolder: folder,
      connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source, retention: { last: 1, within: '1h', timeZone: 'Europe/Berlin' } }, { id: 'other', name: 'Other', engine: 'sqlite', path: other }],
    });
    const [s1, s2] = [json<Made>(await cli.ok('backup', 'shop')).backup, json<Made>(await cli.ok('backup', 'shop')).backup];
    await cli.ok('backup', 'other');
    await cli.ok('backup', 'other');
    // within 1h of the newest keeps both of shop's; its policy is what is used, not a default.
    const pruned = json<Pruned>(await cli.ok('prune', '--dry-run'));
    const shop = pruned.connections.find(c => c.connection === 'shop')!;
    assert.deepEqual(shop.kept.map(k => k.id), [s2.id, s1.id]);
    assert.deepEqual(shop.kept[1].reasons, ['within']);
    assert.equal(pruned.connections.find(c => c.connection === 'other')!.skipped, 'no retention policy');
    const bad = configuredCli(tmp.file('bad-retention.json'), { backupFolder: folder, connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source, retention: { weekly: 2, forever: true } }] });
    const refused = await bad.run('list');
    assert.equal(refused.code, 2);
    assert.match(json<{ error: { message: string } }>(refused).error.message, /unknown rule "forever"/);
  });

  it('each place its own rules: the backup folder keeps 1 and the second destination 3 of the same backups', async () => {
    const folder = tmp.file('by-place');
    const cli = configuredCli(tmp.file('by-place.json'), {
      backupFolder: folder,
      destinations: [{ name: 'second', location: tmp.file('by-place-second'), media: 'removable', offsite: true }],
      connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source, retention: { last: 1 }, retentionByDestination: { second: { last: 3 } } }],
    });
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push(json<Made>(await cli.ok('backup', 'shop', '--copy-to', 'second')).backup.id);
    const local = json<Pruned>(await cli.ok('prune'));
    assert.deepEqual(local.connections[0].deleted, [made[0], made[1]], 'the backup folder keeps the newest one');
    const second = json<Pruned>(await cli.ok('--backup-dir', 'second', 'prune'));
    assert.deepEqual(second.connections[0].deleted, [], 'the second destination keeps all three');
    assert.equal(json<{ backups: unknown[] }>(await cli.ok('--backup-dir', 'second', 'list')).backups.length, 3);
  });

  it('refuses a policy that keeps nothing and a duration it cannot read, deleting nothing', async () => {
    const cli = cliIn(tmp.file('local'));
    const before = await listed(cli);
    const none = await cli.run('prune', 'shop');
    assert.equal(none.code, 2, none.stdout + none.stderr);
    assert.match(none.stdout + none.stderr, /keeps nothing: it has no rule/);
    const bad = await cli.run('prune', 'shop', '--keep-within', '3 months');
    assert.equal(bad.code, 2);
    assert.match(bad.stdout + bad.stderr, /is not a duration.*36h, 14d, 8w/s);
    assert.deepEqual(await listed(cli), before);
  });
});

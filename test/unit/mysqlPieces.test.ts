import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { dumpArgs } from '../../src/engines/mysql/dumpArgs';
import { MysqlDumpScanner } from '../../src/engines/mysql/dumpScanner';
import { TableFilter } from '../../src/engines/mysql/tableFilter';
import { parseDumpBanner, type MysqlTools } from '../../src/engines/mysql/tools';

// The MySQL-flavour paths that MariaDB on this machine cannot exercise: tool banners, the dump
// arguments chosen per flavour and version, and MySQL 8's header lines and one-line INSERTs.

const tools = (flavour: 'MySQL' | 'MariaDB', version: string): MysqlTools =>
  ({ flavour, version, major: Number(version.split('.')[0]), dir: '/x', source: 'PATH', banner: '', dump: '/x/dump', client: '/x/client' });

async function scan(text: string, chunk = 7): Promise<MysqlDumpScanner> {
  const scanner = new MysqlDumpScanner();
  const bytes = Buffer.from(text);
  const parts = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
  await pipeline(Readable.from(parts), scanner, new Writable({ write(_c, _e, done) { done(); } }));
  return scanner;
}

describe('MySQL / MariaDB pieces', () => {
  it('reads the flavour and version from each tool\'s banner', () => {
    assert.deepEqual(parseDumpBanner('mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)'), { flavour: 'MariaDB', version: '10.11.19' });
    assert.deepEqual(parseDumpBanner('mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)'), { flavour: 'MariaDB', version: '11.4.2' });
    assert.deepEqual(parseDumpBanner('mysqldump  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)'), { flavour: 'MySQL', version: '8.4.3' });
    assert.equal(parseDumpBanner('something else'), undefined);
  });

  it('asks for the binary-log position the way each flavour and version takes it, only when the log is on', () => {
    const on = { on: true, gtid: null, gtidMode: false };
    assert.ok(dumpArgs(tools('MariaDB', '10.11.19'), 'shop', on, {}).includes('--master-data=2'));
    const mysql = dumpArgs(tools('MySQL', '8.4.3'), 'shop', { on: true, gtid: 'uuid:1-5', gtidMode: true }, {});
    assert.ok(mysql.includes('--source-data=2') && mysql.includes('--set-gtid-purged=COMMENTED') && mysql.includes('--skip-column-statistics'));
    assert.ok(dumpArgs(tools('MySQL', '8.0.22'), 'shop', on, {}).includes('--master-data=2'), 'before 8.0.26 only --master-data exists');
    assert.ok(dumpArgs(tools('MySQL', '8.4.3'), 'shop', on, {}).includes('--set-gtid-purged=OFF'));
    const off = dumpArgs(tools('MariaDB', '10.11.19'), 'shop', { on: false, gtid: null, gtidMode: false }, {});
    assert.ok(!off.some(a => /master-data|source-data/.test(a)), 'no position asked with the log off (the tool would fail)');
  });

  it('turns scope options into the tool\'s, with the database before the tables', () => {
    const off = { on: false, gtid: null, gtidMode: false };
    const chosen = dumpArgs(tools('MariaDB', '10.11.19'), 'shop', off, { tables: ['orders', 'odd name'], excludeTables: ['logs'] });
    assert.deepEqual(chosen.slice(-3), ['shop', 'orders', 'odd name']);
    assert.ok(chosen.includes('--ignore-table=shop.logs'));
    assert.ok(dumpArgs(tools('MariaDB', '10.11.19'), 'shop', off, { schemaOnly: true }).includes('--no-data'));
    const data = dumpArgs(tools('MariaDB', '10.11.19'), 'shop', off, { dataOnly: true });
    assert.ok(data.includes('--no-create-info') && data.includes('--skip-triggers') && !data.includes('--routines'));
    assert.throws(() => dumpArgs(tools('MariaDB', '10.11.19'), 'shop', off, { schemaOnly: true, dataOnly: true }), /leave nothing/);
  });

  it('reads MySQL 8.4\'s position and GTID lines, and leaves one-line INSERTs uncounted', async () => {
    const s = await scan([
      "-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000042', SOURCE_LOG_POS=1234;",
      "/* SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77'; */",
      "-- SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77';",
      '-- Table structure for table `t`', 'CREATE TABLE `t` (a int);',
      '-- Dumping data for table `t`', "INSERT INTO `t` VALUES (1),(2),(3);",
      '-- Dump completed on 2026-11-25 10:00:00', '',
    ].join('\n'));
    assert.deepEqual([s.binlogFile, s.binlogPosition, s.gtid], ['binlog.000042', 1234, '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77']);
    assert.equal(s.rows.get('t'), null);
    assert.equal(s.complete, true);
  });

  it('counts MariaDB\'s one-row-per-line INSERTs, whatever the chunking, and needs the completion line last', async () => {
    const text = ['-- Dumping data for table `we``ird`', 'INSERT INTO `we``ird` VALUES', "(1,'a),(b'),", "(2,'x\\n(y');", "-- Dumping data for table `two`", 'INSERT INTO `two` VALUES', '(1);', ''].join('\n');
    for (const chunk of [1, 3, 64, 4096]) {
      const s = await scan(text + '-- Dump completed on 2026-11-25 10:00:00\n', chunk);
      assert.deepEqual(Object.fromEntries(s.rows), { 'we`ird': 2, two: 1 }, `chunks of ${chunk}`);
      assert.equal(s.complete, true);
    }
    assert.equal((await scan(text)).complete, false, 'a dump cut short has no completion line');
  });

  it('cuts a dump to the chosen tables\' sections, keeping header and footer', async () => {
    const dump = ['/*!40101 SET NAMES utf8mb4 */;', '', '--', '-- Table structure for table `a`', '--', 'CREATE TABLE `a` (x int);',
      '--', '-- Dumping data for table `a`', '--', 'INSERT INTO `a` VALUES', '(1);', 'CREATE TRIGGER ta ...;;',
      '--', '-- Table structure for table `b`', '--', 'CREATE TABLE `b` (x int);', '--', '-- Dumping data for table `b`', '--', 'INSERT INTO `b` VALUES', '(2);',
      '--', '-- Dumping routines for database \'db\'', '--', 'CREATE PROCEDURE p() SELECT 1;;',
      '/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;', '', '-- Dump completed on 2026-11-25 10:00:00', ''].join('\n');
    const filter = new TableFilter(new Set(['b']));
    let out = '';
    await pipeline(Readable.from([Buffer.from(dump)]), filter, new Writable({ write(c: Buffer, _e, done) { out += c.toString(); done(); } }));
    assert.match(out, /SET NAMES utf8mb4/);
    assert.match(out, /CREATE TABLE `b`/);
    assert.match(out, /\(2\);/);
    assert.doesNotMatch(out, /CREATE TABLE `a`|\(1\);|TRIGGER ta|PROCEDURE/);
    assert.match(out, /SET SQL_MODE=@OLD_SQL_MODE[\s\S]*Dump completed/);
    assert.deepEqual([...filter.seen], ['b']);
  });
});

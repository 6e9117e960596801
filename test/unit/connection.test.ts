import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeConnectionId, parseConnectionUri, redactUri, validateConnection } from '../../src/core/connection';
import { backupPrefix } from '../../src/core/backupId';
import { LifeboatError } from '../../src/core/errors';

describe('connection URIs', () => {
  it('parses a PostgreSQL URI, moving the percent-encoded password out of the connection', () => {
    const { connection, password } = parseConnectionUri('postgresql://backup%40ops:p%40ss%2Fw0rd@db.example.com:6543/sales?sslmode=require');
    assert.deepEqual(connection, { engine: 'postgres', id: 'postgres-sales-db-example-com', name: 'sales@db.example.com', host: 'db.example.com', port: 6543, database: 'sales', user: 'backup@ops', ssl: 'require' });
    assert.equal(password, 'p@ss/w0rd');
    assert.ok(!JSON.stringify(connection).includes('w0rd'));
  });

  it('defaults ports per engine and reads mariadb:// as mysql', () => {
    assert.equal(parseConnectionUri('postgres://u@h/d').connection.engine, 'postgres');
    assert.equal((parseConnectionUri('postgres://u@h/d').connection as { port: number }).port, 5432);
    const maria = parseConnectionUri('mariadb://root@127.0.0.1/shop').connection as { engine: string; port: number };
    assert.equal(maria.engine, 'mysql');
    assert.equal(maria.port, 3306);
  });

  it('takes PostgreSQL socket folders from ?host=', () => {
    const c = parseConnectionUri('postgres://me@/app?host=/var/run/postgresql').connection as { host: string };
    assert.equal(c.host, '/var/run/postgresql');
  });

  it('accepts SQLite as sqlite://, file:// or a bare path', () => {
    for (const text of ['sqlite:///srv/data/app.db', 'file:///srv/data/app.db', '/srv/data/app.db']) {
      const { connection } = parseConnectionUri(text);
      assert.deepEqual(connection, { engine: 'sqlite', id: 'app-db', name: 'app.db', path: '/srv/data/app.db' });
    }
    assert.equal((parseConnectionUri('sqlite:///srv/my%20data/a.db').connection as { path: string }).path, '/srv/my data/a.db');
  });

  it('rejects unknown schemes and garbage with a usage error', () => {
    assert.throws(() => parseConnectionUri('redis://h/0'), (e: LifeboatError) => e.code === 'usage' && /Unknown connection scheme/.test(e.message));
    assert.throws(() => parseConnectionUri('   '), (e: LifeboatError) => e.code === 'usage');
    assert.throws(() => parseConnectionUri('postgres://u@h/d?sslmode=sometimes'), /Unknown SSL mode/);
  });

  it('reads MySQL\'s own ssl-mode names as well as libpq\'s', () => {
    const modes = ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_IDENTITY'].map(m => (parseConnectionUri(`mysql://u@h/d?ssl-mode=${m}`).connection as { ssl?: string }).ssl);
    assert.deepEqual(modes, ['disable', 'prefer', 'require', 'verify-full']);
  });

  it('redacts passwords for messages', () => {
    assert.equal(redactUri('postgres://u:secret@h/d'), 'postgres://u:***@h/d');
    assert.equal(redactUri('mysql://h/d?user=u&password=secret&x=1'), 'mysql://h/d?user=u&password=***&x=1');
  });
});

describe('connection ids and validation', () => {
  it('makes folder-safe ids and keeps them unique', () => {
    assert.equal(makeConnectionId('Prod DB (Zürich) — main'), 'prod-db-zurich-main');
    assert.equal(makeConnectionId('app', ['app', 'app-2']), 'app-3');
    assert.equal(makeConnectionId('🚣'), 'connection');
  });

  it('keeps a PostgreSQL and a MySQL connection to the same host and database apart', () => {
    const pg = parseConnectionUri('postgres://u@db.example.com/shop').connection;
    const my = parseConnectionUri('mysql://u@db.example.com/shop').connection;
    assert.equal(pg.name, my.name);
    assert.equal(pg.id, 'postgres-shop-db-example-com');
    assert.equal(my.id, 'mysql-shop-db-example-com');
    assert.equal(parseConnectionUri('mariadb://u@db.example.com/shop').connection.id, my.id, 'mariadb:// is the mysql engine');
  });

  it('refuses a connection that carries a password', () => {
    assert.throws(() => validateConnection({ id: 'x', name: 'x', engine: 'postgres', host: 'h', port: 5432, user: 'u', database: 'd', password: 'p' }),
      (e: LifeboatError) => e.code === 'usage' && /holds a password/.test(e.message));
  });

  it('names the missing field', () => {
    assert.throws(() => validateConnection({ id: 'x', name: 'Shop', engine: 'mysql', host: 'h', port: 3306, database: 'd' }), /Connection "Shop" needs a "user"/);
    assert.throws(() => validateConnection({ id: 'x', name: 'A', engine: 'sqlite', path: 'relative.db' }), /absolute "path"/);
    assert.throws(() => validateConnection({ id: 'Bad Id', name: 'A', engine: 'sqlite', path: '/a.db' }), /needs an id/);
  });
});

describe('backup folders', () => {
  it('are refused for a connection id the catalog would not read back, before anything is written', () => {
    assert.equal(backupPrefix('shop', '2026-01-02T03-04-05-006Z-abcd'), 'shop/2026-01-02T03-04-05-006Z-abcd');
    for (const id of ['types live', 'pg-diff_tests', '../x', 'Shop', '']) {
      assert.throws(() => backupPrefix(id, '2026-01-02T03-04-05-006Z-abcd'), (e: LifeboatError) => e.code === 'usage' && e.message.includes('not a connection id'), id);
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServerConnection } from '../../src/core/connection';
import { LifeboatError } from '../../src/core/errors';
import { probeMysql } from '../../src/engines/mysql/connect';
import { probePostgres } from '../../src/engines/postgres/connect';
import { freePort } from '../support/freePort';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';

// "Test Connection" against real, throwaway servers: what a person sees for each way it can go wrong.

stopServersAfterTests();

/** Asserts that `probe` fails with a connection error whose message matches `message`. */
async function assertConnectionError(probe: Promise<unknown>, message: RegExp): Promise<LifeboatError> {
  let caught: unknown;
  await assert.rejects(probe, (error: unknown) => { caught = error; return true; });
  assert.ok(caught instanceof LifeboatError, `expected a LifeboatError, got ${String(caught)}`);
  assert.equal(caught.code, 'connection');
  assert.match(caught.message, message);
  return caught;
}

/** A connection to a port nothing listens on. */
async function nobodyListening(c: ServerConnection): Promise<ServerConnection> {
  return { ...c, port: await freePort() };
}

describe('Test Connection: PostgreSQL 15', () => {
  let server: PostgresServer;
  before(async () => { server = await startPostgres(); });
  after(async () => { await server?.stop(); });

  it('reports PostgreSQL, its version and the database with the right password', async () => {
    const result = await probePostgres(server.connectionFor('postgres'), server.password);
    assert.equal(result.product, 'PostgreSQL');
    assert.match(result.version, /^15\.\d+/);
    assert.match(result.summary, /^PostgreSQL 15\.\d+.* · database "postgres" /);
  });

  it('says the password was refused when it is wrong', async () => {
    const error = await assertConnectionError(probePostgres(server.connectionFor('postgres'), `${server.password}x`),
      /^PostgreSQL refused the password for user "lifeboat_test" on 127\.0\.0\.1:\d+\.$/);
    assert.match(error.hint ?? '', /password/i);
  });

  it('says a password is needed when none is stored', async () => {
    const saved = process.env.PGPASSWORD;
    delete process.env.PGPASSWORD;
    try {
      await assertConnectionError(probePostgres(server.connectionFor('postgres')),
        /asks for a password and none is stored for "Throwaway PostgreSQL :\d+"/);
    } finally {
      if (saved !== undefined) process.env.PGPASSWORD = saved;
    }
  });

  it('names the database when it does not exist', async () => {
    await assertConnectionError(probePostgres(server.connectionFor('no_such_db'), server.password),
      new RegExp(`^The database "no_such_db" does not exist on 127\\.0\\.0\\.1:${server.port}\\.$`));
  });

  it('finds a database created by the harness', async () => {
    const c = await server.createDatabase('app "prod"');
    const result = await probePostgres(c, server.password);
    assert.match(result.summary, /database "app "prod""/);
  });

  it('says nothing is listening when the server is down', async () => {
    const c = await nobodyListening(server.connectionFor('postgres'));
    await assertConnectionError(probePostgres(c, server.password), new RegExp(`^Nothing is listening on 127\\.0\\.0\\.1:${c.port}\\.$`));
  });
});

describe('Test Connection: MariaDB 10.11', () => {
  let server: MariadbServer;
  before(async () => { server = await startMariadb(); });
  after(async () => { await server?.stop(); });

  it('reports MariaDB, its version and the database with the right password', async () => {
    const result = await probeMysql(server.connectionFor('test'), server.password);
    assert.equal(result.product, 'MariaDB');
    assert.match(result.version, /^10\.11\.\d+$/);
    assert.match(result.summary, /^MariaDB 10\.11\.\d+ · database "test" · /);
  });

  it('says the password was refused when it is wrong', async () => {
    const error = await assertConnectionError(probeMysql(server.connectionFor('test'), `${server.password}x`),
      /^The server on 127\.0\.0\.1:\d+ refused user "lifeboat_test" with this password\.$/);
    assert.match(error.hint ?? '', /password/i);
  });

  it('names the database when it does not exist', async () => {
    await assertConnectionError(probeMysql(server.connectionFor('no_such_db'), server.password),
      new RegExp(`^The database "no_such_db" does not exist on 127\\.0\\.0\\.1:${server.port}\\.$`));
  });

  it('says the user may not use a database it has no grant on', async () => {
    await server.createDatabase('private');
    await server.query("CREATE USER 'reader'@'%' IDENTIFIED BY ?", undefined, ['reader-pw']);
    const c = { ...server.connectionFor('private'), user: 'reader' };
    await assertConnectionError(probeMysql(c, 'reader-pw'), /^User "reader" may not use the database "private"\.$/);
  });

  it('says nothing is listening when the server is down', async () => {
    const c = await nobodyListening(server.connectionFor('test'));
    await assertConnectionError(probeMysql(c, server.password), new RegExp(`^Nothing is listening on 127\\.0\\.0\\.1:${c.port}\\.$`));
  });
});

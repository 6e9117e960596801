import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { CHINOOK_FOLDER } from './chinook';
import { SYSTEM_POSTGRES_VERSION, type PostgresServer } from './postgresServer';
import { runTool } from './serverHarness';

/**
 * Fixtures and the equality proof for PostgreSQL backup/restore fidelity tests.
 *
 * - createHostileDatabase(): a small database full of what breaks naive dumps and restores.
 * - loadChinook(): the Chinook sample database (real data, foreign keys, unicode).
 * - schemaDump(): `pg_dump --schema-only`, normalised only where two equal databases still differ.
 * - tableChecksums(): every table's, partition's and materialized view's rows (count + hash),
 *   every sequence's state, and the large objects.
 * - databaseProperties(): what belongs to the database itself (comment, settings, ACL, locale),
 *   which neither pg_dump without --create nor CREATE DATABASE … TEMPLATE carries.
 *
 * A restore is faithful when schemaDump and tableChecksums of the original and of the restored
 * database are deep-equal (and databaseProperties too, for a restore that claims to carry them).
 */

/** The hostile database's non-public schema: double quotes, spaces, mixed case, unicode. */
export const HOSTILE_SCHEMA = 'Lifeboat "Hostile" Zürich ☃';

/**
 * A cluster-wide role the hostile database grants to, owns a table by, and names in a policy.
 * Roles live outside any database: restore into the same server (or create it first).
 */
export const HOSTILE_ROLE = 'lifeboat fidelity reader ☃';

/** Two more schemas whose names make `schema.table` ambiguous unless quoted: "a.b".c and a."b.c". */
export const HOSTILE_DOT_SCHEMAS = ['a.b', 'a'] as const;

/** Row counts of Chinook's tables, from the script itself (for sanity checks in tests). */
export const CHINOOK_ROW_COUNTS: Readonly<Record<string, number>> = {
  'public.album': 347, 'public.artist': 275, 'public.customer': 59, 'public.employee': 8,
  'public.genre': 25, 'public.invoice': 412, 'public.invoice_line': 2240, 'public.media_type': 5,
  'public.playlist': 18, 'public.playlist_track': 8715, 'public.track': 3503,
};

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A standard-conforming SQL string literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * A client tool (psql, pg_dump, pg_restore) for `server`: from the server's own bin folder when
 * it has one there, else the system PostgreSQL's (pg_dump refuses a newer server: that error is
 * the one to see).
 */
export function postgresClientTool(server: PostgresServer, tool: 'psql' | 'pg_dump' | 'pg_restore'): string {
  const own = path.join(server.binDir, tool);
  return existsSync(own) ? own : `/usr/lib/postgresql/${SYSTEM_POSTGRES_VERSION}/bin/${tool}`;
}

/** Environment for libpq tools: the superuser over TCP, password by PGPASSWORD, nothing else inherited from PG* variables. */
export function postgresToolEnv(server: PostgresServer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('PG')) env[name] = value;
  return {
    ...env,
    PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password,
    PGCLIENTENCODING: 'UTF8', PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'lifeboat-tests',
  };
}

/**
 * A libpq connection string naming `database`, for a tool's -d/--dbname: a bare name holding "="
 * or starting with "postgres://" would be read as a connection string itself.
 */
export function dbnameArgument(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Runs SQL batches on one connection to `database`, in order; each batch is one simple query (an implicit transaction). */
async function runBatches(server: PostgresServer, database: string, batches: string[]): Promise<void> {
  const client = new Client(server.clientConfig(database));
  client.on('notice', () => undefined); // "wal_level is insufficient to publish…" and friends
  await client.connect();
  try {
    for (const [index, sql] of batches.entries()) {
      try {
        await client.query(sql);
      } catch (error) {
        throw new Error(`Hostile fixture batch ${index + 1} failed: ${(error as Error).message}\n${sql.slice(0, 400)}`, { cause: error });
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Creates `database` on `server` and fills it with a deliberately hostile schema and about 6,300
 * rows, in well under a second. Deterministic: two calls give databases with equal schemaDump and
 * tableChecksums. Creates HOSTILE_ROLE if the cluster lacks it. Everything is owned by the
 * superuser except one table and one large object, owned by HOSTILE_ROLE. It holds:
 * - schema HOSTILE_SCHEMA (quotes, spaces, mixed case, ü, ☃), plus "a.b" and a (tables "a.b".c
 *   and a."b.c"), plus public."UPPER" / public.upper / public."empty ☃";
 * - extensions hstore (in HOSTILE_SCHEMA) and pg_trgm (public), an hstore column, a gin_trgm_ops
 *   index; an enum with a value added BEFORE another; domains with named CHECKs and NOT NULL; a
 *   composite type with enum and array fields; a custom range type; a nondeterministic ICU collation;
 * - "Every Type ☃": identity (START 100, INCREMENT 7, advanced with gaps), a column named
 *   "select" and one named t, arrays of enums and composites (NULL elements, non-default bounds),
 *   jsonb and json (duplicate keys), bytea of all 256 byte values, numeric(1000,500) full of
 *   digits, numeric NaN/±Infinity, float ±0/NaN/±Infinity/denormals, timestamptz written in
 *   Pacific/Chatham, America/St_Johns and Asia/Kathmandu (DST gap and overlap, LMT, ±infinity,
 *   BC, year 294276), money, network, bit, range/multirange, geometric, tsvector, xml, regclass,
 *   text with \N, \., tabs, newlines, CR, backslashes, combining marks, RTL, ZWJ, BOM, U+2028,
 *   two STORED generated columns, a BEFORE INSERT trigger that rewrites the row and AFTER
 *   triggers that write to an audit table (one trigger disabled), column-level grants, NULLs;
 * - a range-partitioned table (bigserial, two partitions + default, advanced past its rows);
 * - a table without a key holding duplicate rows; deferrable self-referencing FK; an exclusion
 *   constraint; inheritance parent and child; an unlogged table; a rule; a publication;
 * - row-level security (ENABLE + FORCE, permissive and restrictive policies, a policy for
 *   HOSTILE_ROLE); default privileges; a SECURITY DEFINER function with EXECUTE revoked;
 * - plpgsql and SQL-standard-body functions, overloads, "$$" in a function name and body, a
 *   procedure, an aggregate; a security_barrier view WITH CHECK OPTION, a recursive view, a
 *   populated materialized view with a unique index and one never populated (WITH NO DATA);
 * - sequences: descending cycling cached, never called, setval(…, false);
 * - comments on nearly every kind of object; two large objects (fixed OIDs, a comment, an ACL,
 *   another owner); database-level comment, setting and ACL (see databaseProperties()).
 */
export async function createHostileDatabase(server: PostgresServer, database: string): Promise<void> {
  await server.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(HOSTILE_ROLE)}) THEN
      CREATE ROLE ${quoteIdent(HOSTILE_ROLE)} NOLOGIN;
    END IF;
  END $$`);
  await server.createDatabase(database);
  await runBatches(server, database, hostileBatches(database));
}

function hostileBatches(database: string): string[] {
  const S = quoteIdent(HOSTILE_SCHEMA);
  const R = quoteIdent(HOSTILE_ROLE);
  const D = quoteIdent(database);
  const every = `${S}."Every Type ☃"`;
  const meas = `${S}."Measurements ☃"`;
  // A numeric(1000, 500) with every digit used: 500 before the point, 500 after.
  const wideNumeric = `${'9876543210'.repeat(50)}.${'0123456789'.repeat(50)}`;
  return [
    // 1. Database-level properties (not carried by pg_dump without --create, nor by TEMPLATE copies),
    //    schemas, extensions, types, a collation. The enum gets a value added out of order later.
    `
    COMMENT ON DATABASE ${D} IS 'Hostile fixture: "quotes", ''apostrophes'', ☃';
    ALTER DATABASE ${D} SET "lifeboat.marker" = 'Zürich ☃';
    REVOKE TEMPORARY ON DATABASE ${D} FROM PUBLIC;
    GRANT CONNECT, TEMPORARY ON DATABASE ${D} TO ${R};

    CREATE SCHEMA ${S};
    COMMENT ON SCHEMA ${S} IS E'A schema named with "quotes", spaces, ü and ☃.\\nSecond line.';
    CREATE SCHEMA "a.b";
    CREATE SCHEMA a;
    CREATE EXTENSION hstore WITH SCHEMA ${S};
    CREATE EXTENSION pg_trgm;
    SET search_path = ${S}, public;

    CREATE TYPE ${S}."Mood ☃" AS ENUM ('sad', 'ok', 'Zürich ☃', 'with "quotes"', 'with, comma and \\backslash', 'UPPER lower');
    ALTER TYPE ${S}."Mood ☃" ADD VALUE 'meh' BEFORE 'ok';
    COMMENT ON TYPE ${S}."Mood ☃" IS 'enum with a value added BEFORE another (sort order ≠ oid order)';
    CREATE DOMAIN ${S}."Positive Money" AS numeric(12, 2) CONSTRAINT "not negative ☃" CHECK (VALUE >= 0);
    CREATE DOMAIN ${S}.email AS text NOT NULL CONSTRAINT "has one @" CHECK (VALUE ~ '^[^@[:space:]]+@[^@[:space:]]+$');
    CREATE DOMAIN ${S}."short tags" AS text[] CHECK (cardinality(VALUE) <= 5);
    COMMENT ON DOMAIN ${S}."Positive Money" IS 'domain with a named CHECK';
    CREATE TYPE ${S}."Address Type" AS (street text, "City ☃" text, zip varchar(10), mood ${S}."Mood ☃", tags text[]);
    COMMENT ON COLUMN ${S}."Address Type"."City ☃" IS 'composite attribute comment';
    CREATE TYPE ${S}.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
    CREATE COLLATION ${S}."case insensitive ☃" (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    `,
    // 2. Functions, procedure, aggregate.
    `
    SET search_path = ${S}, public;
    CREATE FUNCTION ${S}."slug ☃"(input text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      RETURN regexp_replace(lower(input), '[^a-z0-9]+', '-', 'g');
    CREATE FUNCTION ${S}."touch row ☃"() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $fn$
    BEGIN
      -- Marks each written row: fired again by a careless restore, it would mark twice.
      NEW."MixedCase" := NEW."MixedCase" || ' ✓';
      RETURN NEW;
    END
    $fn$;
    CREATE FUNCTION ${S}.audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
    BEGIN
      INSERT INTO ${S}.audit_log (table_name, op, row_data, at)
      VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(NEW), timestamptz '2001-02-03 04:05:06.789+00');
      RETURN NULL;
    END
    $fn$;
    CREATE FUNCTION ${S}."Weird $$ name"(a integer, b text DEFAULT 'x''y', VARIADIC rest integer[] DEFAULT '{}')
      RETURNS TABLE (n integer, "Label ☃" text) LANGUAGE plpgsql STABLE AS $body$
    BEGIN
      -- a body holding $$ and a quote '
      RETURN QUERY SELECT a + coalesce(array_length(rest, 1), 0), b || '$$';
    END
    $body$;
    COMMENT ON FUNCTION ${S}."Weird $$ name"(integer, text, integer[]) IS 'function with $$ in its name and body';
    CREATE FUNCTION ${S}."Weird $$ name"(a text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT a || '!' $$;
    CREATE PROCEDURE ${S}."bump ☃"(INOUT counter integer) LANGUAGE plpgsql AS $$ BEGIN counter := counter + 1; END $$;
    CREATE AGGREGATE ${S}."concat all ☃"(text) (SFUNC = textcat, STYPE = text, INITCOND = '');
    `,
    // 3. Tables.
    `
    SET search_path = ${S}, public;
    CREATE TABLE ${every} (
      id integer GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 7) PRIMARY KEY,
      "MixedCase" text,
      "with ""quotes"" and spaces" text COLLATE "C",
      "select" integer,
      ci_text text COLLATE ${S}."case insensitive ☃",
      mood ${S}."Mood ☃",
      moods ${S}."Mood ☃"[],
      address ${S}."Address Type",
      addresses ${S}."Address Type"[],
      amount ${S}."Positive Money",
      contact ${S}.email DEFAULT 'nobody@example.invalid',
      tags ${S}."short tags",
      doc jsonb,
      doc_json json,
      raw bytea,
      big numeric(1000, 500),
      unbounded numeric,
      f8 double precision,
      f4 real,
      at timestamptz,
      at_local timestamp,
      d date,
      t time,
      ttz timetz,
      span interval,
      cash money,
      u uuid,
      ip inet,
      net cidr,
      mac macaddr,
      bits bit varying(64),
      kv ${S}.hstore,
      r int4range,
      mr tstzmultirange,
      fr ${S}.floatrange,
      pt point,
      poly polygon,
      ts tsvector,
      x xml,
      grid integer[],
      rc regclass,
      doubled numeric GENERATED ALWAYS AS (coalesce(amount, 0) * 2) STORED,
      slug text GENERATED ALWAYS AS (${S}."slug ☃"("MixedCase")) STORED,
      CONSTRAINT "select is small" CHECK ("select" BETWEEN -1000 AND 1000)
    ) WITH (fillfactor = 90);
    COMMENT ON TABLE ${every} IS 'one column of (nearly) every kind';
    COMMENT ON COLUMN ${every}."with ""quotes"" and spaces" IS 'column comment with "quotes"';
    COMMENT ON CONSTRAINT "select is small" ON ${every} IS 'constraint comment';
    ALTER TABLE ${every} ALTER COLUMN doc SET STATISTICS 500, ALTER COLUMN raw SET STORAGE EXTERNAL;

    CREATE TABLE ${S}.audit_log (
      id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      table_name text NOT NULL,
      op text NOT NULL,
      row_data jsonb,
      at timestamptz
    );
    CREATE RULE "audit is append-only ☃" AS ON DELETE TO ${S}.audit_log DO INSTEAD NOTHING;

    CREATE TABLE ${meas} (
      id bigserial,
      taken_at timestamptz NOT NULL,
      sensor text,
      value double precision,
      PRIMARY KEY (id, taken_at)
    ) PARTITION BY RANGE (taken_at);
    CREATE TABLE ${S}."Measurements 2023" PARTITION OF ${meas} FOR VALUES FROM ('2023-01-01 00:00:00+00') TO ('2024-01-01 00:00:00+00');
    CREATE TABLE ${S}."Measurements 2024" PARTITION OF ${meas} FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
    CREATE TABLE ${S}."Measurements default" PARTITION OF ${meas} DEFAULT;
    CREATE INDEX "measurements by sensor" ON ${meas} (sensor, taken_at DESC);
    COMMENT ON TABLE ${meas} IS 'range-partitioned, bigserial id';

    CREATE TABLE ${S}."no key, duplicates" (a integer, b text, c ${S}."Mood ☃");
    ALTER TABLE ${S}."no key, duplicates" REPLICA IDENTITY FULL;

    CREATE TABLE ${S}."Secrets ☃" (
      id integer PRIMARY KEY,
      owner name NOT NULL DEFAULT current_user,
      secret text
    );
    ALTER TABLE ${S}."Secrets ☃" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    CREATE POLICY "owner sees own ☃" ON ${S}."Secrets ☃" FOR SELECT TO ${R} USING (owner = current_user);
    CREATE POLICY "no blank secrets" ON ${S}."Secrets ☃" AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK (secret <> '');
    COMMENT ON POLICY "owner sees own ☃" ON ${S}."Secrets ☃" IS 'policy comment';

    CREATE TABLE ${S}.people (
      id integer PRIMARY KEY,
      name text NOT NULL,
      boss integer REFERENCES ${S}.people DEFERRABLE INITIALLY DEFERRED,
      email ${S}.email UNIQUE
    );
    CREATE TABLE ${S}.bookings (
      id serial PRIMARY KEY,
      person integer NOT NULL REFERENCES ${S}.people ON DELETE CASCADE,
      during tstzrange NOT NULL,
      EXCLUDE USING gist (during WITH &&)
    );

    CREATE TABLE ${S}.parent_inh (a integer, b text);
    CREATE TABLE ${S}.child_inh (c integer) INHERITS (${S}.parent_inh);
    CREATE UNLOGGED TABLE ${S}."unlogged ☃" (k text PRIMARY KEY, v integer);
    ALTER TABLE ${S}."unlogged ☃" OWNER TO ${R};

    CREATE TABLE "a.b".c (x integer);
    CREATE TABLE a."b.c" (x integer);
    CREATE TABLE public."UPPER" (id integer);
    CREATE TABLE public.upper (id integer);
    CREATE TABLE public."empty ☃" (id integer);

    CREATE SEQUENCE ${S}."Odd Sequence ☃" INCREMENT BY -3 MINVALUE -1000 MAXVALUE 50 START WITH 10 CACHE 5 CYCLE;
    CREATE SEQUENCE ${S}."never called";
    CREATE SEQUENCE ${S}."reset, not called";
    COMMENT ON SEQUENCE ${S}."Odd Sequence ☃" IS 'descending, cycling, cached';
    `,
    // 4. Indexes, statistics, triggers, grants, default privileges, publication.
    `
    SET search_path = ${S}, public;
    CREATE INDEX "trgm ☃" ON ${every} USING gin ("MixedCase" public.gin_trgm_ops);
    CREATE INDEX "kv gin" ON ${every} USING gin (kv);
    CREATE INDEX "partial, expression" ON ${every} (lower("MixedCase")) WHERE mood IS NOT NULL;
    CREATE UNIQUE INDEX "unique with include" ON ${every} (u) INCLUDE (d) WHERE u IS NOT NULL;
    CREATE INDEX "doc jsonb_path_ops" ON ${every} USING gin (doc jsonb_path_ops);
    COMMENT ON INDEX ${S}."trgm ☃" IS 'pg_trgm GIN index';
    ALTER TABLE ${every} CLUSTER ON "Every Type ☃_pkey";
    CREATE STATISTICS ${S}."mood and select ☃" (dependencies, ndistinct) ON mood, "select" FROM ${every};

    CREATE TRIGGER "touch ☃" BEFORE INSERT ON ${every} FOR EACH ROW EXECUTE FUNCTION ${S}."touch row ☃"();
    CREATE TRIGGER "audit insert" AFTER INSERT OR UPDATE ON ${every} FOR EACH ROW EXECUTE FUNCTION ${S}.audit();
    CREATE TRIGGER "disabled audit" AFTER DELETE ON ${every} FOR EACH ROW EXECUTE FUNCTION ${S}.audit();
    ALTER TABLE ${every} DISABLE TRIGGER "disabled audit";
    CREATE TRIGGER "audit measurements" AFTER INSERT ON ${meas} FOR EACH ROW WHEN (NEW.value < 0) EXECUTE FUNCTION ${S}.audit();
    COMMENT ON TRIGGER "touch ☃" ON ${every} IS 'BEFORE INSERT trigger that changes the row';

    GRANT USAGE ON SCHEMA ${S} TO ${R};
    GRANT SELECT ("MixedCase", mood), UPDATE (mood) ON ${every} TO ${R};
    GRANT SELECT ON ${S}."Secrets ☃" TO ${R} WITH GRANT OPTION;
    REVOKE EXECUTE ON FUNCTION ${S}.audit() FROM PUBLIC;
    ALTER DEFAULT PRIVILEGES IN SCHEMA ${S} GRANT SELECT ON TABLES TO ${R};
    CREATE PUBLICATION "hostile pub ☃" FOR TABLE ${S}.people, ${S}."no key, duplicates";
    `,
    // 5. Data, written across several time zones. The trigger rewrites MixedCase and audits each row.
    `
    SET search_path = ${S}, public;
    SET TIME ZONE 'Pacific/Chatham';
    INSERT INTO ${every} ("MixedCase", "with ""quotes"" and spaces", "select", ci_text, mood, moods, address, addresses,
      amount, contact, tags, doc, doc_json, raw, big, unbounded, f8, f4, at, at_local, d, t, ttz, span, cash, u, ip, net, mac,
      bits, kv, r, mr, fr, pt, poly, ts, x, grid, rc)
    VALUES
      (E'tab\\there, newline\\nthere, cr\\r, back\\\\slash', E'\\\\N', 0, 'Straße', 'Zürich ☃',
       ARRAY['sad', 'meh', NULL, 'with "quotes"', 'with, comma and \\backslash']::${S}."Mood ☃"[],
       ROW(E'1 "Quoted" St, (apt)\\n2', 'Zürich ☃', '8000', 'ok', ARRAY['a', NULL, ''])::${S}."Address Type",
       ARRAY[ROW('x', NULL, NULL, NULL, NULL)::${S}."Address Type", NULL, ROW(NULL, NULL, NULL, NULL, NULL)::${S}."Address Type"],
       0, 'ü@example.invalid', ARRAY['☃', '', NULL],
       '{"a": [1, 2.50, null, true], "ü ☃": {"nested": "\\\\u0000 is not NUL"}, "big": 123456789012345678901234567890.123456789, "e": 1e400}',
       '{"dup": 1,   "dup": 2, "ws" :  [ ] }',
       (SELECT decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b), 'hex') FROM generate_series(0, 255) AS b),
       '${wideNumeric}', 'Infinity', 'NaN', 'NaN', '2024-03-31 02:30:00 Europe/Zurich', '2024-03-31 02:30:00',
       'infinity', '24:00:00', '23:59:59.999999+14', '1 year -2 months 3 days -04:05:06.000007', '-92233720368547758.08',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2001:db8::1/64', '10.0.0.0/8', '08:00:2b:01:02:03', B'1010000000000000000000000000000000000000000000000000000000000001',
       '"key with \\"quote\\""=>"value, with => arrow \\\\ backslash", "null value"=>NULL, "☃"=>"❄"',
       '[1, 10)', '{[2024-01-01 00:00+00, 2024-02-01 00:00+00), [2024-03-01 00:00+00,)}', '[-Infinity, 3.5]',
       '(1.5, -2.25)', '((0,0), (1,1), (1,0))', to_tsvector('simple', 'Zürich ☃ snowman façade'), '<a b="c &amp; d">ü ☃<![CDATA[x]]></a>',
       '[0:1][1:2]={{1,NULL},{3,4}}', '${S.replace(/'/g, "''")}."Every Type ☃"'::regclass),
      ('', '', -1000, 'STRASSE', 'UPPER lower', '{}', ROW(NULL, NULL, NULL, NULL, NULL), '{}',
       0.01, 'x@y', '{}', 'null', 'null', '', '-${wideNumeric}', '-Infinity', '-0', '-0', '2024-10-27 02:30:00 Europe/Zurich', '0001-01-01 00:00:00 BC',
       '4713-01-01 BC', '00:00:00', '00:00:00-15:59', '-178000000 years', '92233720368547758.07',
       '00000000-0000-0000-0000-000000000000', '::', '0.0.0.0/0', 'ff:ff:ff:ff:ff:ff', B'', '', 'empty', '{}', 'empty',
       '(-0, 0)', '((1e-300, 1e300))', '', '<empty/>', '{}', 'pg_catalog.pg_class'::regclass),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DEFAULT, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (E'\\\\N', E'\\\\.', 1000, E'e\\u0301 vs \\u00e9, RTL \\u0645\\u0631\\u062d\\u0628\\u0627, ZWJ 👩\\u200d💻, BOM \\ufeff, LS \\u2028',
       'meh', '{{ok,sad},{meh,NULL}}', NULL, NULL, 9999999999.99, 'a@b', '{1,2,3,4,5}', '[]', '""',
       '\\x00', '0.${'0'.repeat(499)}1', '1e-1000', '1.7976931348623157e308', '3.4028235e38', '1900-01-01 00:00:00 Asia/Kolkata',
       '294276-12-31 23:59:59.999999', '5874897-12-31', '12:34:56.789012', '12:00:00+05:45', '0', '0',
       'ffffffff-ffff-ffff-ffff-ffffffffffff', '255.255.255.255', '2001:db8::/32', '00:00:00:00:00:00', B'1', '"a"=>"b"',
       '(,)', '{}', '(,)', '(5e-324, -5e-324)', '((0,0))', 'a:1A b:2B', '<?xml version="1.0"?><r/>', '{{{1}}}', NULL);
    SET TIME ZONE 'America/St_Johns';
    INSERT INTO ${every} ("MixedCase", "select", mood, moods, address, amount, tags, doc, raw, big, unbounded, f8, f4, at,
      at_local, d, span, u, kv, r, grid)
    SELECT 'Row ' || g || CASE WHEN g % 3 = 0 THEN ' Ünïcödé ☃' ELSE '' END,
      CASE WHEN g % 13 = 0 THEN NULL ELSE g % 1000 END,
      CASE WHEN g % 11 = 0 THEN NULL ELSE (enum_range(NULL::${S}."Mood ☃"))[g % 7 + 1] END,
      CASE WHEN g % 5 = 0 THEN NULL ELSE ARRAY[(enum_range(NULL::${S}."Mood ☃"))[g % 7 + 1], NULL] END,
      CASE WHEN g % 4 = 0 THEN NULL ELSE ROW('Street ' || g, CASE WHEN g % 2 = 0 THEN 'Zürich ☃' END, lpad(g::text, 5, '0'), 'ok', ARRAY['t' || g])::${S}."Address Type" END,
      CASE WHEN g % 9 = 0 THEN NULL ELSE (g * 1.37)::numeric(12, 2) END,
      CASE WHEN g % 6 = 0 THEN NULL ELSE ARRAY['tag ' || (g % 4)] END,
      CASE WHEN g % 8 = 0 THEN NULL ELSE jsonb_build_object('g', g, 'sq', g * g, 'half', g / 2.0, 'ü', repeat('☃', g % 5)) END,
      CASE WHEN g % 10 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') END,
      CASE WHEN g % 12 = 0 THEN NULL ELSE (g::numeric(1000, 500) / 7) END,
      CASE WHEN g % 17 = 0 THEN 'NaN'::numeric ELSE g::numeric ^ 20 END,
      CASE WHEN g % 19 = 0 THEN NULL ELSE g / 3.0::float8 END,
      CASE WHEN g % 19 = 0 THEN NULL ELSE g / 3.0::float4 END,
      CASE WHEN g % 7 = 0 THEN NULL ELSE timestamp '2020-01-01 00:00:00' + g * interval '1 hour 7 minutes 13.123456 seconds' END,
      timestamp '1999-12-31 23:59:59' + g * interval '1 day',
      date '2000-02-28' + g,
      g * interval '1 minute 1.5 seconds',
      CASE WHEN g % 2 = 0 THEN NULL ELSE md5(g::text)::uuid END,
      CASE WHEN g % 3 = 0 THEN NULL ELSE ${S}.hstore(ARRAY['k', 'n ☃'], ARRAY[g::text, NULL]) END,
      CASE WHEN g % 5 = 0 THEN NULL ELSE int4range(g, g + g % 10) END,
      CASE WHEN g % 4 = 0 THEN NULL ELSE ARRAY[g, NULL, -g] END
    FROM generate_series(1, 2000) AS g;
    SET TIME ZONE 'Asia/Kathmandu';
    INSERT INTO ${every} ("MixedCase", at, ttz) VALUES ('Kathmandu local time', '2024-06-01 12:00:00', '12:00:00');
    UPDATE ${every} SET "select" = 7 WHERE "MixedCase" = 'Kathmandu local time ✓';
    RESET TIME ZONE;

    -- Identity gaps: values taken and never used.
    SELECT nextval(pg_get_serial_sequence(${quoteLiteral(every)}, 'id')) FROM generate_series(1, 3);
    INSERT INTO ${every} ("MixedCase") VALUES ('after the gap');
    SELECT nextval(pg_get_serial_sequence(${quoteLiteral(every)}, 'id')) FROM generate_series(1, 2);

    INSERT INTO ${meas} (taken_at, sensor, value)
    SELECT timestamptz '2022-12-01 00:00:00+00' + g * interval '17 hours 13 minutes',
      CASE WHEN g % 29 = 0 THEN NULL ELSE 'sensor "' || (g % 4) || '" ☃' END,
      CASE WHEN g % 31 = 0 THEN NULL WHEN g % 97 = 0 THEN -g ELSE sin(g) * 100 END
    FROM generate_series(1, 1500) AS g;
    SELECT nextval(pg_get_serial_sequence(${quoteLiteral(meas)}, 'id')) FROM generate_series(1, 5);
    INSERT INTO ${meas} (taken_at, sensor, value) VALUES ('2030-01-01 00:00:00+00', 'after the gap', 'NaN');

    INSERT INTO ${S}."no key, duplicates" VALUES
      (1, 'dup', 'ok'), (1, 'dup', 'ok'), (1, 'dup', 'ok'), (NULL, NULL, NULL), (NULL, NULL, NULL), (2, '', NULL), (2, NULL, NULL);
    INSERT INTO ${S}."Secrets ☃" (id, owner, secret) VALUES
      (1, ${quoteLiteral(HOSTILE_ROLE)}, 'visible to the reader'), (2, 'someone else', 'hidden by the policy'), (3, DEFAULT, NULL);
    INSERT INTO ${S}.people (id, name, boss, email) VALUES (2, 'Underling', 1, 'u@x'), (1, 'Boss ☃', 1, 'b@x'), (3, 'Nobody', NULL, 'n@x');
    INSERT INTO ${S}.bookings (person, during) VALUES
      (1, '[2024-01-01 09:00+01, 2024-01-01 10:00+01)'), (2, '[2024-01-01 10:00+01, 2024-01-01 11:00+01)'), (3, '(,2000-01-01)');
    SELECT nextval(pg_get_serial_sequence(${quoteLiteral(`${S}.bookings`)}, 'id')) FROM generate_series(1, 4);
    INSERT INTO ${S}.parent_inh VALUES (1, 'parent only'), (NULL, NULL);
    INSERT INTO ${S}.child_inh VALUES (2, 'child', 3), (NULL, NULL, NULL);
    INSERT INTO ${S}."unlogged ☃" SELECT 'k' || g, g FROM generate_series(1, 50) AS g;
    INSERT INTO "a.b".c VALUES (1);
    INSERT INTO a."b.c" VALUES (2), (2);
    INSERT INTO public."UPPER" VALUES (1);
    INSERT INTO public.upper VALUES (2);

    SELECT nextval(${quoteLiteral(`${S}."Odd Sequence ☃"`)}) FROM generate_series(1, 25);
    SELECT setval(${quoteLiteral(`${S}."reset, not called"`)}, 42, false);

    SELECT lo_from_bytea(424242, convert_to('large object ☃ with a fixed oid', 'UTF8'));
    COMMENT ON LARGE OBJECT 424242 IS 'large object comment';
    GRANT SELECT ON LARGE OBJECT 424242 TO ${R};
    SELECT lo_from_bytea(424243, (SELECT decode(string_agg(lpad(to_hex(b % 256), 2, '0'), ''), 'hex') FROM generate_series(0, 70000) AS b));
    ALTER LARGE OBJECT 424243 OWNER TO ${R};
    `,
    // 6. Views and materialized views, made once the data exists; one matview is left unpopulated.
    `
    SET search_path = ${S}, public;
    CREATE VIEW ${S}."Moody View ☃" WITH (security_barrier) AS
      SELECT id, "MixedCase", mood FROM ${every} WHERE mood IS NOT NULL
      WITH CASCADED CHECK OPTION;
    COMMENT ON VIEW ${S}."Moody View ☃" IS 'security_barrier view with check option';
    CREATE RECURSIVE VIEW ${S}.chain (id, name, depth) AS
      SELECT id, name, 0 FROM ${S}.people WHERE boss IS NULL OR boss = id
      UNION ALL SELECT p.id, p.name, c.depth + 1 FROM ${S}.people p JOIN chain c ON p.boss = c.id WHERE p.boss <> p.id;
    CREATE MATERIALIZED VIEW ${S}."Mood Counts ☃" AS
      SELECT mood, count(*) AS n, sum(amount) AS total, ${S}."concat all ☃"(left("MixedCase", 3) ORDER BY id) FILTER (WHERE id < 200) AS firsts
      FROM ${every} GROUP BY mood;
    CREATE UNIQUE INDEX "mood counts by mood" ON ${S}."Mood Counts ☃" (mood) NULLS NOT DISTINCT;
    COMMENT ON MATERIALIZED VIEW ${S}."Mood Counts ☃" IS 'populated materialized view';
    CREATE MATERIALIZED VIEW ${S}."never refreshed" AS SELECT id FROM ${S}.people WITH NO DATA;
    COMMENT ON MATERIALIZED VIEW ${S}."never refreshed" IS 'unpopulated: must stay so';
    ANALYZE;
    `,
  ];
}

/**
 * Loads the PostgreSQL variant of the Chinook sample into a new database `database`, with psql as
 * the superuser. The script's own DROP/CREATE DATABASE and \c lines are cut off, so it lands in
 * `database`, not in "chinook".
 */
export async function loadChinook(server: PostgresServer, database: string): Promise<void> {
  const script = await fs.readFile(path.join(CHINOOK_FOLDER, 'Chinook_PostgreSql.sql'), 'utf8');
  const connect = /^\\c chinook;?[ \t]*\r?\n/m.exec(script);
  if (!connect) throw new Error('Chinook_PostgreSql.sql no longer has its "\\c chinook;" line: loadChinook must be updated.');
  const body = script.slice(connect.index + connect[0].length);
  if (/^\\/m.test(body)) throw new Error('Chinook_PostgreSql.sql has psql commands after "\\c chinook": loadChinook must be updated.');
  await server.createDatabase(database);
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'lifeboat-chinook-'));
  try {
    const file = path.join(folder, 'chinook.sql');
    await fs.writeFile(file, body);
    await runTool(postgresClientTool(server, 'psql'),
      ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', dbnameArgument(database), '-f', file],
      { env: postgresToolEnv(server), timeoutMs: 120_000 });
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
  await server.query('ANALYZE', database);
}

/**
 * `pg_dump --schema-only` of `database`. Removed, as they differ between two dumps of one
 * database: the `\restrict KEY` / `\unrestrict KEY` lines (random keys, pg_dump 15.14+), and the
 * "Dumped from database version" / "Dumped by pg_dump version" comments (the tool and the
 * server, not the database). Nothing else is touched.
 */
export async function schemaDump(server: PostgresServer, database: string): Promise<string> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'lifeboat-schema-'));
  try {
    const file = path.join(folder, 'schema.sql');
    await runTool(postgresClientTool(server, 'pg_dump'), ['--schema-only', '--no-password', '-d', dbnameArgument(database), '-f', file],
      { env: postgresToolEnv(server), timeoutMs: 120_000 });
    return normaliseSchemaDump(await fs.readFile(file, 'utf8'));
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

/** The normalisation schemaDump applies (exported for tests of it). */
export function normaliseSchemaDump(dump: string): string {
  // Only the key pg_dump drew for this dump: a \restrict line inside some object's text stays.
  const key = /^\\restrict ([A-Za-z0-9]+)$/m.exec(dump)?.[1];
  return dump
    .split('\n')
    .filter(line => key === undefined || (line !== `\\restrict ${key}` && line !== `\\unrestrict ${key}`))
    .filter(line => !/^-- Dumped (from database version|by pg_dump version) /.test(line))
    .join('\n');
}

/** Session settings pinned for tableChecksums, so that text forms do not depend on the database's or role's defaults. */
const CHECKSUM_SESSION = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  "SET extra_float_digits = 1",
  "SET bytea_output = 'hex'",
  "SET lc_monetary = 'C'",
  "SET search_path = pg_catalog", // regclass values print schema-qualified
  "SET row_security = off", // a policy that would hide rows makes the query fail instead
];

interface RelationRow { schema: string; name: string; relkind: string; relispopulated: boolean; qualified: string }

/**
 * Per relation of every schema but pg_catalog, information_schema and pg_toast, keyed by its
 * quoted qualified name (format('%I.%I'): `public.album`, `"Lifeboat ""Hostile"" Zürich ☃"."Every Type ☃"`):
 * - tables, partitions and partitioned tables (rows of the table itself, not of inheritance
 *   children): `table|partitioned table: <count> rows, sha256 <hash>`;
 * - materialized views: the same, or `materialized view: not populated`;
 * - sequences: `sequence: last_value=<n> is_called=<bool>`;
 * and `(large objects)`: `<count> large objects, sha256 <hash over oid and content>`.
 * The hash is over the sorted md5s of each row's text form (`ROW(t.*)::text`) under pinned session
 * settings, so it does not depend on physical order, collation or session defaults. All of it
 * is read in one repeatable-read transaction.
 */
export async function tableChecksums(server: PostgresServer, database: string): Promise<Record<string, string>> {
  const client = new Client(server.clientConfig(database));
  await client.connect();
  try {
    for (const statement of CHECKSUM_SESSION) await client.query(statement);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const relations = (await client.query<RelationRow>(`
      SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, c.relispopulated,
             format('%I.%I', n.nspname, c.relname) AS qualified
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm', 'S')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
        AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
      ORDER BY 5`)).rows;
    const result: Record<string, string> = {};
    for (const relation of relations) {
      const qualified = relation.qualified;
      if (relation.relkind === 'S') {
        const [row] = (await client.query<{ last_value: string; is_called: boolean }>(
          `SELECT last_value::text AS last_value, is_called FROM ${qualified}`)).rows;
        result[qualified] = `sequence: last_value=${row.last_value} is_called=${row.is_called}`;
        continue;
      }
      const kind = relation.relkind === 'r' ? 'table' : relation.relkind === 'p' ? 'partitioned table' : 'materialized view';
      if (relation.relkind === 'm' && !relation.relispopulated) {
        result[qualified] = `${kind}: not populated`;
        continue;
      }
      // ROW(t.*), not t::text: a bare t means the table's column t when it has one (the hostile
      // "Every Type ☃" does), while t.* always means the table's row.
      // ONLY: an inheritance parent's own rows (children are counted on their own); a partitioned
      // table has no rows of its own, so it is read whole (its partitions are listed too).
      const from = relation.relkind === 'r' ? `ONLY ${qualified}` : qualified;
      const [row] = (await client.query<{ n: string; hash: string }>(`
        SELECT count(*)::text AS n,
               encode(sha256(convert_to(coalesce(string_agg(h, '' ORDER BY h), ''), 'UTF8')), 'hex') AS hash
        FROM (SELECT md5(ROW(t.*)::text) AS h FROM ${from} AS t) AS rows`)).rows;
      result[qualified] = `${kind}: ${row.n} rows, sha256 ${row.hash}`;
    }
    // Large objects: pg_dump --schema-only leaves out even their owner, ACL and comment, so those count here.
    const [objects] = (await client.query<{ n: string; hash: string }>(`
      SELECT count(*)::text AS n,
             encode(sha256(convert_to(coalesce(string_agg(
               format('%s %s %s %s %s', m.oid, pg_get_userbyid(m.lomowner), quote_nullable(m.lomacl::text),
                      quote_nullable(obj_description(m.oid, 'pg_largeobject')), md5(lo_get(m.oid))),
               E'\\n' ORDER BY m.oid), ''), 'UTF8')), 'hex') AS hash
      FROM pg_catalog.pg_largeobject_metadata AS m`)).rows;
    result['(large objects)'] = `${objects.n} large objects, sha256 ${objects.hash}`;
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}

export interface DatabaseProperties {
  encoding: string;
  collate: string;
  ctype: string;
  /** The database's comment, or null. */
  comment: string | null;
  /** ALTER DATABASE … SET settings (for all roles), sorted. */
  settings: string[];
  /** ALTER ROLE … IN DATABASE … SET settings, "role: setting", sorted. */
  roleSettings: string[];
  /** The database's ACL as text, or null for the default. */
  acl: string | null;
  owner: string;
}

/**
 * What belongs to the database itself rather than to its contents. pg_dump writes these only with
 * --create (PostgreSQL 11+), and CREATE DATABASE … TEMPLATE copies none but encoding and locale:
 * a restore into a database of another name must carry them some other way, or say it does not.
 * The ACL names the database's roles, not the database, so two databases can compare equal.
 */
export async function databaseProperties(server: PostgresServer, database: string): Promise<DatabaseProperties> {
  const [row] = await server.query<{
    encoding: string; collate: string; ctype: string; comment: string | null; settings: string[] | null;
    role_settings: string[] | null; acl: string | null; owner: string;
  }>(`
    SELECT pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype,
           shobj_description(d.oid, 'pg_database') AS comment,
           (SELECT array_agg(s ORDER BY s) FROM pg_db_role_setting rs, unnest(rs.setconfig) AS s
             WHERE rs.setdatabase = d.oid AND rs.setrole = 0) AS settings,
           (SELECT array_agg(r.rolname || ': ' || s ORDER BY r.rolname, s)
              FROM pg_db_role_setting rs JOIN pg_roles r ON r.oid = rs.setrole, unnest(rs.setconfig) AS s
             WHERE rs.setdatabase = d.oid) AS role_settings,
           d.datacl::text AS acl, pg_get_userbyid(d.datdba) AS owner
    FROM pg_database d WHERE d.datname = $1`, 'postgres', [database]);
  if (!row) throw new Error(`There is no database "${database}" on port ${server.port}.`);
  return {
    encoding: row.encoding, collate: row.collate, ctype: row.ctype, comment: row.comment,
    settings: row.settings ?? [], roleSettings: row.role_settings ?? [], acl: row.acl, owner: row.owner,
  };
}

/** CREATE DATABASE `copy` TEMPLATE `original` (nobody may be connected to `original`). */
export async function copyDatabase(server: PostgresServer, original: string, copy: string): Promise<void> {
  await server.query(`CREATE DATABASE ${quoteIdent(copy)} TEMPLATE ${quoteIdent(original)}`);
}

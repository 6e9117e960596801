// Builds the benchmark's SQLite database once and caches it under bench/.data/: about 200 MB in
// WAL mode, shaped like an application's database (customers, products, orders and their lines,
// an event log with JSON payloads, attachments as BLOBs, secondary indexes). A fixed seed makes
// every machine build the same rows, so figures from different machines compare.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';

/** Bump when the schema or the rows change, so a cached database from an older generator is rebuilt. */
export const GENERATOR_VERSION = 1;
const SEED = 20260101;

/** Rows per table; together about 200 MB on disk with SQLite's default 4 KiB pages. */
const SCALE = {
  customers: 80_000,
  products: 8_000,
  orders: 230_000,
  linesPerOrderMax: 5,
  events: 260_000,
  attachments: 800,
};

export function benchDatabasePath(dataDir) {
  return path.join(dataDir, `app-v${GENERATOR_VERSION}.sqlite`);
}

/** Returns facts about the cached database, building it first when it is missing. */
export function ensureBenchDatabase(dataDir, log = () => {}) {
  const file = benchDatabasePath(dataDir);
  let generatedMs = null;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    log(`Generating ${path.relative(process.cwd(), file)} (once; cached afterwards)…`);
    const started = performance.now();
    const partial = `${file}.partial`;
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(partial + suffix, { force: true });
    generate(partial);
    fs.renameSync(partial, file);
    generatedMs = Math.round(performance.now() - started);
    log(`Generated in ${(generatedMs / 1000).toFixed(1)} s.`);
  }
  return { file, generatedMs, ...describe(file) };
}

function describe(file) {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const value = sql => Object.values(db.prepare(sql).get())[0];
    const pragma = name => value(`PRAGMA ${name}`);
    const tables = db.prepare("select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name").all().map(r => r.name);
    const indexes = value("select count(*) from sqlite_schema where type = 'index' and sql is not null");
    const rows = Object.fromEntries(tables.map(t => [t, value(`select count(*) from "${t}"`)]));
    return {
      bytes: fs.statSync(file).size,
      pageSize: pragma('page_size'),
      pageCount: pragma('page_count'),
      journalMode: pragma('journal_mode'),
      tables: rows,
      indexes,
    };
  } finally {
    db.close();
  }
}

/** mulberry32: tiny, fast and good enough for test data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('able account action address after again against agent amount answer apple april area argue around arrive ' +
  'article artist attack august autumn balance basket battery beach because before begin behind believe better between ' +
  'bicycle border bottle bottom branch bridge bright broken brother budget build butter button cabinet camera canvas ' +
  'carbon career carpet castle catalog ceiling center chair change charge cheap check cherry choice circle citizen ' +
  'climate clock closet cloud coffee collect colour column comfort common cookie copper corner cotton country couple ' +
  'course cousin credit culture current custom damage danger debate decade default deliver demand desert design detail ' +
  'device diamond dinner direct doctor dollar donkey double dragon drawer driver during eager early easily editor effort ' +
  'eleven empire energy engine enough entire escape estate evening exact example excuse expand expect export fabric ' +
  'factor family famous farmer father feature figure filter finger finish flavor flight flower follow forest format ' +
  'fortune freight friend frozen future garden garlic gather gentle giant ginger glass global golden gravity green ' +
  'ground growth guitar hammer handle harbor health heavy height helmet hidden history holiday honest hunger hybrid ' +
  'impact import income indoor infant inside invoice island jacket jungle junior kettle kitchen ladder laptop leather ' +
  'lemon letter liquid little lizard lumber magnet manual marble market master meadow medium member method middle ' +
  'minute mirror mobile modern moment monkey mother motion museum narrow nature needle normal notice number object ' +
  'office orange order origin output oxygen packet palace panel parcel parent pencil people pepper permit person ' +
  'planet plastic pocket police powder prefer pretty profit public puzzle quarter rabbit random rather reason record ' +
  'region remote repair report result return ribbon rocket saddle salmon sample season second select senior shadow ' +
  'silver simple single sister socket spirit spring square stable status stereo street strong studio summer supply ' +
  'switch symbol system tablet target ticket timber tomato tongue travel tunnel turkey twelve unique update useful ' +
  'valley velvet vendor video violin visual volume wallet wander window winter wisdom wonder yellow zebra').split(' ');
const FIRST = 'Ada Alan Anna Aziz Bea Carlos Chen Dana Elif Emma Farah Giulia Hana Ivan Jonas Kai Lara Lena Luca Maya Mei Nia Noah Olga Omar Priya Rui Sara Tomas Yuki Zoe'.split(' ');
const LAST = 'Abe Bauer Costa Diaz Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Lopez Moreau Nakamura Novak Okafor Patel Rossi Schmidt Silva Tanaka Weber Wong Yilmaz Zhang'.split(' ');
const DOMAINS = ['example.com', 'mail.test', 'corp.example', 'shop.example.org', 'inbox.test'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'NL', 'SE', 'IT', 'ES', 'PL', 'CA', 'AU', 'NG', 'KE'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'delivered', 'delivered', 'cancelled', 'refunded'];
const EVENT_KINDS = ['page_view', 'page_view', 'page_view', 'search', 'add_to_cart', 'checkout', 'login', 'logout', 'api_call', 'email_open'];
const START = Date.UTC(2021, 0, 1);
const SPAN = Date.UTC(2026, 0, 1) - START;

function generate(file) {
  const random = prng(SEED);
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = list => list[Math.floor(random() * list.length)];
  const words = n => { let s = pick(WORDS); for (let i = 1; i < n; i++) s += ' ' + pick(WORDS); return s; };
  const money = (lo, hi) => Math.round((lo + random() * (hi - lo)) * 100) / 100;
  const instant = () => START + Math.floor(random() * SPAN);
  // Incompressible bytes (photos, archives) come from AES-CTR with a fixed key: fast and reproducible.
  const keystream = crypto.createCipheriv('aes-256-ctr', crypto.createHash('sha256').update(String(SEED)).digest(), Buffer.alloc(16));
  const noise = n => keystream.update(Buffer.alloc(n));

  const db = new DatabaseSync(file);
  db.exec('PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;');
  const transaction = work => from => {
    db.exec('BEGIN');
    work(from);
    db.exec('COMMIT');
  };
  db.exec(`
    CREATE TABLE customers (
      id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, country TEXT NOT NULL,
      created_at TEXT NOT NULL, balance REAL NOT NULL DEFAULT 0, is_active INTEGER NOT NULL DEFAULT 1, notes TEXT);
    CREATE TABLE products (
      id INTEGER PRIMARY KEY, sku TEXT NOT NULL, title TEXT NOT NULL, description TEXT, price REAL NOT NULL,
      stock INTEGER NOT NULL, updated_at INTEGER NOT NULL, thumbnail BLOB);
    CREATE TABLE orders (
      id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), status TEXT NOT NULL,
      total REAL NOT NULL, currency TEXT NOT NULL, created_at TEXT NOT NULL, shipped_at TEXT, shipping_address TEXT);
    CREATE TABLE order_lines (
      order_id INTEGER NOT NULL REFERENCES orders(id), line INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES products(id),
      quantity INTEGER NOT NULL, unit_price REAL NOT NULL, discount REAL, PRIMARY KEY (order_id, line)) WITHOUT ROWID;
    CREATE TABLE events (
      id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, customer_id INTEGER, payload TEXT NOT NULL);
    CREATE TABLE attachments (
      id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), filename TEXT NOT NULL, mime TEXT NOT NULL,
      size INTEGER NOT NULL, uploaded_at TEXT NOT NULL, content BLOB NOT NULL);
  `);

  const load = (sql, count, row) => {
    const insert = db.prepare(sql);
    const batch = transaction(from => {
      for (let i = from; i < Math.min(from + 50_000, count); i++) insert.run(...row(i + 1));
    });
    for (let from = 0; from < count; from += 50_000) batch(from);
  };

  load('INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)', SCALE.customers, id => {
    const first = pick(FIRST), last = pick(LAST);
    return [id, `${first}.${last}${id}@${pick(DOMAINS)}`.toLowerCase(), `${first} ${last}`, pick(COUNTRIES),
      new Date(instant()).toISOString(), money(-200, 5000), random() < 0.92 ? 1 : 0, random() < 0.3 ? words(int(4, 18)) : null];
  });
  load('INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?)', SCALE.products, id => [
    id, `SKU-${String(id).padStart(6, '0')}`, words(int(2, 5)), words(int(20, 80)), money(1, 900), int(0, 5000),
    Math.floor(instant() / 1000), random() < 0.6 ? noise(int(800, 3000)) : null,
  ]);
  const orderTotals = new Float64Array(SCALE.orders + 1);
  load('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)', SCALE.orders, id => {
    const created = instant();
    const status = pick(STATUSES);
    orderTotals[id] = money(5, 1500);
    return [id, int(1, SCALE.customers), status, orderTotals[id], random() < 0.8 ? 'EUR' : 'USD', new Date(created).toISOString(),
      status === 'shipped' || status === 'delivered' ? new Date(created + int(3600e3, 10 * 86400e3)).toISOString() : null,
      `${int(1, 300)} ${words(2)} street, ${int(10000, 99999)} ${words(1)}, ${pick(COUNTRIES)}`];
  });
  {
    const insert = db.prepare('INSERT INTO order_lines VALUES (?, ?, ?, ?, ?, ?)');
    const batch = transaction(from => {
      for (let order = from; order < Math.min(from + 20_000, SCALE.orders + 1); order++) {
        const lines = int(1, SCALE.linesPerOrderMax);
        for (let line = 1; line <= lines; line++) {
          insert.run(order, line, int(1, SCALE.products), int(1, 6), money(1, 300), random() < 0.15 ? money(0.5, 20) : null);
        }
      }
    });
    for (let from = 1; from <= SCALE.orders; from += 20_000) batch(from);
  }
  load('INSERT INTO events VALUES (?, ?, ?, ?, ?)', SCALE.events, id => {
    const kind = pick(EVENT_KINDS);
    const payload = JSON.stringify({
      session: crypto.createHash('md5').update(String(id)).digest('hex'),
      path: `/${pick(WORDS)}/${pick(WORDS)}/${int(1, 99999)}`,
      ua: `Mozilla/5.0 (${pick(['X11; Linux x86_64', 'Windows NT 10.0; Win64; x64', 'Macintosh; Intel Mac OS X 14_5'])}) Gecko/20100101 Firefox/${int(110, 140)}.0`,
      ip: `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
      ms: int(3, 2500),
      ...(kind === 'search' ? { q: words(int(1, 4)) } : {}),
      ...(kind === 'add_to_cart' || kind === 'checkout' ? { product: int(1, SCALE.products), qty: int(1, 4) } : {}),
    });
    return [id, instant(), kind, random() < 0.7 ? int(1, SCALE.customers) : null, payload];
  });
  load('INSERT INTO attachments VALUES (?, ?, ?, ?, ?, ?, ?)', SCALE.attachments, id => {
    const order = int(1, SCALE.orders);
    let content, mime, name;
    if (random() < 0.55) {
      content = noise(int(10_000, 90_000));
      mime = pick(['image/jpeg', 'image/png', 'application/zip']);
      name = `scan-${order}.${mime.split('/')[1]}`;
    } else {
      const lines = [];
      for (let n = int(100, 1200), i = 0; i < n; i++) lines.push(`${i},${order},${words(3)},${money(0, 999)},${new Date(instant()).toISOString()}`);
      content = Buffer.from(`line,order,description,amount,at\n${lines.join('\n')}\n`);
      mime = 'text/csv';
      name = `invoice-${order}.csv`;
    }
    return [id, order, name, mime, content.length, new Date(instant()).toISOString(), content];
  });

  db.exec(`
    CREATE UNIQUE INDEX customers_email ON customers(email);
    CREATE INDEX customers_country ON customers(country, created_at);
    CREATE UNIQUE INDEX products_sku ON products(sku);
    CREATE INDEX orders_customer ON orders(customer_id, created_at);
    CREATE INDEX orders_status ON orders(status, created_at);
    CREATE INDEX order_lines_product ON order_lines(product_id);
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_customer ON events(customer_id, at) WHERE customer_id IS NOT NULL;
    CREATE INDEX attachments_order ON attachments(order_id);
    ANALYZE;
  `);
  // Leave an empty WAL: every tool then reads the same bytes from the main file, and a tool that
  // checkpoints on close (the sqlite3 shell does) cannot change the database between runs.
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
}

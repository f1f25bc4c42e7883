// SQLite access through node-sqlite3 (Node-API, so the same build loads in Node and Electron).
import sqlite3 from 'sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Beside this module in a checkout; beside the bundle (or one level up, from a chunk) when built.
const schemaFile = [new URL('./schema.sql', import.meta.url), new URL('../schema.sql', import.meta.url)].find(
  (u) => existsSync(fileURLToPath(u)),
);
if (!schemaFile) throw new Error('pathlens: schema.sql not found next to the store module');
/** The schema file's text; its PRAGMA user_version line is the version. */
export const SCHEMA_SQL = readFileSync(schemaFile, 'utf8');
/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = Number(/PRAGMA user_version = (\d+)/.exec(SCHEMA_SQL)?.[1] ?? 0);

type Param = string | number | bigint | null | Uint8Array;

/** A promise-based handle on one case file. */
export class Db {
  /** the bulk-insert extension is loaded (see loadRowsExtension) */
  rowsExtension = false;

  private constructor(
    readonly path: string,
    private readonly raw: sqlite3.Database,
  ) {}

  /** Opens (or creates) a database file. */
  static open(path: string, mode: 'create' | 'readwrite' | 'readonly'): Promise<Db> {
    const flags =
      mode === 'readonly'
        ? sqlite3.OPEN_READONLY
        : mode === 'readwrite'
          ? sqlite3.OPEN_READWRITE
          : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(path, flags, (err) =>
        err ? reject(err) : resolve(new Db(path, raw)),
      );
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  run(sql: string, params: Param[] = []): Promise<{ lastID: number; changes: number }> {
    return new Promise((resolve, reject) =>
      this.raw.run(sql, params, function (err) {
        if (err) reject(err);
        else resolve({ lastID: this.lastID, changes: this.changes });
      }),
    );
  }

  all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.raw.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
    );
  }

  get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) =>
      this.raw.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))),
    );
  }

  /** Loads an SQLite extension (a shared library); rejects when it cannot be loaded. */
  loadExtension(file: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.raw.loadExtension(file, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** A prepared statement, reused across batches. */
  prepare(sql: string): Promise<Statement> {
    return new Promise((resolve, reject) => {
      const st = this.raw.prepare(sql, (err) => (err ? reject(err) : resolve(new Statement(st))));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}

/** A prepared statement. */
export class Statement {
  constructor(private readonly raw: sqlite3.Statement) {}
  run(params: Param[]): Promise<void> {
    return new Promise((resolve, reject) => this.raw.run(params, (err) => (err ? reject(err) : resolve())));
  }
  finalize(): Promise<void> {
    return new Promise((resolve) => this.raw.finalize(() => resolve()));
  }
}

const [SCHEMA_TABLES, SCHEMA_INDEXES] = SCHEMA_SQL.split('-- INDEXES:') as [string, string | undefined];

// The bulk-insert extension built by scripts/build-native.mjs: in a checkout out/native/ (this
// module is src/main/store/, or node_modules/.cache/pathlens/ for the checkout's bundled worker),
// beside the Electron bundle's out/main/ (../native/).
const ROWS_EXT = ['../../../out/native/', '../native/'].flatMap((d) =>
  ['so', 'dylib', 'dll'].map((e) => new URL(`${d}pathlens-rows.${e}`, import.meta.url)),
);

/**
 * Loads the bulk-insert extension (store/rows-ext.c) into `db`; false when it was not built or
 * PATHLENS_NO_NATIVE is set, and writes then take the SQL-side decoding path.
 */
export async function loadRowsExtension(db: Db): Promise<boolean> {
  if (process.env.PATHLENS_NO_NATIVE) return false;
  for (const u of ROWS_EXT) {
    if (u.protocol !== 'file:' || !existsSync(fileURLToPath(u))) continue;
    try {
      // SQLite derives the entry point from the file name: sqlite3_pathlensrows_init
      await db.loadExtension(fileURLToPath(u));
      // a library built from an older rows-ext.c (no 4-byte integers) is left unused
      const probe = await db.get<{ v: number }>('SELECT c0 AS v FROM pathlens_rows(1, ?)', [
        Buffer.from([3, 0xf9, 0xff, 0xff, 0xff]),
      ]);
      if (probe?.v !== -7) return false;
      db.rowsExtension = true;
      return true;
    } catch {
      // built for another SQLite or platform: the SQL path still works
    }
  }
  return false;
}

/**
 * Creates a fresh case file with the schema's tables, tuned for one bulk writer. With `live`
 * readers watch it fill (WAL); otherwise no journal at all: every page is written once instead of
 * to the WAL and again at checkpoint (≈0.6 s of a 1.2M-record ingest, measured), and a case whose
 * ingest did not finish is ingested again anyway. finishCase() switches it to WAL.
 */
export async function createCase(path: string, live = true): Promise<Db> {
  const db = await Db.open(path, 'create');
  await db.exec(
    `PRAGMA journal_mode = ${live ? 'WAL' : 'OFF'}; PRAGMA synchronous = OFF; PRAGMA cache_size = -16384;`,
  );
  await db.exec(SCHEMA_TABLES);
  return db;
}

/** After the bulk load: the journal every later reader and writer expects. */
export async function finishCase(db: Db): Promise<void> {
  await db.exec('PRAGMA journal_mode = WAL');
}

/** Builds the schema's indexes once the bulk load is done. */
export async function createIndexes(db: Db): Promise<void> {
  if (SCHEMA_INDEXES) await db.exec(`--${SCHEMA_INDEXES}`);
}

/** Opens an existing case, refusing one written by another schema version. */
export async function openCase(path: string, mode: 'readwrite' | 'readonly' = 'readonly'): Promise<Db> {
  const db = await Db.open(path, mode);
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  if (row?.user_version !== SCHEMA_VERSION) {
    await db.close();
    throw new Error(
      `${path}: case file has schema version ${row?.user_version ?? '?'}, this pathlens reads ${SCHEMA_VERSION}; re-ingest the inputs`,
    );
  }
  return db;
}

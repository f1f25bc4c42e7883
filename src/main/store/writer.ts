// Batched writes into SQLite through node-sqlite3, which converts every bound value on its own
// (measured here: a 30-column insert tops out near 78k rows/s with bound parameters, ≈125k rows/s
// as SQL text). Three row encodings, each batch sent while the next is built: tagged binary fields
// in one BLOB cut apart by the pathlens_rows extension (≈1.2M rows/s of 19 columns), fixed-width
// ASCII fields in one BLOB cut apart by substr() (≈310k rows/s, when the extension is not built)
// and SQL text (any row).
import type { Db, Statement } from './db';

/** Where a row's fields are written, in column order; false when a field does not fit. */
export interface RowSink {
  int(v: number | null): boolean;
  /** seconds and nanoseconds as one exact integer of nanoseconds */
  ns(sec: number, nsec: number): boolean;
  text(v: string | null): boolean;
}

/** Writes plain values (numbers, text, null) in column order. */
export function putValues(w: RowSink, values: ReadonlyArray<string | number | null>): boolean {
  for (const v of values) if (typeof v === 'number' ? !w.int(v) : !w.text(v)) return false;
  return true;
}

/** Sends batches in order, one in flight while the caller builds the next. */
class Pipeline {
  private pending: Promise<void> = Promise.resolve();
  private failed: unknown = null;

  /** Queues one batch; the promise resolves when the previous batch is done (back-pressure). */
  send(run: () => Promise<void>): Promise<void> {
    const prev = this.pending;
    this.pending = prev.then(run).catch((e: unknown) => {
      this.failed = e;
    });
    return prev.then(() => this.check());
  }

  private check(): void {
    if (this.failed) throw this.failed;
  }

  /** Waits for the batch in flight. */
  async drain(): Promise<void> {
    await this.pending;
    this.check();
  }
}

/**
 * Batches of one INSERT run through two prepared statements in turn. node-sqlite3 starts a
 * statement's next run only from the engine's thread (when the previous run's callback is
 * handled); with two, the next batch is already waiting on SQLite's thread pool when one ends, so
 * SQLite keeps inserting while the engine decodes (the engine idled ≈ 0.3–0.5 s of a 1.2M-record
 * ingest waiting on SQLite before, measured). Rows carry their ids, and no two batches of one
 * writer hold the same row, so the order two batches run in does not matter.
 */
class StatementBatches {
  private stmts: [Promise<Statement>, Promise<Statement>] | null = null;
  /** each statement's last run */
  private readonly runs: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  private turn: 0 | 1 = 0;
  private failed: unknown = null;

  constructor(
    private readonly db: Db,
    private readonly sql: string,
  ) {}

  /**
   * Queues one run on the statement whose turn it is, once its previous run is done; resolves
   * then (back-pressure: two batches at most in flight).
   */
  send(params: Array<Buffer | number>): Promise<void> {
    this.stmts ??= [this.db.prepare(this.sql), this.db.prepare(this.sql)];
    const k = this.turn;
    this.turn = k === 0 ? 1 : 0;
    const st = this.stmts[k];
    const prev = this.runs[k];
    this.runs[k] = prev
      .then(async () => (await st).run(params))
      .catch((e: unknown) => {
        this.failed ??= e;
      });
    return prev.then(() => this.check());
  }

  private check(): void {
    if (this.failed) throw this.failed;
  }

  /** Waits for the batches in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.runs);
    this.check();
  }

  /** Waits for every batch and releases the statements. */
  async finish(): Promise<void> {
    await this.drain();
    if (this.stmts) for (const st of this.stmts) await (await st).finalize();
    this.stmts = null;
  }
}

const NULL = [0x4e, 0x55, 0x4c, 0x4c];

/**
 * Rows as SQL literal text written straight into a byte buffer: no short-lived string per row
 * (their garbage collection cost more than the analysis itself, measured).
 */
class SqlTextRows implements RowSink {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private col = 0;
  rows = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Starts a row: `(` or `,(`. */
  open(): void {
    this.room(2);
    if (this.rows > 0) this.buf[this.pos++] = 0x2c;
    this.buf[this.pos++] = 0x28;
    this.rows++;
    this.col = 0;
  }

  /** Ends a row. */
  close(): void {
    this.room(1);
    this.buf[this.pos++] = 0x29;
  }

  private sep(n: number): void {
    this.room(n + 1);
    if (this.col++ > 0) this.buf[this.pos++] = 0x2c;
  }

  int(v: number | null): boolean {
    this.sep(24);
    if (v === null) {
      for (const b of NULL) this.buf[this.pos++] = b;
    } else if (v < 0 || !Number.isSafeInteger(v)) {
      this.pos += this.buf.write(Number.isFinite(v) ? String(v) : 'NULL', this.pos, 'latin1');
    } else {
      let digits = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      let end = this.pos + digits;
      for (let x = v; end > this.pos; x = Math.floor(x / 10)) this.buf[--end] = 0x30 + (x % 10);
      this.pos += digits;
    }
    return true;
  }

  ns(sec: number, nsec: number): boolean {
    if (sec === 0) return this.int(nsec);
    this.int(sec);
    this.room(9);
    let end = this.pos + 9;
    for (let x = nsec; end > this.pos; x = Math.floor(x / 10)) this.buf[--end] = 0x30 + (x % 10);
    this.pos += 9;
    return true;
  }

  text(v: string | null): boolean {
    if (v === null) return this.int(null);
    const s = v.indexOf("'") < 0 ? v : v.replace(/'/g, "''");
    this.sep(s.length * 3 + 2);
    this.buf[this.pos++] = 0x27;
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.buf[this.pos++] = 0x27;
    return true;
  }

  /** The rows so far as SQL text, and a fresh start. */
  take(): string {
    const s = this.buf.toString('utf8', 0, this.pos);
    this.pos = 0;
    this.rows = 0;
    return s;
  }
}

/** Rows of one table as multi-row `INSERT … VALUES (…),(…)` statements of SQL text. */
export class SqlRowInserter {
  private readonly rowsBuf = new SqlTextRows();
  private readonly pipe = new Pipeline();
  private readonly head: string;

  constructor(
    private readonly db: Db,
    table: string,
    columns: readonly string[],
    private readonly batch = 2000,
    verb = 'INSERT',
  ) {
    this.head = `${verb} INTO ${table} (${columns.join(',')}) VALUES `;
  }

  /** Writes one row through `put` (its fields in column order); returns back-pressure when a batch was sent. */
  row(put: (w: RowSink) => unknown): Promise<void> | null {
    this.rowsBuf.open();
    put(this.rowsBuf);
    this.rowsBuf.close();
    if (this.rowsBuf.rows >= this.batch) return this.send();
    return null;
  }

  /** Writes one row of plain values (numbers, text, null) in column order. */
  add(values: ReadonlyArray<string | number | null>): Promise<void> | null {
    return this.row((w) => putValues(w, values));
  }

  private send(): Promise<void> {
    const sql = this.head + this.rowsBuf.take();
    return this.pipe.send(() => this.db.exec(sql));
  }

  /** Waits for the batch in flight. */
  drain(): Promise<void> {
    return this.pipe.drain();
  }

  /** Writes every buffered row. */
  async flush(): Promise<void> {
    if (this.rowsBuf.rows) void this.send();
    await this.drain();
  }
}

/** A column of a fixed-width row batch. */
export interface FixedColumn {
  name: string;
  width: number;
  kind: 'int' | 'text';
}

/**
 * The fastest way found into SQLite from node-sqlite3: a batch of rows as one BLOB of fixed-width
 * ASCII fields, bound once, which one prepared `INSERT … SELECT` cuts apart with substr() over a
 * recursive row counter. SQLite neither parses the values as SQL nor receives them one by one
 * (measured here: 200 000 rows of 19 columns in 0.64 s, against 1.6 s as SQL text and 2.6 s bound).
 * A field's first byte `N` is NULL; integers are right-aligned; text is space-padded ASCII/UTF-8.
 * A row with a value that does not fit (a long name, a negative number) is refused as a whole:
 * the caller writes it through SqlRowInserter instead.
 */
export class FixedRowInserter implements RowSink {
  private readonly width: number;
  private buf: Buffer;
  private pos = 0;
  private rowStart = 0;
  private col = 0;
  private count = 0;
  private readonly batches: StatementBatches;

  constructor(
    db: Db,
    table: string,
    private readonly columns: readonly FixedColumn[],
    private readonly batch = 4000,
    verb = 'INSERT',
  ) {
    let off = 1;
    const offsets = columns.map((c) => {
      const o = off;
      off += c.width;
      return o;
    });
    this.width = off - 1;
    this.buf = Buffer.alloc(this.width * batch, 0x20);
    const sel = columns
      .map((c, i) => {
        const at = `r.i*${this.width}+${offsets[i]}`;
        const v = `substr(?1, ${at}, ${c.width})`;
        const val = c.kind === 'int' ? `CAST(${v} AS INTEGER)` : `rtrim(CAST(${v} AS TEXT))`;
        return `CASE WHEN substr(?1, ${at}, 1) = X'4E' THEN NULL ELSE ${val} END`;
      })
      .join(',');
    this.batches = new StatementBatches(
      db,
      `WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i + 1 < ?2) ${verb} INTO ${table} (${columns.map((c) => c.name).join(',')}) SELECT ${sel} FROM r`,
    );
  }

  /** Writes one row through `put`; false (nothing written) when a field did not fit. */
  tryRow(put: (w: RowSink) => boolean): boolean {
    this.rowStart = this.pos;
    this.col = 0;
    if (put(this) && this.col === this.columns.length) return true;
    this.buf.fill(0x20, this.rowStart, Math.min(this.buf.length, this.rowStart + this.width));
    this.pos = this.rowStart;
    return false;
  }

  /** After a successful tryRow: returns back-pressure when a batch was sent. */
  end(): Promise<void> | null {
    this.count++;
    if (this.count >= this.batch) return this.send();
    return null;
  }

  private field(): number {
    return this.columns[this.col++]?.width ?? 0;
  }

  int(v: number | null): boolean {
    const w = this.field();
    if (w === 0) return false;
    if (v === null) {
      this.buf[this.pos] = 0x4e;
      this.pos += w;
      return true;
    }
    if (v < 0 || !Number.isSafeInteger(v)) return false;
    let end = this.pos + w;
    let x = v;
    do {
      if (end === this.pos) return false;
      this.buf[--end] = 0x30 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
    this.pos += w;
    return true;
  }

  ns(sec: number, nsec: number): boolean {
    if (sec === 0) return this.int(nsec);
    const w = this.field();
    if (w < 10) return false;
    let end = this.pos + w;
    let x = nsec;
    for (let k = 0; k < 9; k++) {
      this.buf[--end] = 0x30 + (x % 10);
      x = Math.floor(x / 10);
    }
    x = sec;
    do {
      if (end === this.pos) return false;
      this.buf[--end] = 0x30 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
    this.pos += w;
    return true;
  }

  text(v: string | null): boolean {
    const w = this.field();
    if (w === 0) return false;
    if (v === null) {
      this.buf[this.pos] = 0x4e;
      this.pos += w;
      return true;
    }
    // an empty string or one starting with N would read back as NULL: SQL text carries those
    if (v.length > w || v.length === 0 || v.charCodeAt(0) === 0x4e) return false;
    const n = this.buf.write(v, this.pos, w, 'utf8');
    if (n < Buffer.byteLength(v)) return false;
    this.pos += w;
    return true;
  }

  private send(): Promise<void> {
    const blob = this.buf.subarray(0, this.pos);
    const n = this.count;
    this.buf = Buffer.alloc(this.width * this.batch, 0x20);
    this.pos = 0;
    this.count = 0;
    return this.batches.send([blob, n]);
  }

  /** Waits for the batch in flight. */
  drain(): Promise<void> {
    return this.batches.drain();
  }

  /** Writes every buffered row and releases the statement. */
  async flush(): Promise<void> {
    if (this.count) void this.send();
    await this.batches.finish();
  }
}

/**
 * Rows as one BLOB of tagged binary fields (see store/rows-ext.c), inserted by
 * `INSERT … SELECT c0, c1, … FROM pathlens_rows(n, ?)`. Every value fits: integers in 4 bytes
 * when they fit 32 bits, else 8; text of any length.
 */
export class BinaryRowInserter implements RowSink {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private count = 0;
  private readonly batches: StatementBatches;

  constructor(
    db: Db,
    table: string,
    columns: readonly string[],
    private readonly batch = 8000,
    verb = 'INSERT',
  ) {
    if (columns.length > 64) throw new Error(`${table}: pathlens_rows takes at most 64 columns`);
    this.batches = new StatementBatches(
      db,
      `${verb} INTO ${table} (${columns.join(',')}) SELECT ${columns.map((_, i) => `c${i}`).join(',')} FROM pathlens_rows(${columns.length}, ?1)`,
    );
  }

  /** Writes one row through `put`; returns back-pressure when a batch was sent. */
  row<T>(put: (w: RowSink, v: T) => unknown, v: T): Promise<void> | null {
    put(this, v);
    if (++this.count >= this.batch) return this.send();
    return null;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  // two's complement 64-bit little-endian from two 32-bit halves
  private i64(lo: number, hi: number): void {
    const b = this.buf;
    let p = this.pos;
    b[p++] = 1;
    b[p++] = lo & 0xff;
    b[p++] = (lo >>> 8) & 0xff;
    b[p++] = (lo >>> 16) & 0xff;
    b[p++] = lo >>> 24;
    b[p++] = hi & 0xff;
    b[p++] = (hi >>> 8) & 0xff;
    b[p++] = (hi >>> 16) & 0xff;
    b[p++] = (hi >>> 24) & 0xff;
    this.pos = p;
  }

  int(v: number | null): boolean {
    this.room(9);
    if (v === null) {
      this.buf[this.pos++] = 0;
      return true;
    }
    if ((v | 0) === v) {
      // 32-bit values (most: ports, ids, lengths) in 5 bytes, tag 3
      const b = this.buf;
      const p = this.pos;
      b[p] = 3;
      b[p + 1] = v & 0xff;
      b[p + 2] = (v >>> 8) & 0xff;
      b[p + 3] = (v >>> 16) & 0xff;
      b[p + 4] = v >>> 24;
      this.pos = p + 5;
      return true;
    }
    if (!Number.isFinite(v)) {
      this.buf[this.pos++] = 0;
      return true;
    }
    v = Math.trunc(v);
    const hi = Math.floor(v / 4294967296);
    this.i64(v - hi * 4294967296, hi | 0);
    return true;
  }

  ns(sec: number, nsec: number): boolean {
    this.room(9);
    // sec·1e9 + nsec exactly (beyond 2^53): sec split at 16 bits keeps every product exact
    const sH = Math.floor(sec / 65536);
    const a = (sec - sH * 65536) * 1e9 + nsec;
    const b = sH * 1e9;
    const bHi = Math.floor(b / 65536);
    let lo = (a % 4294967296) + (b - bHi * 65536) * 65536;
    let hi = Math.floor(a / 4294967296) + bHi;
    if (lo >= 4294967296) {
      lo -= 4294967296;
      hi++;
    }
    this.i64(lo, hi | 0);
    return true;
  }

  text(v: string | null): boolean {
    if (v === null) {
      this.room(1);
      this.buf[this.pos++] = 0;
      return true;
    }
    const len = v.length;
    this.room(5 + len * 3);
    const b = this.buf;
    const p = this.pos;
    let n = 0;
    if (len <= 64) {
      // short ASCII text (addresses, names, states) byte by byte: cheaper than a native call
      while (n < len) {
        const c = v.charCodeAt(n);
        if (c > 0x7f) break;
        b[p + 5 + n++] = c;
      }
    }
    if (n < len) n = b.write(v, p + 5, 'utf8');
    b[p] = 2;
    b[p + 1] = n & 0xff;
    b[p + 2] = (n >>> 8) & 0xff;
    b[p + 3] = (n >>> 16) & 0xff;
    b[p + 4] = n >>> 24;
    this.pos = p + 5 + n;
    return true;
  }

  private send(): Promise<void> {
    // the batch runs once the one in flight is done: it takes a copy, the buffer is reused at once
    const blob = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.count = 0;
    return this.batches.send([blob]);
  }

  /** Waits for the batch in flight. */
  drain(): Promise<void> {
    return this.batches.drain();
  }

  /** Writes every buffered row and releases the statement. */
  async flush(): Promise<void> {
    if (this.count) void this.send();
    await this.batches.finish();
  }
}

/**
 * One table's rows through the fastest encoding the case file takes: binary batches when the
 * extension is loaded into `db`, else fixed-width batches, and SQL text for a row that does not fit them.
 * `put` writes a value's fields in column order (a module-level function: no closure per row).
 */
export class TableWriter<T> {
  private readonly bin: BinaryRowInserter | null;
  private readonly fixed: FixedRowInserter | null;
  private readonly sql: SqlRowInserter;

  constructor(
    db: Db,
    table: string,
    /** with widths for the fixed-width path; plain names when rows rarely fit one (long text) */
    columns: readonly FixedColumn[] | readonly string[],
    private readonly put: (w: RowSink, v: T) => boolean,
    verb: 'INSERT' | 'INSERT OR REPLACE' = 'INSERT',
  ) {
    const names = columns.map((c) => (typeof c === 'string' ? c : c.name));
    const widths = columns.filter((c): c is FixedColumn => typeof c !== 'string');
    this.bin = db.rowsExtension ? new BinaryRowInserter(db, table, names, 8000, verb) : null;
    this.fixed =
      db.rowsExtension || widths.length < names.length
        ? null
        : new FixedRowInserter(db, table, widths, 4000, verb);
    this.sql = new SqlRowInserter(db, table, names, 2000, verb);
  }

  /** Writes one row; returns back-pressure when a batch was sent. */
  row(v: T): Promise<void> | null {
    if (this.bin) return this.bin.row(this.put, v);
    if (this.fixed?.tryRow((w) => this.put(w, v))) return this.fixed.end();
    return this.sql.row((w) => this.put(w, v));
  }

  /** Waits for the batches in flight. */
  async drain(): Promise<void> {
    await this.bin?.drain();
    await this.fixed?.drain();
    await this.sql.drain();
  }

  /** Writes every buffered row. */
  async flush(): Promise<void> {
    await this.bin?.flush();
    await this.fixed?.flush();
    await this.sql.flush();
  }
}

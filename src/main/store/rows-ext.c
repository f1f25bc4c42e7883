/*
 * pathlens_rows: an SQLite table-valued function that cuts a batch of rows, encoded by
 * store/writer.ts, out of one BLOB. node-sqlite3 converts every bound value on its own and
 * SQL-side substr() decoding costs a few function calls per field; this reads each field once,
 * in C, so a bulk insert costs little more than SQLite's own record building.
 *
 *   INSERT INTO t (a, b, c) SELECT c0, c1, c2 FROM pathlens_rows(?1)
 *
 * Encoding, per row and per column in order, one tag byte then the value:
 *   0 NULL | 1 integer: 8 bytes little-endian two's complement | 2 text: u32 LE length, UTF-8 bytes
 *   | 3 integer: 4 bytes little-endian two's complement (most values: ports, ids, lengths)
 * A malformed blob ends the rows with SQLITE_CORRUPT (never reads past the blob).
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#include <stdio.h>
#include <string.h>

#define NCOLS 64

typedef struct {
  sqlite3_vtab base;
} RowsVtab;

typedef struct {
  sqlite3_vtab_cursor base;
  const unsigned char *data;
  int size;
  int pos;  /* start of the current row */
  int next; /* start of the next row */
  sqlite3_int64 rowid;
  int eof;
  int ncol;
  int at[NCOLS]; /* offset of each field's tag in the current row */
} RowsCursor;

static int rowsConnect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                       char **err) {
  (void)aux;
  (void)argc;
  (void)argv;
  (void)err;
  /* CREATE TABLE x(c0, …, c63, ncol HIDDEN, data HIDDEN) */
  char decl[16 * NCOLS + 64];
  int n = snprintf(decl, sizeof decl, "CREATE TABLE x(");
  for (int i = 0; i < NCOLS; i++) n += snprintf(decl + n, sizeof decl - n, "c%d,", i);
  snprintf(decl + n, sizeof decl - n, "ncol HIDDEN, data HIDDEN)");
  int rc = sqlite3_declare_vtab(db, decl);
  if (rc != SQLITE_OK) return rc;
  RowsVtab *v = sqlite3_malloc(sizeof(RowsVtab));
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  *out = &v->base;
  return SQLITE_OK;
}

static int rowsDisconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

static int rowsOpen(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  (void)v;
  RowsCursor *c = sqlite3_malloc(sizeof(RowsCursor));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *out = &c->base;
  return SQLITE_OK;
}

static int rowsClose(sqlite3_vtab_cursor *c) {
  sqlite3_free(c);
  return SQLITE_OK;
}

/* Locates the fields of the row at c->pos; 0 when it is whole. */
static int scanRow(RowsCursor *c) {
  int p = c->pos;
  for (int i = 0; i < c->ncol; i++) {
    if (p >= c->size) return 1;
    c->at[i] = p;
    unsigned char tag = c->data[p++];
    if (tag == 1) p += 8;
    else if (tag == 3) p += 4;
    else if (tag == 2) {
      if (p + 4 > c->size) return 1;
      unsigned int n = (unsigned int)c->data[p] | ((unsigned int)c->data[p + 1] << 8) |
                       ((unsigned int)c->data[p + 2] << 16) | ((unsigned int)c->data[p + 3] << 24);
      p += 4;
      if (n > (unsigned int)(c->size - p)) return 1;
      p += (int)n;
    } else if (tag != 0) return 1;
  }
  if (p > c->size) return 1;
  c->next = p;
  return 0;
}

static int rowsNext(sqlite3_vtab_cursor *cur) {
  RowsCursor *c = (RowsCursor *)cur;
  c->pos = c->next;
  c->rowid++;
  if (c->pos >= c->size) {
    c->eof = 1;
    return SQLITE_OK;
  }
  return scanRow(c) ? SQLITE_CORRUPT : SQLITE_OK;
}

static int rowsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  RowsCursor *c = (RowsCursor *)cur;
  c->eof = 1;
  c->rowid = 0;
  if (argc < 2) return SQLITE_OK;
  c->ncol = sqlite3_value_int(argv[0]);
  if (c->ncol < 1 || c->ncol > NCOLS) return SQLITE_ERROR;
  c->data = sqlite3_value_blob(argv[1]);
  c->size = sqlite3_value_bytes(argv[1]);
  c->pos = 0;
  if (!c->data || c->size == 0) return SQLITE_OK;
  c->eof = 0;
  return scanRow(c) ? SQLITE_CORRUPT : SQLITE_OK;
}

static int rowsEof(sqlite3_vtab_cursor *cur) { return ((RowsCursor *)cur)->eof; }

static int rowsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  RowsCursor *c = (RowsCursor *)cur;
  if (i >= c->ncol) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  const unsigned char *p = c->data + c->at[i];
  if (p[0] == 1) {
    sqlite3_uint64 v = 0;
    for (int k = 7; k >= 0; k--) v = (v << 8) | p[1 + k];
    sqlite3_result_int64(ctx, (sqlite3_int64)v);
  } else if (p[0] == 3) {
    unsigned int u = (unsigned int)p[1] | ((unsigned int)p[2] << 8) | ((unsigned int)p[3] << 16) |
                     ((unsigned int)p[4] << 24);
    sqlite3_result_int64(ctx, (sqlite3_int64)(int)u);
  } else if (p[0] == 2) {
    int n = (int)((unsigned int)p[1] | ((unsigned int)p[2] << 8) | ((unsigned int)p[3] << 16) |
                  ((unsigned int)p[4] << 24));
    sqlite3_result_text(ctx, (const char *)p + 5, n, SQLITE_TRANSIENT);
  } else sqlite3_result_null(ctx);
  return SQLITE_OK;
}

static int rowsRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *out) {
  *out = ((RowsCursor *)cur)->rowid;
  return SQLITE_OK;
}

/* Both hidden arguments must be given as equality constraints. */
static int rowsBestIndex(sqlite3_vtab *v, sqlite3_index_info *info) {
  (void)v;
  int ncolArg = -1, dataArg = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    if (!k->usable || k->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (k->iColumn == NCOLS) ncolArg = i;
    if (k->iColumn == NCOLS + 1) dataArg = i;
  }
  if (ncolArg < 0 || dataArg < 0) return SQLITE_CONSTRAINT;
  info->aConstraintUsage[ncolArg].argvIndex = 1;
  info->aConstraintUsage[ncolArg].omit = 1;
  info->aConstraintUsage[dataArg].argvIndex = 2;
  info->aConstraintUsage[dataArg].omit = 1;
  info->estimatedCost = 1000;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static sqlite3_module rowsModule = {
    0,              /* iVersion */
    0,              /* xCreate: eponymous only */
    rowsConnect,    /* xConnect */
    rowsBestIndex,  /* xBestIndex */
    rowsDisconnect, /* xDisconnect */
    0,              /* xDestroy */
    rowsOpen,       /* xOpen */
    rowsClose,      /* xClose */
    rowsFilter,     /* xFilter */
    rowsNext,       /* xNext */
    rowsEof,        /* xEof */
    rowsColumn,     /* xColumn */
    rowsRowid,      /* xRowid */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_pathlensrows_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_module(db, "pathlens_rows", &rowsModule, 0);
}

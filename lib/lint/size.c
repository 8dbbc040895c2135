/* Size grading (with a live database): a lock on a table of a few pages is
 * over before anyone notices; on a table of gigabytes it is an outage. Each
 * locking finding gets the table's real size, and its severity drops one
 * level when the table is small, to info when it does not exist yet (it is
 * created by a pending migration, so it is empty when this one runs). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

#define SMALL_TABLE_BYTES (1024 * 1024)

static const char *const graded[] = {
    "index-not-concurrent", "add-column-volatile-default", "add-column-rewrite-type",
    "set-not-null", "fk-without-not-valid", "check-without-not-valid", "unique-constraint-direct",
    "alter-column-type", "unbatched-dml", "table-rewrite-maintenance",
};

static bool is_graded(const char *rule)
{
    for (size_t i = 0; i < sizeof graded / sizeof graded[0]; i++)
        if (strcmp(graded[i], rule) == 0)
            return true;
    return false;
}

typedef struct table_size {
    bool exists;
    int64_t rows;   /* -1: never analyzed */
    int64_t bytes;
} table_size;

static bool query_size(strata *s, const char *table, table_size *out)
{
    const char *params[1] = {table};
    PGresult *r = PQexecParams(s->conn,
                               "SELECT c.reltuples::bigint, pg_total_relation_size(c.oid) "
                               "FROM pg_class c WHERE c.oid = to_regclass($1)",
                               1, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (ok) {
        out->exists = PQntuples(r) == 1;
        out->rows = out->exists ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
        out->bytes = out->exists ? strtoll(PQgetvalue(r, 0, 1), NULL, 10) : 0;
    }
    PQclear(r);
    return ok;
}

/* Adds " (note)" to the finding's message; the note is built whole, never
 * cut (a long quoted name cut short could split a UTF-8 character). */
static void append(strata_lint_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(strata_lint_finding *f, const char *fmt, ...)
{
    sbuf b;
    va_list ap;
    sbuf_init(&b);
    sbuf_printf(&b, "%s (", f->message);
    va_start(ap, fmt);
    sbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    sbuf_puts(&b, ")");
    char *m = sbuf_take(&b);
    if (m) {
        free((char *)f->message);
        f->message = m;
    }
}

/* One query per table, however many findings name it. */
static bool size_of(strata *s, char *const *tables, table_size *sizes, bool *known, size_t i)
{
    for (size_t k = 0; k < i; k++) {
        if (known[k] && tables[k] && strcmp(tables[k], tables[i]) == 0) {
            sizes[i] = sizes[k];
            return known[i] = true;
        }
    }
    return known[i] = query_size(s, tables[i], &sizes[i]);
}

void lint_grade_by_size(strata *s, strata_lint_finding *items, char *const *tables, size_t n)
{
    table_size *sizes = calloc(n ? n : 1, sizeof *sizes);
    bool *known = calloc(n ? n : 1, sizeof *known);
    for (size_t i = 0; sizes && known && i < n; i++) {
        strata_lint_finding *f = &items[i];
        if (!tables[i] || !is_graded(f->rule) || !size_of(s, tables, sizes, known, i))
            continue;
        table_size ts = sizes[i];
        if (!ts.exists) {
            append(f, "%s is not in the database yet: empty when this runs", tables[i]);
            f->severity = STRATA_SEVERITY_INFO;
        } else {
            char rows[48] = "rows not counted yet";
            if (ts.rows >= 0)
                snprintf(rows, sizeof rows, "~%lld rows", (long long)ts.rows);
            append(f, "%s: %s, %.1f MB%s", tables[i], rows, (double)ts.bytes / (1024.0 * 1024.0),
                   ts.bytes < SMALL_TABLE_BYTES ? "; small table, the lock is brief" : "");
            if (ts.bytes < SMALL_TABLE_BYTES && f->severity > STRATA_SEVERITY_INFO)
                f->severity--;
        }
    }
    free(sizes);
    free(known);
}

/* Resuming a no-transaction migration after its file was fixed. Statement
 * numbers alone are not enough: an edit above the failed statement shifts
 * them, and a resume would re-run finished work and skip new work. So each
 * finished statement's hash goes into the history row with its progress,
 * and a resume first checks that the finished prefix is unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resume.h"

#define HASH_HEX 16

char *resume_hashes(const char *sql, const stmt_list *sl)
{
    static const char digits[] = "0123456789abcdef";
    sbuf b;
    sbuf_init(&b);
    for (int32_t i = 0; i < sl->n; i++) {
        unsigned char sum[32];
        char hex[HASH_HEX + 2];
        char *t = xstrndup(sql + sl->items[i].offset, (size_t)sl->items[i].len);
        if (!t || checksum_sql(sum, t)) {
            free(t);
            sbuf_free(&b);
            return NULL;
        }
        free(t);
        for (int k = 0; k < HASH_HEX / 2; k++) {
            hex[2 * k] = digits[sum[k] >> 4];
            hex[2 * k + 1] = digits[sum[k] & 15];
        }
        hex[HASH_HEX] = i + 1 < sl->n ? ',' : '\0';
        hex[HASH_HEX + 1] = '\0';
        sbuf_puts(&b, hex);
    }
    if (!b.data && !b.oom)
        return xstrdup("");
    return sbuf_take(&b);
}

static int column_query(strata *s, const char *fmt, PGresult **out)
{
    char *q = history_qualified(s), *lit = q ? pg_literal(s, q) : NULL;
    sbuf b;
    int res;
    sbuf_init(&b);
    if (lit)
        sbuf_printf(&b, fmt, lit);
    res = !lit || b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, out);
    sbuf_free(&b);
    free(lit);
    free(q);
    return res;
}

int resume_prepare_table(strata *s)
{
    PGresult *r = NULL;
    int res = column_query(s, "SELECT count(*) FROM pg_attribute WHERE attrelid = "
                              "to_regclass(%s) AND attname = 'done_hashes' AND NOT attisdropped",
                           &r);
    bool has = res == STRATA_OK && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "1") == 0;
    PQclear(r);
    if (res || has)
        return res;
    char *q = history_qualified(s);
    sbuf b;
    sbuf_init(&b);
    if (q)
        sbuf_printf(&b, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS done_hashes text", q);
    res = !q || b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, NULL);
    sbuf_free(&b);
    free(q);
    return res;
}

static int32_t line_of(const migration *m, int32_t offset)
{
    int32_t line = m->up_line > 0 ? m->up_line : 1;
    for (int32_t k = 0; k < offset && m->up_sql[k]; k++)
        line += m->up_sql[k] == '\n';
    return line;
}

static int refuse(strata *s, const migration *m, const stmt_list *sl, int32_t i, int32_t done)
{
    const char *what = i < sl->n ? "changed since it ran" : "is gone";
    int32_t at = i < sl->n ? line_of(m, sl->items[i].offset) : line_of(m, (int32_t)strlen(m->up_sql));
    return set_error(s, STRATA_ECHECKSUM,
                     "%s:%d: statement %d %s, but %d statement(s) had completed before the "
                     "failure: resuming would run the wrong statements. Keep statements 1 to %d "
                     "as they ran and fix only what follows, or resolve it by hand with "
                     "`strata force %lld --applied` or `--pending`",
                     m->source, (int)at, (int)i + 1, what, (int)done, (int)done,
                     (long long)m->version);
}

int resume_check(strata *s, const migration *m, const stmt_list *sl, const char *hashes,
                 int32_t done)
{
    PGresult *r = NULL;
    int res;
    if (done <= 0)
        return STRATA_OK;
    char *q = history_qualified(s);
    sbuf b;
    sbuf_init(&b);
    if (q)
        sbuf_printf(&b, "SELECT done_hashes, encode(checksum, 'hex') FROM %s WHERE version = %lld",
                    q, (long long)m->version);
    free(q);
    res = b.oom || !b.data ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, &r);
    sbuf_free(&b);
    if (res)
        return res;
    const char *ran = PQntuples(r) && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : NULL;
    if (!ran) {
        /* a row written before hashes were kept: only an unchanged file is safe */
        static const char digits[] = "0123456789abcdef";
        char hex[65];
        for (int i = 0; i < 32; i++) {
            hex[2 * i] = digits[m->checksum[i] >> 4];
            hex[2 * i + 1] = digits[m->checksum[i] & 15];
        }
        hex[64] = '\0';
        bool same = PQntuples(r) && strcmp(PQgetvalue(r, 0, 1), hex) == 0;
        PQclear(r);
        return same ? STRATA_OK
                    : set_error(s, STRATA_ECHECKSUM,
                                "%s: the file changed since statement %d failed, and this "
                                "history row does not record which statements ran: restore "
                                "the file as it was to resume, or resolve it by hand with "
                                "`strata force %lld --applied` or `--pending`",
                                m->source, (int)done + 1, (long long)m->version);
    }
    for (int32_t i = 0; res == STRATA_OK && i < done; i++) {
        size_t at = (size_t)i * (HASH_HEX + 1);
        if (i >= sl->n || strlen(ran) < at + HASH_HEX || strlen(hashes) < at + HASH_HEX ||
            memcmp(ran + at, hashes + at, HASH_HEX) != 0)
            res = refuse(s, m, sl, i, done);
    }
    PQclear(r);
    return res;
}

char *regclass_literal(strata *s, const char *schema, const char *rel)
{
    char *qs = schema ? pg_ident(s, schema) : NULL, *qr = pg_ident(s, rel), *lit = NULL;
    sbuf name;
    sbuf_init(&name);
    if (qs)
        sbuf_printf(&name, "%s.", qs);
    sbuf_puts(&name, qr ? qr : "");
    if (qr && (qs || !schema) && !name.oom)
        lit = pg_literal(s, name.data);
    sbuf_free(&name);
    free(qs);
    free(qr);
    return lit;
}

/* The index a CREATE INDEX CONCURRENTLY @stmt names, as the catalog has it:
 * 1 valid, 0 INVALID (with its quoted name in *@name), -1 absent or not
 * such a statement. */
static int index_state(strata *s, const char *stmt, char **name)
{
    char *schema = NULL, *rel = NULL, *idx = NULL, *lrel = NULL, *lidx = NULL;
    int state = -1;
    if (parse_index_concurrently(stmt, &schema, &rel, &idx) && idx) {
        lrel = regclass_literal(s, schema, rel);
        lidx = pg_literal(s, idx);
    }
    if (lrel && lidx) {
        PGresult *r = NULL;
        sbuf q;
        sbuf_init(&q);
        sbuf_printf(&q, "SELECT i.indisvalid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
                        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE i.indrelid = to_regclass(%s) AND c.relname = %s",
                    lrel, lidx);
        if (!q.oom && pg_simple_quiet(s, q.data, &r) == STRATA_OK && PQntuples(r) == 1) {
            state = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
            if (!state && name)
                *name = xstrdup(PQgetvalue(r, 0, 1));
        }
        PQclear(r);
        sbuf_free(&q);
    }
    free(lrel);
    free(lidx);
    free(schema);
    free(rel);
    free(idx);
    return state;
}

bool resume_statement_done(strata *s, const char *stmt)
{
    return index_state(s, stmt, NULL) == 1;
}

int resume_drop_invalid_index(strata *s, const migration *m, const char *stmt)
{
    char *name = NULL;
    int res = STRATA_OK;
    if (index_state(s, stmt, &name) != 0 || !name)
        return STRATA_OK;
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "the interrupted statement left the INVALID index %s: dropping it "
                    "(DROP INDEX CONCURRENTLY) before running the statement again", name);
    emit(s, STRATA_EVENT_WARNING, m, b.data);
    sbuf_free(&b);
    sbuf_init(&b);
    sbuf_printf(&b, "DROP INDEX CONCURRENTLY IF EXISTS %s", name);
    res = b.oom ? set_error(s, STRATA_ENOMEM, "out of memory") : pg_simple(s, b.data, NULL);
    sbuf_free(&b);
    free(name);
    return res;
}

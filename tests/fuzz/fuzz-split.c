/* Fuzz target: the no-transaction splitter (libpg_query's splitter plus
 * the token scan that drops comment-only statements), and the two parse
 * helpers the no-transaction runner calls on each statement. Properties:
 * spans lie inside the text, in order, never overlap, and start on a token
 * (not on blank space). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

static void check_spans(const stmt_list *l, const char *sql)
{
    int32_t n = (int32_t)strlen(sql), prev_end = 0;
    for (int32_t i = 0; i < l->n; i++) {
        const stmt_span *sp = &l->items[i];
        if (sp->offset < prev_end || sp->len <= 0 || sp->offset + sp->len > n)
            fz_fail("span %d [%d,+%d) outside [%d,%d)", i, sp->offset, sp->len, prev_end, n);
        char c = sql[sp->offset];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';')
            fz_fail("span %d starts on %#x", i, (unsigned)c);
        prev_end = sp->offset + sp->len;
    }
}

static void each_statement(const stmt_list *l, const char *sql)
{
    for (int32_t i = 0; i < l->n && i < 16; i++) {
        char *st = strndup(sql + l->items[i].offset, (size_t)l->items[i].len);
        char *schema = NULL, *rel = NULL, *idx = NULL;
        if (!st)
            fz_fail("out of memory");
        if (parse_index_concurrently(st, &schema, &rel, &idx) && !rel)
            fz_fail("index statement without a relation");
        free(schema);
        free(rel);
        free(idx);
        free(st);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = fz_cstr(data, size);
    stmt_list l = {0};
    sbuf err;
    int32_t off = -2;
    sbuf_init(&err);
    int rc = split_sql(&l, sql, &err, &off);
    if (rc == STRATA_OK) {
        check_spans(&l, sql);
        each_statement(&l, sql);
        stmt_list_free(&l);
    } else if (rc == STRATA_EPARSE) {
        if (!err.data || off < -1 || off > (int32_t)strlen(sql))
            fz_fail("split error without message or with offset %d", off);
    } else if (rc != STRATA_ENOMEM) {
        fz_fail("split_sql returned %d", rc);
    }
    (void)sql_has_transaction_control(sql);
    sbuf_free(&err);
    free(sql);
    return 0;
}

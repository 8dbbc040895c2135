/* Statement splitting for no-transaction migrations, on PostgreSQL's own
 * parser (libpg_query): dollar quotes, comments holding semicolons, DO
 * blocks and BEGIN ATOMIC bodies are handled by the grammar, not guessed. */
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sqlcheck.h"

void stmt_list_free(stmt_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

typedef struct tokens {
    PgQuery__ScanResult *scan;
} tokens;

static bool is_comment(const PgQuery__ScanToken *t)
{
    return t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT;
}

/* The first real token in [loc, loc+len): statements start after the
 * previous semicolon, so the span begins with blanks and comments. */
static bool first_token(const PgQuery__ScanResult *scan, int32_t loc, int32_t len, int32_t *start)
{
    for (size_t i = 0; scan && i < scan->n_tokens; i++) {
        const PgQuery__ScanToken *t = scan->tokens[i];
        if (t->start < loc || is_comment(t))
            continue;
        if (t->start >= loc + len)
            return false;
        if (t->token == PG_QUERY__TOKEN__ASCII_59)
            return false;
        *start = t->start;
        return true;
    }
    return false;
}

static PgQuery__ScanResult *scan_tokens(const char *sql)
{
    PgQueryScanResult r = pg_query_scan(sql);
    PgQuery__ScanResult *scan = NULL;
    if (!r.error)
        scan = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    pg_query_free_scan_result(r);
    return scan;
}

/* Byte offset of the line containing the error, and whether it is a psql
 * meta-command (backslash first on the line). */
static bool meta_command_at(const char *sql, int cursorpos, int32_t *line_off)
{
    size_t n = strlen(sql), off = 0;
    long chars = cursorpos > 0 ? cursorpos - 1 : 0;
    while (off < n && chars > 0) {
        off++;
        while (off < n && (sql[off] & 0xC0) == 0x80)
            off++;
        chars--;
    }
    size_t ls = off;
    while (ls > 0 && sql[ls - 1] != '\n')
        ls--;
    size_t p = ls;
    while (p < n && (sql[p] == ' ' || sql[p] == '\t'))
        p++;
    *line_off = (int32_t)ls;
    return p < n && sql[p] == '\\';
}

int split_sql(stmt_list *out, const char *sql, sbuf *err, int32_t *err_offset)
{
    PgQuerySplitResult r = pg_query_split_with_parser(sql);
    stmt_list l = {NULL, 0, false};
    PgQuery__ScanResult *scan;
    if (r.error) {
        int32_t off;
        if (meta_command_at(sql, r.error->cursorpos, &off)) {
            sbuf_puts(err, "psql meta-command (backslash command) in a migration: strata sends "
                           "SQL to the server, not to psql; remove the line or replace it with SQL");
            *err_offset = off;
            pg_query_free_split_result(r);
            return STRATA_EPARSE;
        }
        /* grammar newer than the library: the scanner still finds ';' */
        pg_query_free_split_result(r);
        r = pg_query_split_with_scanner(sql);
        l.scanner_fallback = true;
        if (r.error) {
            sbuf_printf(err, "cannot split into statements: %s", r.error->message);
            *err_offset = -1;
            pg_query_free_split_result(r);
            return STRATA_EPARSE;
        }
    }
    scan = scan_tokens(sql);
    l.items = calloc((size_t)(r.n_stmts ? r.n_stmts : 1), sizeof *l.items);
    if (!l.items) {
        pg_query_free_split_result(r);
        if (scan)
            pg_query__scan_result__free_unpacked(scan, NULL);
        return STRATA_ENOMEM;
    }
    for (int i = 0; i < r.n_stmts; i++) {
        int32_t loc = r.stmts[i]->stmt_location, len = r.stmts[i]->stmt_len, start = loc;
        if (len == 0)
            len = (int32_t)strlen(sql) - loc; /* last statement: to the end */
        if (scan && !first_token(scan, loc, len, &start))
            continue; /* only comments or an empty statement */
        l.items[l.n].offset = start;
        l.items[l.n].len = len - (start - loc);
        l.n++;
    }
    if (scan)
        pg_query__scan_result__free_unpacked(scan, NULL);
    pg_query_free_split_result(r);
    *out = l;
    return STRATA_OK;
}

bool sql_has_transaction_control(const char *sql)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    bool found = false;
    if (!r.error) {
        PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
            NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
        for (size_t i = 0; pr && i < pr->n_stmts; i++) {
            const PgQuery__Node *n = pr->stmts[i]->stmt;
            if (n && n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT)
                found = true;
        }
        if (pr)
            pg_query__parse_result__free_unpacked(pr, NULL);
    }
    pg_query_free_protobuf_parse_result(r);
    return found;
}

bool parse_index_concurrently(const char *stmt, char **schema, char **relname, char **idxname)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(stmt);
    bool found = false;
    if (!r.error) {
        PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
            NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
        if (pr && pr->n_stmts == 1 && pr->stmts[0]->stmt &&
            pr->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
            const PgQuery__IndexStmt *ix = pr->stmts[0]->stmt->index_stmt;
            if (ix->concurrent && ix->relation) {
                const char *sc = ix->relation->schemaname;
                *schema = sc && *sc ? xstrdup(sc) : NULL;
                *relname = xstrdup(ix->relation->relname);
                *idxname = ix->idxname && *ix->idxname ? xstrdup(ix->idxname) : NULL;
                found = *relname != NULL;
            }
        }
        if (pr)
            pg_query__parse_result__free_unpacked(pr, NULL);
    }
    pg_query_free_protobuf_parse_result(r);
    return found;
}

/* The scanner's view: no token but comments means no statement. */
bool sql_holds_no_statement(const char *sql, char **first_comment)
{
    PgQuery__ScanResult *scan = scan_tokens(sql);
    bool empty = true;
    if (first_comment)
        *first_comment = NULL;
    if (!scan)
        return false; /* unreadable: let the runner and the server judge it */
    for (size_t i = 0; i < scan->n_tokens; i++) {
        const PgQuery__ScanToken *t = scan->tokens[i];
        if (!is_comment(t) && t->token != PG_QUERY__TOKEN__ASCII_59) {
            empty = false;
        } else if (is_comment(t) && first_comment && !*first_comment) {
            /* the comment's text, without its markers, up to the line end */
            const char *p = sql + t->start + 2, *e = sql + t->end;
            if (t->token == PG_QUERY__TOKEN__C_COMMENT && e - p >= 2)
                e -= 2;
            while (p < e && (*p == ' ' || *p == '\t'))
                p++;
            const char *nl = p < e ? memchr(p, '\n', (size_t)(e - p)) : NULL;
            if (nl)
                e = nl;
            while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
            *first_comment = xstrndup(p, (size_t)(e - p));
        }
    }
    pg_query__scan_result__free_unpacked(scan, NULL);
    if (!empty && first_comment) {
        free(*first_comment);
        *first_comment = NULL;
    }
    return empty;
}

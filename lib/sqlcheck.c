/* Checks on a migration's parse tree, run for the whole plan before the
 * lock is taken: what would hang the connection (COPY with the client) or
 * record a migration that did not happen (a BEGIN that is never committed)
 * is refused with its file and line instead. */
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlcheck.h"

typedef struct check_state {
    strata *s;
    const char *sql, *source;
    int32_t first_line;
    PgQuery__ScanResult *scan;
    int depth;            /* open self-managed transactions */
    int32_t begin_line;   /* line of the BEGIN that opened it */
    sql_facts facts;
} check_state;

/* File line of the first real token at or after byte @loc (a statement's
 * location points just past the previous ';', blanks and comments included). */
static int32_t line_at(const check_state *c, int32_t loc)
{
    int32_t start = loc, line = c->first_line;
    for (size_t i = 0; c->scan && i < c->scan->n_tokens; i++) {
        const PgQuery__ScanToken *t = c->scan->tokens[i];
        if (t->start >= loc && t->token != PG_QUERY__TOKEN__SQL_COMMENT &&
            t->token != PG_QUERY__TOKEN__C_COMMENT) {
            start = t->start;
            break;
        }
    }
    for (int32_t k = 0; k < start && c->sql[k]; k++)
        line += c->sql[k] == '\n';
    return line;
}

static int refuse(check_state *c, int32_t loc, const char *what)
{
    return set_error(c->s, STRATA_EPARSE, "%s:%d: %s", c->source, (int)line_at(c, loc), what);
}

static int check_copy(check_state *c, const PgQuery__CopyStmt *cp, int32_t loc)
{
    if (cp->is_program || (cp->filename && *cp->filename))
        return STRATA_OK; /* a file or program on the server: no client data */
    return refuse(c, loc, cp->is_from
                  ? "COPY ... FROM STDIN needs rows sent by the client, which strata does not "
                    "send: load them with INSERT, or COPY from a file on the server"
                  : "COPY ... TO STDOUT sends rows to the client, where a migration has no "
                    "use for them: remove the statement");
}

static int check_transaction(check_state *c, const PgQuery__TransactionStmt *t, int32_t loc)
{
    c->facts.tx_control = true;
    switch (t->kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
        if (c->depth > 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "BEGIN inside the transaction opened at line %d: "
                     "COMMIT that one first", (int)c->begin_line);
            return refuse(c, loc, msg);
        }
        c->depth = 1;
        c->begin_line = line_at(c, loc);
        return STRATA_OK;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
        if (c->depth == 0)
            return refuse(c, loc, "COMMIT or ROLLBACK with no BEGIN before it: add the BEGIN, "
                                  "or remove both and let strata wrap the migration in its "
                                  "own transaction");
        if (!t->chain) /* AND CHAIN opens the next one at once */
            c->depth = 0;
        return STRATA_OK;
    default:
        return STRATA_OK; /* savepoints: the server checks them */
    }
}

static int check_tree(check_state *c, const PgQuery__ParseResult *pr, int32_t base)
{
    int res = STRATA_OK;
    for (size_t i = 0; res == STRATA_OK && i < pr->n_stmts; i++) {
        const PgQuery__Node *n = pr->stmts[i]->stmt;
        int32_t loc = base + pr->stmts[i]->stmt_location;
        if (!n)
            continue;
        if (n->node_case == PG_QUERY__NODE__NODE_COPY_STMT)
            res = check_copy(c, n->copy_stmt, loc);
        else if (n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT)
            res = check_transaction(c, n->transaction_stmt, loc);
    }
    return res;
}

static int check_text(check_state *c, const char *text, int32_t base, bool *parsed)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
    int res = STRATA_OK;
    *parsed = !r.error;
    if (!r.error) {
        PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
            NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
        if (pr) {
            res = check_tree(c, pr, base);
            pg_query__parse_result__free_unpacked(pr, NULL);
        }
    }
    pg_query_free_protobuf_parse_result(r);
    return res;
}

/* The whole text did not parse (newer grammar, or data lines after a COPY):
 * check each statement the scanner finds on its own. */
static int check_pieces(check_state *c)
{
    PgQuerySplitResult r = pg_query_split_with_scanner(c->sql);
    int res = STRATA_OK;
    for (int i = 0; !r.error && res == STRATA_OK && i < r.n_stmts; i++) {
        int32_t loc = r.stmts[i]->stmt_location, len = r.stmts[i]->stmt_len;
        char *piece = len > 0 ? xstrndup(c->sql + loc, (size_t)len) : xstrdup(c->sql + loc);
        bool parsed;
        if (!piece) {
            res = set_error(c->s, STRATA_ENOMEM, "out of memory");
            break;
        }
        res = check_text(c, piece, loc, &parsed);
        free(piece);
    }
    pg_query_free_split_result(r);
    return res;
}

static PgQuery__ScanResult *scan_of(const char *sql)
{
    PgQueryScanResult r = pg_query_scan(sql);
    PgQuery__ScanResult *scan = NULL;
    if (!r.error)
        scan = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    pg_query_free_scan_result(r);
    return scan;
}

int sql_precheck(strata *s, const char *sql, const char *source, int32_t first_line,
                 sql_facts *facts)
{
    check_state c = {s, sql, source, first_line > 0 ? first_line : 1, NULL, 0, 0, {false}};
    bool parsed;
    int res;
    c.scan = scan_of(sql);
    res = check_text(&c, sql, 0, &parsed);
    if (res == STRATA_OK && !parsed)
        res = check_pieces(&c);
    if (res == STRATA_OK && c.depth > 0) {
        res = set_error(s, STRATA_EPARSE,
                        "%s:%d: BEGIN with no COMMIT after it: the open transaction would be "
                        "rolled back when the migration ends, and the migration recorded as "
                        "applied all the same; add the COMMIT",
                        source, (int)c.begin_line);
    }
    if (c.scan)
        pg_query__scan_result__free_unpacked(c.scan, NULL);
    if (res == STRATA_OK && facts)
        *facts = c.facts;
    return res;
}

bool dml_target(const char *sql, char **schema, char **rel)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    bool found = false;
    *schema = *rel = NULL;
    if (!r.error) {
        PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
            NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
        const PgQuery__Node *n = pr && pr->n_stmts == 1 ? pr->stmts[0]->stmt : NULL;
        const PgQuery__RangeVar *rv = NULL;
        if (n && n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
            rv = n->update_stmt->relation;
        else if (n && n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
            rv = n->delete_stmt->relation;
        if (rv && rv->relname) {
            *schema = rv->schemaname && *rv->schemaname ? xstrdup(rv->schemaname) : NULL;
            *rel = xstrdup(rv->relname);
            found = *rel != NULL;
        }
        if (pr)
            pg_query__parse_result__free_unpacked(pr, NULL);
    }
    pg_query_free_protobuf_parse_result(r);
    return found;
}

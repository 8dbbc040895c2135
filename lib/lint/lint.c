/* The linter's driver: parses each migration with libpg_query, hands every
 * statement to the rules, maps byte offsets to file:line:col, applies
 * strata:allow suppressions and reports what could not be parsed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "rules.h"
#include "size.h"

struct strata_lint_report {
    strata_lint_finding *items;
    char **tables; /* per finding, for size grading; freed before sorting */
    size_t n, cap;
};

void strvec_add(strvec *v, const char *s)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        char **p = realloc(v->items, cap * sizeof *p);
        v->oom |= !p;
        if (!p)
            return;
        v->items = p;
        v->cap = cap;
    }
    char *c = xstrdup(s);
    v->oom |= !c;
    if (c)
        v->items[v->n++] = c;
}

bool strvec_has(const strvec *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->items[i], s) == 0)
            return true;
    return false;
}

void strvec_free(strvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

STRATA_EXPORT size_t strata_lint_count(const strata_lint_report *r)
{
    return r ? r->n : 0;
}

STRATA_EXPORT const strata_lint_finding *strata_lint_get(const strata_lint_report *r, size_t index)
{
    return r && index < r->n ? &r->items[index] : NULL;
}

STRATA_EXPORT void strata_lint_report_free(strata_lint_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->items[i].message);
        free((char *)r->items[i].file);
    }
    free(r->items);
    free(r);
}

static void position(const lint_ctx *c, int32_t at, int32_t *line, int32_t *col)
{
    int32_t l = c->m->up_line, k = 1;
    for (int32_t i = 0; i < at && c->sql[i]; i++) {
        if (c->sql[i] == '\n') {
            l++;
            k = 1;
        } else if ((c->sql[i] & 0xC0) != 0x80) {
            k++;
        }
    }
    *line = l;
    *col = k;
}

void lint_set_table(lint_ctx *c, const PgQuery__RangeVar *rv)
{
    free(c->table);
    c->table = rv ? lint_relname(rv) : NULL;
    c->mem->oom |= rv && !c->table;
}

int32_t lint_line(const lint_ctx *c, int32_t at)
{
    int32_t line, col;
    position(c, at, &line, &col);
    return line;
}

static bool suppressed(lint_ctx *c, const char *rule)
{
    for (size_t i = 0; i < c->allow.n; i++) {
        if (strcmp(c->allow.items[i], rule) == 0) {
            c->allow_used[i] = true;
            return true;
        }
    }
    return false;
}

static void push(lint_ctx *c, const rule_info *ri, int32_t line, int32_t col, char *msg)
{
    strata_lint_report *r = c->rep;
    c->mem->oom |= !msg;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        strata_lint_finding *p = realloc(r->items, cap * sizeof *p);
        char **tp = p ? realloc(r->tables, cap * sizeof *tp) : NULL;
        if (p)
            r->items = p;
        if (!tp) {
            free(msg);
            c->mem->oom = true;
            return;
        }
        r->tables = tp;
        r->cap = cap;
    }
    r->tables[r->n] = c->table ? xstrdup(c->table) : NULL;
    strata_lint_finding *f = &r->items[r->n++];
    memset(f, 0, sizeof *f);
    f->version = c->m->version;
    f->file = xstrdup(c->m->source);
    c->mem->oom |= !f->file || (c->table && !r->tables[r->n - 1]);
    f->line = line;
    f->column = col;
    f->rule = ri->id;
    f->message = msg;
    f->fix = ri->fix;
    f->severity = ri->severity;
}

void lint_add(lint_ctx *c, const char *rule, int32_t at, const char *fmt, ...)
{
    const rule_info *ri = lint_rule(rule);
    sbuf b;
    va_list ap;
    int32_t line, col;
    if (c->silent || !ri || suppressed(c, rule))
        return;
    sbuf_init(&b);
    va_start(ap, fmt);
    sbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    sbuf_printf(&b, ": %s", ri->why);
    position(c, at < 0 ? c->stmt_at : at, &line, &col);
    push(c, ri, line, col, sbuf_take(&b));
}

/* The first real token at or after @loc: RawStmt locations start right
 * after the previous semicolon, blanks and comments included. */
static int32_t stmt_start(const lint_ctx *c, int32_t loc)
{
    for (size_t i = 0; c->scan && i < c->scan->n_tokens; i++) {
        const PgQuery__ScanToken *t = c->scan->tokens[i];
        if (t->start >= loc && t->token != PG_QUERY__TOKEN__SQL_COMMENT &&
            t->token != PG_QUERY__TOKEN__C_COMMENT)
            return t->start;
    }
    return loc;
}

static PgQuery__ParseResult *parse(const char *sql, int32_t *err_at)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    PgQuery__ParseResult *pr = NULL;
    if (r.error)
        *err_at = r.error->cursorpos > 0 ? r.error->cursorpos - 1 : 0;
    else
        pr = pg_query__parse_result__unpack(NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
    pg_query_free_protobuf_parse_result(r);
    return pr;
}

static void lint_parsed(lint_ctx *c, const PgQuery__ParseResult *pr, int32_t base)
{
    for (size_t i = 0; i < pr->n_stmts; i++) {
        const PgQuery__RawStmt *rs = pr->stmts[i];
        if (!rs->stmt)
            continue;
        c->stmt_at = stmt_start(c, base + rs->stmt_location);
        lint_statement(c, rs->stmt);
        free(c->table);
        c->table = NULL;
        strvec_free(&c->scratch);
    }
}

/* psql meta-commands (\echo, \quit...) are not SQL: report each line and
 * blank it so the rest of the file can still be checked. */
static char *blank_meta_commands(lint_ctx *c, const char *sql)
{
    char *copy = xstrdup(sql);
    char *p = copy;
    if (!copy)
        return NULL;
    while (*p) {
        char *eol = strchr(p, '\n');
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '\\') {
            char *e = eol ? eol : q + strlen(q);
            int shown = (int)(e - q > 40 ? 40 : e - q);
            while (shown > 0 && (q[shown] & 0xC0) == 0x80)
                shown--; /* never cut a UTF-8 character in two */
            lint_add(c, "unparsed", (int32_t)(q - copy),
                     "psql meta-command \"%.*s\" is not SQL (the runner sends SQL to the server)", shown, q);
            memset(q, ' ', (size_t)(e - q));
        }
        if (!eol)
            break;
        p = eol + 1;
    }
    return copy;
}

/* The slow path: statement by statement, so one unreadable statement does
 * not hide the others. */
static void lint_piecewise(lint_ctx *c, const char *sql, int32_t err_at)
{
    PgQuerySplitResult sr = pg_query_split_with_scanner(sql);
    if (sr.error) {
        lint_add(c, "unparsed", sr.error->cursorpos > 0 ? sr.error->cursorpos - 1 : 0,
                 "the statement splitter could not read this migration (%s)", sr.error->message);
        pg_query_free_split_result(sr);
        return;
    }
    if (sr.n_stmts == 0) /* "CREATE TABLE (;": nothing to split, still unreadable */
        lint_add(c, "unparsed", err_at,
                 "PostgreSQL %d's parser cannot read this migration (newer grammar or a typo); "
                 "it could not be verified", 15);
    for (int i = 0; i < sr.n_stmts; i++) {
        int32_t loc = sr.stmts[i]->stmt_location, len = sr.stmts[i]->stmt_len;
        if (len == 0)
            len = (int32_t)strlen(sql) - loc;
        char *one = xstrndup(sql + loc, (size_t)len);
        int32_t err_at = 0;
        if (!one) {
            c->mem->oom = true;
            break;
        }
        PgQuery__ParseResult *pr = parse(one, &err_at);
        if (pr) {
            lint_parsed(c, pr, loc);
            pg_query__parse_result__free_unpacked(pr, NULL);
        } else {
            c->stmt_at = stmt_start(c, loc);
            lint_add(c, "unparsed", loc + err_at,
                     "PostgreSQL %d's parser cannot read this statement (newer grammar or a "
                     "typo); it could not be verified", 15);
        }
        free(one);
    }
    pg_query_free_split_result(sr);
}

static void parse_allow(lint_ctx *c)
{
    const char *p = c->m->d.allow;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *id = xstrndup(p, n);
        c->mem->oom |= !id;
        if (id && n)
            strvec_add(&c->allow, id);
        free(id);
        p = e ? e + 1 : NULL;
    }
    c->allow_used = calloc(c->allow.n + 1, sizeof *c->allow_used);
    if (!c->allow_used) { /* suppressed() writes it: forget the list, fail the run */
        strvec_free(&c->allow);
        c->mem->oom = true;
    }
}

static void allow_offset(const lint_ctx *c, int32_t *at)
{
    int32_t line = c->m->up_line;
    const char *p = c->sql;
    while (*p && line < c->m->d.allow_line) {
        if (*p == '\n')
            line++;
        p++;
    }
    *at = (int32_t)(p - c->sql);
}

static void report_allows(lint_ctx *c)
{
    int32_t at;
    allow_offset(c, &at);
    for (size_t i = 0; i < c->allow.n; i++) {
        const char *id = c->allow.items[i];
        strvec saved = c->allow;
        c->allow = (strvec){0}; /* these findings are not themselves suppressible */
        if (!lint_rule(id) || strcmp(id, "allow-unknown-rule") == 0)
            lint_add(c, "allow-unknown-rule", at, "strata:allow names \"%s\", which is not a rule", id);
        else if (!c->allow_used[i])
            lint_add(c, "allow-unused", at, "strata:allow %s suppressed nothing here", id);
        c->allow = saved;
    }
}

static void lint_one(lint_ctx *c)
{
    const char *sql = c->m->up_sql;
    int32_t err_at = 0;
    PgQueryScanResult sc = pg_query_scan(sql);
    c->sql = sql;
    c->scan = sc.error ? NULL
                       : pg_query__scan_result__unpack(NULL, sc.pbuf.len, (const uint8_t *)sc.pbuf.data);
    pg_query_free_scan_result(sc);
    PgQuery__ParseResult *pr = parse(sql, &err_at);
    if (pr) {
        lint_parsed(c, pr, 0);
        pg_query__parse_result__free_unpacked(pr, NULL);
    } else {
        char *blanked = blank_meta_commands(c, sql);
        c->mem->oom |= !blanked;
        pr = blanked ? parse(blanked, &err_at) : NULL;
        if (pr) {
            lint_parsed(c, pr, 0);
            pg_query__parse_result__free_unpacked(pr, NULL);
        } else if (blanked) {
            lint_piecewise(c, blanked, err_at);
        }
        free(blanked);
    }
    if (!c->m->down_sql)
        lint_add(c, "irreversible", 0, "migration %lld", (long long)c->m->version);
    if (c->scan)
        pg_query__scan_result__free_unpacked(c->scan, NULL);
    c->scan = NULL;
}

static int by_position(const void *a, const void *b)
{
    const strata_lint_finding *x = a, *y = b;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->column < y->column ? -1 : x->column > y->column;
}

int lint_run(strata *s, const bool *want, strata_lint_report **out)
{
    strata_lint_report *rep = calloc(1, sizeof *rep);
    lint_memory mem = {0};
    int32_t pgv = s->conn && PQstatus(s->conn) == CONNECTION_OK ? PQserverVersion(s->conn) / 10000
                                                                : s->pg_version;
    size_t end = s->set.n;
    if (!rep)
        return set_error(s, STRATA_ENOMEM, "out of memory");
    /* what a migration teaches (tables it created, types) only serves the
     * ones after it: past the last one asked for, nothing can be reported
     * (a no-op up asks for none: 500 parses saved) */
    while (end > 0 && !want[end - 1])
        end--;
    for (size_t i = 0; i < end; i++) {
        lint_ctx c = {0};
        const migration *m = &s->set.items[i];
        c.s = s;
        c.rep = rep;
        c.mem = &mem;
        c.m = m;
        c.pgv = pgv;
        c.silent = !want[i];
        c.exclusive_at = c.ddl_at = c.dml_at = -1;
        c.lock_timeout_off = m->d.lock_timeout_ms == 0 || (m->d.lock_timeout_ms < 0 && s->lock_timeout_ms == 0);
        parse_allow(&c);
        lint_one(&c);
        if (!c.silent)
            report_allows(&c);
        mem.oom |= c.created.oom || c.notvalid.oom || c.allow.oom || c.locked.oom || c.scratch.oom;
        free(c.table);
        strvec_free(&c.scratch);
        strvec_free(&c.locked);
        strvec_free(&c.created);
        strvec_free(&c.notvalid);
        strvec_free(&c.allow);
        free(c.allow_used);
    }
    mem.oom |= mem.coltypes.oom || mem.notnull_checks.oom || mem.proven_notnull.oom;
    strvec_free(&mem.coltypes);
    strvec_free(&mem.notnull_checks);
    strvec_free(&mem.proven_notnull);
    mem.oom |= mem.live_tables.oom || mem.livetypes.oom;
    strvec_free(&mem.live_tables);
    strvec_free(&mem.livetypes);
    if (mem.oom) { /* a partial report would pass what it did not check */
        for (size_t i = 0; i < rep->n; i++)
            free(rep->tables[i]);
        free(rep->tables);
        rep->tables = NULL;
        strata_lint_report_free(rep);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        lint_grade_by_size(s, rep->items, rep->tables, rep->n);
    for (size_t i = 0; i < rep->n; i++)
        free(rep->tables[i]);
    free(rep->tables);
    rep->tables = NULL;
    if (rep->n)
        qsort(rep->items, rep->n, sizeof *rep->items, by_position);
    *out = rep;
    return STRATA_OK;
}

STRATA_EXPORT int strata_lint(strata *s, strata_lint_report **out)
{
    bool *want;
    history h = {0};
    int rc;
    if (!s || !out)
        return STRATA_EINVAL;
    clear_error(s);
    if (s->conn && !s->lint_all) {
        if ((rc = pg_need_db(s)) || (rc = history_read(s, &h)))
            return rc;
    }
    want = calloc(s->set.n + 1, sizeof *want);
    if (!want) {
        history_clear(&h);
        return set_error(s, STRATA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->set.n; i++)
        want[i] = !history_find(&h, s->set.items[i].version);
    rc = lint_run(s, want, out);
    free(want);
    history_clear(&h);
    return rc;
}

void lint_report_text(sbuf *b, const strata_lint_report *r, int32_t min_severity)
{
    static const char *const sev[] = {"info", "warning", "error"};
    for (size_t i = 0; i < r->n; i++) {
        const strata_lint_finding *f = &r->items[i];
        if (f->severity < min_severity)
            continue;
        sbuf_printf(b, "\n%s:%d:%d: %s: %s [%s]", f->file, (int)f->line, (int)f->column,
                    sev[f->severity], f->message, f->rule);
    }
}

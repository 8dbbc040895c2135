/* Quoting for what the linter prints and sends: the quote_ident() rules,
 * with PostgreSQL's own keyword list (through libpg_query's scanner). */
#include <stdlib.h>
#include <string.h>

#include "quote.h"

static bool plain_word(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Unreserved keywords may stand bare as names; the others must be quoted. */
static bool reserved_word(const char *s)
{
    PgQueryScanResult sr = pg_query_scan(s);
    bool kw = false;
    if (!sr.error) {
        PgQuery__ScanResult *u =
            pg_query__scan_result__unpack(NULL, sr.pbuf.len, (const uint8_t *)sr.pbuf.data);
        if (u && u->n_tokens == 1)
            kw = u->tokens[0]->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD &&
                 u->tokens[0]->keyword_kind != PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD;
        if (u)
            pg_query__scan_result__free_unpacked(u, NULL);
    }
    pg_query_free_scan_result(sr);
    return kw;
}

static char *quoted(const char *s, char q)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%c", q);
    for (; *s; s++)
        sbuf_printf(&b, *s == q ? "%c%c" : "%c", *s, *s);
    sbuf_printf(&b, "%c", q);
    return sbuf_take(&b);
}

char *lint_ident(const char *name)
{
    if (plain_word(name) && !reserved_word(name))
        return xstrdup(name);
    return quoted(name, '"');
}

char *lint_typename(const char *name)
{
    return plain_word(name) ? xstrdup(name) : quoted(name, '"');
}

static void put_ident(sbuf *b, const char *name)
{
    char *q = lint_ident(name);
    if (!q)
        b->oom = true; /* "?" would name another table: the whole name is lost */
    else
        sbuf_puts(b, q);
    free(q);
}

char *lint_relname(const PgQuery__RangeVar *rv)
{
    sbuf b;
    sbuf_init(&b);
    if (rv && rv->schemaname && *rv->schemaname) {
        put_ident(&b, rv->schemaname);
        sbuf_puts(&b, ".");
    }
    put_ident(&b, rv && rv->relname ? rv->relname : "?");
    return sbuf_take(&b);
}

char *lint_namelist(const PgQuery__List *l)
{
    sbuf b;
    sbuf_init(&b);
    for (size_t i = 0; l && i < l->n_items; i++) {
        const char *part = lint_str(l->items[i]);
        if (i)
            sbuf_puts(&b, ".");
        put_ident(&b, part ? part : "?");
    }
    return sbuf_take(&b);
}

static const char *keep(lint_ctx *c, char *s)
{
    size_t n = c->scratch.n;
    if (!s) {
        c->mem->oom = true; /* a finding naming "?" would be a wrong finding */
        return "?";
    }
    strvec_add(&c->scratch, s);
    free(s);
    c->mem->oom |= c->scratch.n == n;
    return c->scratch.n > n ? c->scratch.items[n] : "?";
}

const char *lint_q(lint_ctx *c, const char *name)
{
    return name ? keep(c, lint_ident(name)) : "?";
}

const char *lint_lit(lint_ctx *c, const char *value)
{
    return value ? keep(c, quoted(value, '\'')) : "?";
}

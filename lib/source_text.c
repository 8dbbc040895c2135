/* Text helpers for the migration readers. Deciding what is a statement and
 * what is a comment goes through libpg_query's scanner, never by hand:
 * block comments nest, and `--` ends at '\r' as well as '\n'. */
#include <ctype.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source_text.h"

const char *text_line_end(const char *p)
{
    while (*p && *p != '\n' && *p != '\r')
        p++;
    return p;
}

const char *text_line_next(const char *eol)
{
    if (!*eol)
        return NULL;
    return eol[0] == '\r' && eol[1] == '\n' ? eol + 2 : eol + 1;
}

bool text_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static PgQuery__ScanResult *scan(const char *sql, bool *failed)
{
    PgQueryScanResult r = pg_query_scan(sql);
    PgQuery__ScanResult *out = NULL;
    *failed = r.error != NULL;
    if (!r.error)
        out = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    pg_query_free_scan_result(r);
    return out;
}

static bool is_comment(const PgQuery__ScanToken *t)
{
    return t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT;
}

bool sql_holds_statement(const char *sql)
{
    bool failed, found = false;
    PgQuery__ScanResult *sc = scan(sql, &failed);
    if (!sc)
        return true; /* refused by the scanner (or no memory): not empty */
    for (size_t i = 0; i < sc->n_tokens && !found; i++) {
        const PgQuery__ScanToken *t = sc->tokens[i];
        found = !is_comment(t) && t->token != PG_QUERY__TOKEN__ASCII_59;
    }
    pg_query__scan_result__free_unpacked(sc, NULL);
    return found;
}

/* Directives and the other tools' markers are not a human's comment. */
static bool is_marker(const char *p, size_t n)
{
    static const char *const prefixes[] = {"strata:", "migrate:", "+goose", "no-transaction"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t k = strlen(prefixes[i]);
        if (n >= k && strncasecmp(p, prefixes[i], k) == 0)
            return true;
    }
    return false;
}

/* Comment token [s, e) -> its first non-empty line, trimmed; NULL if none. */
static char *comment_text(const char *s, const char *e)
{
    if (e - s >= 4 && s[0] == '/' && s[1] == '*')
        s += 2, e -= 2;
    else if (e - s >= 2 && s[0] == '-' && s[1] == '-')
        s += 2;
    while (s < e) {
        const char *le = s;
        while (le < e && *le != '\n' && *le != '\r')
            le++;
        const char *a = s, *b = le;
        while (a < b && (isspace((unsigned char)*a) || *a == '*' || *a == '-'))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (a < b)
            return is_marker(a, (size_t)(b - a)) ? NULL : xstrndup(a, (size_t)(b - a));
        s = le < e ? le + 1 : e;
    }
    return NULL;
}

char *sql_first_comment(const char *sql)
{
    bool failed;
    char *out = NULL;
    PgQuery__ScanResult *sc = scan(sql, &failed);
    for (size_t i = 0; sc && i < sc->n_tokens && !out; i++) {
        const PgQuery__ScanToken *t = sc->tokens[i];
        if (is_comment(t) && t->end > t->start)
            out = comment_text(sql + t->start, sql + t->end);
    }
    if (sc)
        pg_query__scan_result__free_unpacked(sc, NULL);
    return out;
}

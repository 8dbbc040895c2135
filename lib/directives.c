/* Directives: comment lines at the top of a migration's up SQL that change
 * how the runner treats it. The other tools' spellings are accepted so their
 * directories run as they are. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "source_text.h"

/* Within one line: every blank the scanner knows (a form feed too), so no
 * loop below can stop on a character that its inner loop refuses. */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (text_is_blank(*p) || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static const char *trim_end(const char *p, const char *end)
{
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    return end;
}

static bool word_eq(const char *p, const char *end, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(end - p) == n && strncasecmp(p, w, n) == 0;
}

static bool starts_with_ci(const char *p, const char *end, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(end - p) >= n && strncasecmp(p, w, n) == 0;
}

int64_t parse_duration_ms(const char *s, size_t n)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        {"", 1}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000},
    };
    const char *p = s, *end = s + n;
    int64_t v = 0;
    bool big = false;
    if (p == end || !isdigit((unsigned char)*p))
        return -1;
    for (; p < end && isdigit((unsigned char)*p); p++) {
        if (v > INT_MAX)
            big = true; /* keep reading: a bad unit is still "invalid" */
        else
            v = v * 10 + (*p - '0');
    }
    p = skip_ws(p, end);
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (!word_eq(p, end, units[i].unit))
            continue;
        /* PostgreSQL takes at most INT_MAX ms for its timeouts */
        if (big || v > DURATION_MAX_MS / units[i].ms)
            return -2;
        return v * units[i].ms;
    }
    return -1;
}

static int bad_duration(sbuf *err, int32_t line, int64_t ms, const char *what,
                        const char *p, const char *end)
{
    if (ms == -2)
        sbuf_printf(err, "line %d: %s \"%.*s\" is too long (at most %dms, about 24 days: "
                    "PostgreSQL's limit)", (int)line, what, (int)(end - p), p, INT_MAX);
    else
        sbuf_printf(err, "line %d: bad %s (use e.g. 5s, 500ms, 10min, 0): \"%.*s\"",
                    (int)line, what, (int)(end - p), p);
    return STRATA_EPARSE;
}

static int bad(sbuf *err, int32_t line, const char *what, const char *p, const char *end)
{
    sbuf_printf(err, "line %d: %s: \"%.*s\"", (int)line, what, (int)(end - p), p);
    return STRATA_EPARSE;
}

static int parse_strata(directives *d, const char *p, const char *end, int32_t line, sbuf *err)
{
    const char *w = p;
    while (p < end && !isspace((unsigned char)*p))
        p++;
    const char *wend = p;
    const char *arg = skip_ws(p, end);
    const char *aend = trim_end(arg, end);

    if (word_eq(w, wend, "no-transaction") && arg == aend) {
        d->no_transaction = true;
    } else if (word_eq(w, wend, "lock-timeout") || word_eq(w, wend, "statement-timeout")) {
        int64_t ms = parse_duration_ms(arg, (size_t)(aend - arg));
        if (ms < 0)
            return bad_duration(err, line, ms, "duration", arg, aend);
        if (word_eq(w, wend, "lock-timeout"))
            d->lock_timeout_ms = ms;
        else
            d->statement_timeout_ms = ms;
    } else if (word_eq(w, wend, "phase")) {
        if (word_eq(arg, aend, "expand"))
            d->phase = STRATA_PHASE_EXPAND;
        else if (word_eq(arg, aend, "contract"))
            d->phase = STRATA_PHASE_CONTRACT;
        else
            return bad(err, line, "phase must be expand or contract", arg, aend);
    } else if (word_eq(w, wend, "batch")) {
        d->batch = true;
        if (arg != aend) {
            if (!starts_with_ci(arg, aend, "pause "))
                return bad(err, line, "batch takes only \"pause DURATION\"", arg, aend);
            const char *v = skip_ws(arg + 6, aend);
            int64_t ms = parse_duration_ms(v, (size_t)(aend - v));
            if (ms < 0)
                return bad_duration(err, line, ms, "batch pause", v, aend);
            d->batch_pause_ms = ms;
        }
    } else if (word_eq(w, wend, "allow")) {
        /* the list ends at white space; the reason follows after "--" */
        const char *le = arg;
        while (le < aend && !isspace((unsigned char)*le))
            le++;
        if (le == arg)
            return bad(err, line, "allow needs rule ids, e.g. strata:allow drop-column -- reason", w, aend);
        free(d->allow);
        d->allow = xstrndup(arg, (size_t)(le - arg));
        d->allow_line = line;
        if (!d->allow)
            return STRATA_ENOMEM;
    } else {
        return bad(err, line,
                   "unknown directive (known: strata:no-transaction, lock-timeout, "
                   "statement-timeout, phase, batch, allow)",
                   w - 7, aend);
    }
    return STRATA_OK;
}

/* The other tools' markers that carry meaning for the runner. */
static void parse_foreign(directives *d, const char *p, const char *end)
{
    if (word_eq(p, end, "no-transaction")) {            /* sqlx */
        d->no_transaction = true;
    } else if (starts_with_ci(p, end, "+goose")) {      /* goose */
        const char *a = skip_ws(p + 6, end);
        if (word_eq(a, end, "NO TRANSACTION"))
            d->no_transaction = true;
    } else if (starts_with_ci(p, end, "migrate:up") ||  /* dbmate, either direction */
               starts_with_ci(p, end, "migrate:down")) {
        const char *a = p + (starts_with_ci(p, end, "migrate:up") ? 10 : 12);
        while (a < end) {
            while (a < end && isspace((unsigned char)*a))
                a++; /* all of isspace: a form feed left here never advanced */
            const char *e = a;
            while (e < end && !isspace((unsigned char)*e))
                e++;
            if (word_eq(a, e, "transaction:false"))
                d->no_transaction = true;
            a = e;
        }
    }
}

void directives_clear(directives *d)
{
    free(d->allow);
    directives_init(d);
}

void directives_init(directives *d)
{
    memset(d, 0, sizeof *d);
    d->lock_timeout_ms = -1;
    d->statement_timeout_ms = -1;
    d->phase = STRATA_PHASE_EXPAND;
}

int directives_parse(directives *out, const char *sql, int32_t first_line, sbuf *err)
{
    const char *p = sql;
    int32_t line = first_line;
    int rc = STRATA_OK;
    while (p && *p) {
        const char *end = text_line_end(p);
        const char *c = skip_ws(p, end);
        const char *cend = trim_end(c, end);
        if (c != cend) {
            if (cend - c < 2 || c[0] != '-' || c[1] != '-')
                break; /* first statement: directives end here */
            c = skip_ws(c + 2, cend);
            if (starts_with_ci(c, cend, "strata:"))
                rc = parse_strata(out, c + 7, cend, line, err);
            else
                parse_foreign(out, c, cend);
            if (rc)
                return rc;
        }
        p = text_line_next(end);
        line++;
    }
    return STRATA_OK;
}

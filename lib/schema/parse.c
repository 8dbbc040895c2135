/* Reading a rendered snapshot back (the file `schema --check` compares
 * with). The format is ours (render.c), so the reader is strict: anything
 * it does not expect is an error naming the line. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Undoes sch_escape_text on [p, p+n); false on a bad escape. */
static bool unescape(sbuf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c != '\\') {
            sbuf_add(b, &c, 1);
            continue;
        }
        if (++i >= n)
            return false;
        switch (p[i]) {
        case '\\': c = '\\'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'x': {
            int h = i + 2 < n ? hexval(p[i + 1]) : -1, l = h >= 0 ? hexval(p[i + 2]) : -1;
            if (l < 0 || (h == 0 && l == 0))
                return false;
            c = (char)(h * 16 + l);
            i += 2;
            break;
        }
        default:
            return false;
        }
        sbuf_add(b, &c, 1);
    }
    return true;
}

static char *unescape_dup(const char *p, size_t n, bool *bad)
{
    sbuf b;
    sbuf_init(&b);
    if (!unescape(&b, p, n)) {
        *bad = true;
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

/* "kind name": the kind is one of the known kinds (some hold a space). */
static int parse_header(strata_schema *sc, const char *p, size_t n, sch_obj **cur, sbuf *err, int line)
{
    const char *sp = NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ')
            continue;
        char *k = xstrndup(p, i);
        if (!k)
            return STRATA_ENOMEM;
        int rank = sch_kind_rank(k);
        free(k);
        if (rank >= 0) {
            sp = p + i;
            break;
        }
    }
    if (!sp || sp + 1 >= p + n) {
        sbuf_printf(err, "line %d: expected \"KIND NAME\" with a known object kind", line);
        return STRATA_EPARSE;
    }
    bool bad = false;
    char *kind = xstrndup(p, (size_t)(sp - p));
    char *name = unescape_dup(sp + 1, (size_t)(p + n - sp - 1), &bad);
    int rc = STRATA_OK;
    if (bad) {
        sbuf_printf(err, "line %d: bad escape in the object name", line);
        rc = STRATA_EPARSE;
    } else if (!kind || !name || !(*cur = sch_add_obj(sc, kind, name))) {
        rc = STRATA_ENOMEM;
    }
    free(kind);
    free(name);
    return rc;
}

static int parse_prop(sch_obj *cur, const char *p, size_t n, sbuf *err, int line)
{
    const char *colon = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == ':' && p[i + 1] == ' ') {
            colon = p + i;
            break;
        }
    if (!cur || !colon || colon == p) {
        sbuf_printf(err, "line %d: %s", line,
                    cur ? "expected \"\\tKEY: VALUE\"" : "a property before any object");
        return STRATA_EPARSE;
    }
    bool bad = false;
    char *key = xstrndup(p, (size_t)(colon - p));
    char *val = unescape_dup(colon + 2, (size_t)(p + n - colon - 2), &bad);
    int rc = STRATA_OK;
    if (bad) {
        sbuf_printf(err, "line %d: bad escape in the value of \"%s\"", line, key ? key : "");
        rc = STRATA_EPARSE;
    } else if (!key || !val || !sch_add_prop(cur, key, val)) {
        rc = STRATA_ENOMEM;
    }
    free(key);
    free(val);
    return rc;
}

int sch_parse_text(strata_schema *sc, const char *text, size_t len, sbuf *err)
{
    sch_obj *cur = NULL;
    int line = 0, rc = STRATA_OK;
    size_t i = 0;
    while (rc == STRATA_OK && i < len) {
        const char *p = text + i, *nl = memchr(p, '\n', len - i);
        size_t n = nl ? (size_t)(nl - p) : len - i;
        i += n + 1;
        line++;
        if (n && p[n - 1] == '\r')
            n--; /* a file checked out with CRLF line ends */
        if (memchr(p, '\0', n)) {
            sbuf_printf(err, "line %d: a NUL byte", line);
            return STRATA_EPARSE;
        }
        if (n == 0 || p[0] == '#')
            continue;
        if (p[0] == '\t') {
            rc = parse_prop(cur, p + 1, n - 1, err, line);
            continue;
        }
        rc = parse_header(sc, p, n, &cur, err, line);
        if (rc == STRATA_OK)
            cur = &sc->objs[sc->n - 1];
    }
    return rc;
}

STRATA_EXPORT int strata_schema_from_text(strata_schema **out, const char *text, size_t len,
                                          char *errbuf, size_t errlen)
{
    strata_schema *sc;
    sbuf err;
    size_t i = 0;
    int rc;
    if (!out || (!text && len))
        return STRATA_EINVAL;
    if (!(sc = calloc(1, sizeof *sc)))
        return STRATA_ENOMEM;
    sbuf_init(&err);
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    if (i < len && text[i] == '{')
        rc = sch_parse_json(sc, text, len, &err);
    else
        rc = sch_parse_text(sc, text ? text : "", len, &err);
    if (rc != STRATA_OK) {
        if (errbuf && errlen) {
            const char *m = rc == STRATA_ENOMEM ? "out of memory" : err.data ? err.data : "malformed";
            size_t n = strlen(m) < errlen - 1 ? strlen(m) : errlen - 1;
            memcpy(errbuf, m, n);
            errbuf[n] = '\0';
        }
        sbuf_free(&err);
        strata_schema_free(sc);
        return rc;
    }
    sbuf_free(&err);
    sch_sort(sc);
    *out = sc;
    return STRATA_OK;
}

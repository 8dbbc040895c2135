/* Reading the JSON render back: {"format", "version", "objects": [{"kind",
 * "name", "props": {KEY: VALUE}}]}. A small reader for this one shape (the
 * library has no JSON dependency); unknown keys are skipped, anything else
 * unexpected is an error naming the line. */
#include <stdlib.h>
#include <string.h>

#include "schema.h"

typedef struct jr {
    const char *p, *end;
    sbuf *err;
    int rc;
} jr;

static int line_of(const jr *j, const char *start)
{
    int line = 1;
    for (const char *q = start; q < j->p; q++)
        line += *q == '\n';
    return line;
}

static bool jr_fail(jr *j, const char *base, const char *what)
{
    if (j->rc == STRATA_OK) {
        sbuf_printf(j->err, "line %d: %s", line_of(j, base), what);
        j->rc = STRATA_EPARSE;
    }
    return false;
}

static void ws(jr *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static bool eat(jr *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

static void put_utf8(sbuf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F)),
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F)),
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    sbuf_add(b, u, n);
}

static bool hex4(jr *j, unsigned long *out)
{
    unsigned long v = 0;
    if (j->end - j->p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        char c = *j->p++;
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0)
            return false;
        v = v * 16 + (unsigned long)h;
    }
    *out = v;
    return true;
}

static bool escape_char(jr *j, sbuf *b)
{
    char c = *j->p++;
    unsigned long cp, lo;
    switch (c) {
    case '"': case '\\': case '/': sbuf_add(b, &c, 1); return true;
    case 'n': sbuf_puts(b, "\n"); return true;
    case 'r': sbuf_puts(b, "\r"); return true;
    case 't': sbuf_puts(b, "\t"); return true;
    case 'b': sbuf_puts(b, "\b"); return true;
    case 'f': sbuf_puts(b, "\f"); return true;
    case 'u':
        if (!hex4(j, &cp) || cp == 0)
            return false;
        if (cp >= 0xD800 && cp < 0xDC00) {
            if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
                return false;
            j->p += 2;
            if (!hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
            return false;
        }
        put_utf8(b, cp);
        return true;
    default:
        return false;
    }
}

/* A string into a new allocation (NULL on error, j->rc set). */
static char *jstring(jr *j, const char *base)
{
    sbuf b;
    if (!eat(j, '"'))
        return jr_fail(j, base, "expected a string"), NULL;
    sbuf_init(&b);
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20 || (c == '\\' && (++j->p >= j->end || !escape_char(j, &b)))) {
            sbuf_free(&b);
            return jr_fail(j, base, "bad character or escape in a string"), NULL;
        }
        if (c != '\\')
            sbuf_add(&b, j->p++, 1);
    }
    if (j->p >= j->end) {
        sbuf_free(&b);
        return jr_fail(j, base, "unterminated string"), NULL;
    }
    j->p++;
    char *r = sbuf_take(&b);
    if (!r)
        j->rc = STRATA_ENOMEM;
    return r;
}

static bool skip_value(jr *j, const char *base, int depth);

static bool skip_container(jr *j, const char *base, int depth, char close, bool keys)
{
    if (eat(j, close))
        return true;
    do {
        if (keys) {
            char *k = jstring(j, base);
            if (!k)
                return false;
            free(k);
            if (!eat(j, ':'))
                return jr_fail(j, base, "expected ':'");
        }
        if (!skip_value(j, base, depth + 1))
            return false;
    } while (eat(j, ','));
    return eat(j, close) || jr_fail(j, base, "expected ',' or a closing bracket");
}

static bool skip_value(jr *j, const char *base, int depth)
{
    ws(j);
    if (depth > 32 || j->p >= j->end)
        return jr_fail(j, base, "expected a value");
    if (*j->p == '"') {
        char *s = jstring(j, base);
        free(s);
        return s != NULL;
    }
    if (eat(j, '{'))
        return skip_container(j, base, depth, '}', true);
    if (eat(j, '['))
        return skip_container(j, base, depth, ']', false);
    const char *q = j->p;
    while (j->p < j->end && strchr("-+.0123456789eEtruefalsn", *j->p))
        j->p++;
    return j->p > q || jr_fail(j, base, "expected a value");
}

static bool read_props(jr *j, const char *base, sch_obj *o)
{
    if (!eat(j, '{'))
        return jr_fail(j, base, "expected \"props\": {...}");
    if (eat(j, '}'))
        return true;
    do {
        char *k = jstring(j, base), *v = NULL;
        bool ok = k && (eat(j, ':') || jr_fail(j, base, "expected ':'")) && (v = jstring(j, base));
        if (ok && !sch_add_prop(o, k, v))
            j->rc = STRATA_ENOMEM, ok = false;
        free(k);
        free(v);
        if (!ok)
            return false;
    } while (eat(j, ','));
    return eat(j, '}') || jr_fail(j, base, "expected ',' or '}'");
}

/* One object: the kind and name come before "props" in our render, but
 * any order is accepted. */
static bool read_object(jr *j, const char *base, strata_schema *sc)
{
    char *kind = NULL, *name = NULL;
    const char *props_at = NULL, *obj_at;
    bool ok = true;
    ws(j);
    obj_at = j->p;
    if (!eat(j, '{'))
        return jr_fail(j, base, "expected an object {\"kind\", \"name\", \"props\"}");
    while (ok && !eat(j, '}')) {
        char *k = jstring(j, base);
        ok = k && (eat(j, ':') || jr_fail(j, base, "expected ':'"));
        if (ok && strcmp(k, "kind") == 0 && !kind)
            ok = (kind = jstring(j, base)) != NULL;
        else if (ok && strcmp(k, "name") == 0 && !name)
            ok = (name = jstring(j, base)) != NULL;
        else if (ok && strcmp(k, "props") == 0 && !props_at)
            ws(j), props_at = j->p, ok = skip_value(j, base, 1);
        else if (ok)
            ok = skip_value(j, base, 1);
        free(k);
        if (ok && !eat(j, ',') && (ws(j), j->p < j->end && *j->p != '}'))
            ok = jr_fail(j, base, "expected ',' or '}'");
    }
    if (ok && (!kind || !name || sch_kind_rank(kind) < 0)) {
        j->p = obj_at;
        ok = jr_fail(j, base, "an object needs \"kind\" (a known object kind) and \"name\"");
    }
    sch_obj *o = ok ? sch_add_obj(sc, kind, name) : NULL;
    if (ok && !o)
        j->rc = STRATA_ENOMEM, ok = false;
    if (ok && props_at) {
        const char *after = j->p;
        j->p = props_at;
        ok = read_props(j, base, o);
        j->p = after;
    }
    free(kind);
    free(name);
    return ok;
}

int sch_parse_json(strata_schema *sc, const char *text, size_t len, sbuf *err)
{
    jr j = {text, text + len, err, STRATA_OK};
    bool ok = eat(&j, '{') || jr_fail(&j, text, "expected '{'");
    bool seen = false;
    while (ok && !eat(&j, '}')) {
        char *k = jstring(&j, text);
        ok = k && (eat(&j, ':') || jr_fail(&j, text, "expected ':'"));
        if (ok && strcmp(k, "objects") == 0) {
            seen = true;
            ok = eat(&j, '[') || jr_fail(&j, text, "expected \"objects\": [...]");
            if (ok && !eat(&j, ']')) {
                do
                    ok = read_object(&j, text, sc);
                while (ok && eat(&j, ','));
                ok = ok && (eat(&j, ']') || jr_fail(&j, text, "expected ',' or ']'"));
            }
        } else if (ok) {
            ok = skip_value(&j, text, 1);
        }
        free(k);
        if (ok && !eat(&j, ',') && (ws(&j), j.p < j.end && *j.p != '}'))
            ok = jr_fail(&j, text, "expected ',' or '}'");
    }
    ws(&j);
    if (ok && j.p != j.end)
        ok = jr_fail(&j, text, "text after the closing '}'");
    if (ok && !seen)
        ok = jr_fail(&j, text, "no \"objects\" array: not a strata schema file");
    return ok ? STRATA_OK : j.rc != STRATA_OK ? j.rc : STRATA_EPARSE;
}

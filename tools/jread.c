#include "jread.h"

#include <stdlib.h>
#include <string.h>

typedef struct rd {
    const char *p;
    int depth;
} rd;

static void ws(rd *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
        r->p++;
}

static int value(rd *r, jv *v);

/* A UTF-8 encoding of @cp into @o; returns the bytes written. */
static size_t utf8(unsigned cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

static int string(rd *r, char **out)
{
    const char *s = ++r->p;
    size_t cap = strlen(s) + 1, n = 0;
    char *b = malloc(cap);
    if (!b)
        return -1;
    while (*r->p && *r->p != '"') {
        if (*r->p != '\\') {
            b[n++] = *r->p++;
            continue;
        }
        char e = *++r->p;
        r->p++;
        switch (e) {
        case 'n': b[n++] = '\n'; break;
        case 't': b[n++] = '\t'; break;
        case 'r': b[n++] = '\r'; break;
        case 'b': b[n++] = '\b'; break;
        case 'f': b[n++] = '\f'; break;
        case '"': case '\\': case '/': b[n++] = e; break;
        case 'u': {
            char hex[5] = {0};
            unsigned cp;
            if (strlen(r->p) < 4) {
                free(b);
                return -1;
            }
            memcpy(hex, r->p, 4);
            cp = (unsigned)strtoul(hex, NULL, 16);
            r->p += 4;
            n += utf8(cp, b + n); /* \uXXXX is never longer than its UTF-8 */
            break;
        }
        default: free(b); return -1;
        }
    }
    if (*r->p != '"') {
        free(b);
        return -1;
    }
    r->p++;
    b[n] = '\0';
    *out = b;
    return 0;
}

static int add(jv *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        jv *it = realloc(v->items, c * sizeof *it);
        if (!it)
            return -1;
        v->items = it;
        if (v->type == JV_OBJ) {
            char **k = realloc(v->keys, c * sizeof *k);
            if (!k)
                return -1;
            v->keys = k;
        }
        *cap = c;
    }
    memset(&v->items[v->n], 0, sizeof v->items[0]);
    return 0;
}

static int container(rd *r, jv *v, char close)
{
    size_t cap = 0;
    r->p++;
    ws(r);
    if (*r->p == close) {
        r->p++;
        return 0;
    }
    for (;;) {
        ws(r);
        if (add(v, &cap))
            return -1;
        if (v->type == JV_OBJ) {
            if (*r->p != '"' || string(r, &v->keys[v->n]))
                return -1;
            ws(r);
            if (*r->p++ != ':') {
                free(v->keys[v->n]);
                return -1;
            }
        }
        v->n++; /* counted now so that jv_free frees it on error */
        if (value(r, &v->items[v->n - 1]))
            return -1;
        ws(r);
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p++ != close)
            return -1;
        return 0;
    }
}

static int value(rd *r, jv *v)
{
    memset(v, 0, sizeof *v);
    if (++r->depth > 64)
        return -1;
    ws(r);
    int rc = 0;
    if (*r->p == '{') {
        v->type = JV_OBJ;
        rc = container(r, v, '}');
    } else if (*r->p == '[') {
        v->type = JV_ARR;
        rc = container(r, v, ']');
    } else if (*r->p == '"') {
        v->type = JV_STR;
        rc = string(r, &v->str);
    } else if (strncmp(r->p, "true", 4) == 0 || strncmp(r->p, "false", 5) == 0) {
        v->type = JV_BOOL;
        v->num = *r->p == 't';
        r->p += *r->p == 't' ? 4 : 5;
    } else if (strncmp(r->p, "null", 4) == 0) {
        r->p += 4;
    } else {
        char *end;
        v->type = JV_NUM;
        v->num = strtod(r->p, &end);
        rc = end == r->p ? -1 : 0;
        r->p = end;
    }
    r->depth--;
    return rc;
}

int jv_parse(const char *text, jv *out)
{
    rd r = {text, 0};
    jv v;
    if (!text)
        return -1;
    if (value(&r, &v) == 0) {
        ws(&r);
        if (*r.p == '\0') {
            *out = v;
            return 0;
        }
    }
    jv_free(&v);
    return -1;
}

void jv_free(jv *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        jv_free(&v->items[i]);
        if (v->type == JV_OBJ)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const jv *jv_get(const jv *v, const char *key)
{
    if (!v || v->type != JV_OBJ)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return &v->items[i];
    return NULL;
}

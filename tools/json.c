#include "json.h"

#include "out.h"

void jw_init(jw *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->after_key = false;
    w->nonempty[0] = false;
}

/* Before a value or a key: a comma when the container already has one. */
static void sep(jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && w->nonempty[w->depth])
        fputs(", ", w->f);
    w->nonempty[w->depth] = true;
}

static void open_(jw *w, char ch)
{
    sep(w);
    fputc(ch, w->f);
    if (w->depth < JW_MAX_DEPTH - 1)
        w->depth++;
    w->nonempty[w->depth] = false;
}

static void close_(jw *w, char ch)
{
    fputc(ch, w->f);
    if (w->depth > 0)
        w->depth--;
    if (w->depth == 0)
        fputc('\n', w->f);
}

void jw_obj(jw *w) { open_(w, '{'); }
void jw_obj_end(jw *w) { close_(w, '}'); }
void jw_arr(jw *w) { open_(w, '['); }
void jw_arr_end(jw *w) { close_(w, ']'); }

void jw_key(jw *w, const char *key)
{
    sep(w);
    out_json_string(w->f, key);
    fputs(": ", w->f);
    w->after_key = true;
}

void jw_str(jw *w, const char *s)
{
    sep(w);
    out_json_string(w->f, s);
}

void jw_int(jw *w, int64_t v)
{
    sep(w);
    fprintf(w->f, "%lld", (long long)v);
}

void jw_bool(jw *w, bool v)
{
    sep(w);
    fputs(v ? "true" : "false", w->f);
}

void jw_null(jw *w)
{
    sep(w);
    fputs("null", w->f);
}

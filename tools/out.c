#include "out.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void out_style_init(out_style *st)
{
    const char *nc = getenv("NO_COLOR");
    bool color = isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) && !(nc && *nc);
    memset(st, 0, sizeof *st);
    st->color = color;
    st->live = isatty(STDERR_FILENO);
    st->bold = color ? "\033[1m" : "";
    st->red = color ? "\033[31m" : "";
    st->green = color ? "\033[32m" : "";
    st->yellow = color ? "\033[33m" : "";
    st->dim = color ? "\033[2m" : "";
    st->reset = color ? "\033[0m" : "";
}

void out_live(const out_style *st, const char *msg)
{
    out_style *w = (out_style *)st; /* the open-line flag is the only mutable part */
    if (st->live) {
        fprintf(stderr, "\r\033[K%s", msg);
        w->live_open = true;
    } else {
        fprintf(stderr, "%s\n", msg);
    }
    fflush(stderr);
}

void out_live_end(const out_style *st)
{
    out_style *w = (out_style *)st;
    if (st->live_open) {
        fputc('\n', stderr);
        w->live_open = false;
    }
}

void out_json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static const char *state_color(const out_style *s, int32_t state)
{
    switch (state) {
    case STRATA_STATE_APPLIED: return s->green;
    case STRATA_STATE_PENDING: return s->yellow;
    case STRATA_STATE_UNKNOWN: return s->dim;
    default: return s->red;
    }
}

void out_status_table(FILE *f, const strata_status_list *st, const out_style *style)
{
    size_t n = strata_status_count(st);
    int wname = 4;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(strata_status_get(st, i)->name);
        if (l > wname)
            wname = l < 40 ? l : 40;
    }
    fprintf(f, "%s%-16s %-*s %-8s %-12s %-20s %s%s\n", style->bold, "VERSION", wname, "NAME", "PHASE",
            "STATE", "APPLIED AT", "DURATION", style->reset);
    for (size_t i = 0; i < n; i++) {
        const strata_status_row *r = strata_status_get(st, i);
        char dur[32] = "";
        if (r->duration_ms >= 0)
            snprintf(dur, sizeof dur, "%lld ms", (long long)r->duration_ms);
        fprintf(f, "%-16lld %-*.*s %-8s %s%-12s%s %-20s %s\n", (long long)r->version, wname, wname,
                r->name, r->phase ? r->phase : "", state_color(style, r->state), r->state_name,
                style->reset, r->applied_at ? r->applied_at : "", dur);
        if (r->state == STRATA_STATE_DIRTY)
            fprintf(f, "%*s failed at statement %d: %s\n", 16, "", (int)r->failed_statement,
                    r->error ? r->error : "interrupted");
    }
    if (n == 0)
        fputs("no migrations\n", f);
}

/* The documented, stable shape: an array of objects with these keys. */
void out_status_json(FILE *f, const strata_status_list *st)
{
    size_t n = strata_status_count(st);
    fputs("[", f);
    for (size_t i = 0; i < n; i++) {
        const strata_status_row *r = strata_status_get(st, i);
        fprintf(f, "%s\n  {\"version\": %lld, \"name\": ", i ? "," : "", (long long)r->version);
        out_json_string(f, r->name);
        fputs(", \"phase\": ", f);
        out_json_string(f, r->phase);
        fputs(", \"state\": ", f);
        out_json_string(f, r->state_name);
        fputs(", \"applied_at\": ", f);
        out_json_string(f, r->applied_at);
        if (r->duration_ms >= 0)
            fprintf(f, ", \"duration_ms\": %lld", (long long)r->duration_ms);
        else
            fputs(", \"duration_ms\": null", f);
        if (r->state == STRATA_STATE_DIRTY) {
            fprintf(f, ", \"failed_statement\": %d, \"error\": ", (int)r->failed_statement);
            out_json_string(f, r->error);
        }
        fputs("}", f);
    }
    fputs(n ? "\n]\n" : "]\n", f);
}

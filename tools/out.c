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
        /* cut to the terminal's width: a wrapped line cannot be rewritten
         * in place and would leave debris */
        int cols = out_term_cols();
        fputs("\r\033[K", stderr);
        if (cols > 1)
            out_fit(stderr, msg, cols - 1);
        else
            fputs(msg, stderr);
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

/* Length of the valid UTF-8 sequence at @p, 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
    if (n == 0 || *p > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return n;
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
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else if (*p >= 0x80) {
                size_t k = utf8_len(p);
                if (k == 0) {
                    fputs("\\ufffd", f); /* not UTF-8: JSON must be */
                } else {
                    fwrite(p, 1, k, f);
                    p += k - 1;
                }
            } else {
                fputc(*p, f);
            }
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

/* The state column: the state and what else a reader must know of the row. */
static void state_text(char *buf, size_t n, const strata_status_row *r)
{
    const char *extra = "";
    if (r->flags & STRATA_ROW_EMPTY_UP)
        extra = " (empty)";
    else if (r->state == STRATA_STATE_DIRTY && (r->flags & STRATA_ROW_INTERRUPTED))
        extra = " (interrupted)";
    else if (r->state == STRATA_STATE_APPLIED && (r->flags & STRATA_ROW_EMPTY_DOWN))
        extra = ", down empty";
    snprintf(buf, n, "%s%s", r->state_name, extra);
}

#define NCOLS 6
#define NAME_MAX_COLS 40
#define GAP "  "

typedef struct row_cells {
    char version[24], state[64], dur[32];
    const char *cell[NCOLS];
} row_cells;

static void cells_of(row_cells *rc, const strata_status_row *r)
{
    snprintf(rc->version, sizeof rc->version, "%lld", (long long)r->version);
    state_text(rc->state, sizeof rc->state, r);
    out_duration(rc->dur, sizeof rc->dur, r->duration_ms);
    rc->cell[0] = rc->version;
    rc->cell[1] = r->name ? r->name : "";
    rc->cell[2] = r->phase ? r->phase : "";
    rc->cell[3] = rc->state;
    rc->cell[4] = r->applied_at ? r->applied_at : "";
    rc->cell[5] = rc->dur;
}

/* One line: cells padded to their column by display width, a two-space gap,
 * nothing after the last non-empty cell (no trailing spaces). */
static void put_line(FILE *f, const char *const *cell, const int *w, const char *const *color, const char *reset)
{
    int last = NCOLS - 1;
    while (last > 0 && !*cell[last])
        last--;
    for (int i = 0; i <= last; i++) {
        fputs(color[i], f);
        int used = out_fit(f, cell[i], w[i]);
        fputs(reset, f);
        if (i < last)
            fprintf(f, "%*s" GAP, w[i] - used, "");
    }
    fputc('\n', f);
}

/* The server's message under its row, every line indented to the name. */
static void put_detail(FILE *f, const strata_status_row *r, int indent)
{
    const char *e = r->error ? r->error : "interrupted";
    fprintf(f, "%*sfailed at statement %d: ", indent, "", (int)r->failed_statement);
    for (const char *p = e; *p; p++) {
        if (*p == '\n' && p[1]) {
            fprintf(f, "\n%*s", indent + 2, "");
            continue;
        }
        if (*p != '\n')
            fputc(*p, f);
    }
    fputc('\n', f);
}

void out_status_table(FILE *f, const strata_status_list *st, const out_style *style)
{
    static const char *const head[NCOLS] = {"VERSION", "NAME", "PHASE", "STATE", "APPLIED AT", "DURATION"};
    size_t n = strata_status_count(st);
    int w[NCOLS];
    row_cells rc;
    for (int k = 0; k < NCOLS; k++)
        w[k] = out_width(head[k]);
    for (size_t i = 0; i < n; i++) {
        cells_of(&rc, strata_status_get(st, i));
        for (int k = 0; k < NCOLS; k++) {
            int cw = out_width(rc.cell[k]);
            if (cw > w[k])
                w[k] = k == 1 && cw > NAME_MAX_COLS ? NAME_MAX_COLS : cw;
        }
    }
    if (n == 0) {
        fputs("no migrations\n", f);
        return;
    }
    const char *plain[NCOLS] = {"", "", "", "", "", ""};
    const char *bold[NCOLS] = {style->bold, style->bold, style->bold, style->bold, style->bold, style->bold};
    put_line(f, head, w, bold, style->reset);
    for (size_t i = 0; i < n; i++) {
        const strata_status_row *r = strata_status_get(st, i);
        cells_of(&rc, r);
        plain[3] = state_color(style, r->state);
        put_line(f, rc.cell, w, plain, style->reset);
        if (r->state == STRATA_STATE_DIRTY)
            put_detail(f, r, w[0] + 2);
    }
}

static void put_flags_json(FILE *f, int32_t flags)
{
    static const char *const names[] = {"empty_up", "no_down", "empty_down", "interrupted"};
    bool first = true;
    fputs(", \"flags\": [", f);
    for (int b = 0; b < 4; b++) {
        if (flags & (1 << b)) {
            fprintf(f, "%s\"%s\"", first ? "" : ", ", names[b]);
            first = false;
        }
    }
    fputs("]", f);
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
        put_flags_json(f, r->flags);
        fputs("}", f);
    }
    fputs(n ? "\n]\n" : "]\n", f);
}

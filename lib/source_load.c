/* Loading one migration's files: the markers inside one file (dbmate,
 * goose), diesel's directory with its metadata.toml, sqlx pairs. Settings
 * that live outside the SQL travel into it as directive lines, so what
 * strata-embed copies behaves as the directory does. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source_load.h"
#include "source_text.h"

char *source_join(const char *dir, const char *name)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, dir);
    if (b.len && b.data[b.len - 1] != '/')
        sbuf_puts(&b, "/");
    sbuf_puts(&b, name);
    return sbuf_take(&b);
}

/* Reads a whole file; refuses NUL bytes; drops a leading UTF-8 BOM. */
int source_read_text(const source_fs *fs, char **out, const char *path, sbuf *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = fs->read(fs->ctx, path, &text, &len, err);
    if (rc)
        return rc;
    if (memchr(text, '\0', len)) {
        size_t off = (size_t)((char *)memchr(text, '\0', len) - text);
        int line = 1;
        for (size_t i = 0; i < off; i++)
            line += text[i] == '\n';
        sbuf_printf(err, "%s:%d: NUL byte in the file (is it binary, or UTF-16? save it as UTF-8)", path, line);
        free(text);
        return STRATA_EPARSE;
    }
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
        memmove(text, text + 3, len - 3 + 1);
    *out = text;
    return STRATA_OK;
}

/* ---- markers inside one file (dbmate, goose) ---- */

enum marker { M_NONE, M_UP, M_DOWN };

/* The text of a `--` comment line [p, end), trimmed; false when the line
 * is not one. */
static bool comment_line(const char **p, const char **end)
{
    const char *a = *p, *e = *end;
    while (a < e && text_is_blank(*a))
        a++;
    if (e - a < 2 || a[0] != '-' || a[1] != '-')
        return false;
    a += 2;
    while (a < e && text_is_blank(*a))
        a++;
    while (e > a && isspace((unsigned char)e[-1]))
        e--;
    *p = a;
    *end = e;
    return true;
}

/* dbmate's markers are case-sensitive, as dbmate reads them. */
static bool word_at(const char *p, const char *end, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(end - p) >= n && strncmp(p, w, n) == 0 &&
           ((size_t)(end - p) == n || isspace((unsigned char)p[n]));
}

/* "+goose <rest>" -> rest (trimmed); NULL when not a goose annotation. */
static const char *goose_rest(const char *p, const char *end)
{
    if ((size_t)(end - p) < 6 || strncasecmp(p, "+goose", 6) != 0)
        return NULL;
    p += 6;
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

static enum marker line_marker(const char *p, const char *end)
{
    const char *g;
    if (!comment_line(&p, &end))
        return M_NONE;
    if (word_at(p, end, "migrate:up"))
        return M_UP;
    if (word_at(p, end, "migrate:down"))
        return M_DOWN;
    if ((g = goose_rest(p, end)) != NULL) {
        if (end - g == 2 && strncasecmp(g, "up", 2) == 0)
            return M_UP;
        if (end - g == 4 && strncasecmp(g, "down", 4) == 0)
            return M_DOWN;
    }
    return M_NONE;
}

/* goose: `-- +goose NO TRANSACTION` anywhere applies to the whole file. */
static bool goose_no_transaction(const char *text)
{
    for (const char *p = text; p && *p;) {
        const char *end = text_line_end(p), *a = p, *e = end, *g;
        if (comment_line(&a, &e) && (g = goose_rest(a, e)) != NULL &&
            (size_t)(e - g) >= 2 && strncasecmp(g, "NO", 2) == 0) {
            g += 2;
            while (g < e && isspace((unsigned char)*g))
                g++;
            if (e - g == 11 && strncasecmp(g, "TRANSACTION", 11) == 0)
                return true;
        }
        p = text_line_next(end);
    }
    return false;
}

typedef struct section {
    size_t start, end;
    int32_t line;
} section;

typedef struct sections {
    section up, down;
    bool has_down;
} sections;

/* Finds the up/down sections; returns false (with err) on bad markers.
 * Each section begins with its own marker line, so the marker's options
 * (dbmate's `transaction:false`) travel with that direction's SQL. */
static bool find_sections(const char *text, const char *path, sections *out, sbuf *err)
{
    int32_t line = 1, up_line = 0, down_line = 0;
    size_t up_off = 0, down_off = 0, len = strlen(text);
    out->has_down = false;
    for (const char *p = text; p && *p; line++) {
        const char *end = text_line_end(p);
        enum marker mk = line_marker(p, end);
        if (mk != M_NONE) {
            int32_t *seen = mk == M_UP ? &up_line : &down_line;
            if (*seen) {
                sbuf_printf(err, "%s:%d: second %s marker (the first is on line %d)",
                            path, (int)line, mk == M_UP ? "up" : "down", (int)*seen);
                return false;
            }
            *seen = line;
            *(mk == M_UP ? &up_off : &down_off) = (size_t)(p - text);
        }
        p = text_line_next(end);
    }
    if (!up_line && !down_line) {
        out->up = (section){0, len, 1};
        return true;
    }
    if (!up_line) {
        sbuf_printf(err, "%s:%d: down marker but no up marker (add \"-- migrate:up\" or "
                    "\"-- +goose Up\" before the up SQL)", path, (int)down_line);
        return false;
    }
    out->has_down = down_line != 0;
    if (!down_line || down_line > up_line) {
        /* up from the start of the file: what precedes its marker is its header */
        out->up = (section){0, down_line ? down_off : len, 1};
        out->down = (section){down_off, len, down_line};
    } else {
        out->up = (section){up_off, len, up_line};
        out->down = (section){down_off, up_off, down_line};
    }
    return true;
}

/* Puts @directive on a line of its own before *sql (whose first line is
 * *line): for settings that live outside the SQL (diesel's metadata.toml,
 * goose's file-wide NO TRANSACTION), so an embedded copy behaves the same. */
static int carry_directive(char **sql, int32_t *line, const char *directive)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, directive);
    sbuf_puts(&b, "\n");
    sbuf_puts(&b, *sql);
    char *t = sbuf_take(&b);
    if (!t)
        return STRATA_ENOMEM;
    free(*sql);
    *sql = t;
    (*line)--;
    return STRATA_OK;
}

/* Whether the leading directives of @sql already ask for no transaction. */
static bool leading_no_tx(const char *sql)
{
    directives d;
    sbuf ignore; /* a bad directive is reported by migration_finish */
    bool no_tx;
    directives_init(&d);
    sbuf_init(&ignore);
    directives_parse(&d, sql, 1, &ignore);
    no_tx = d.no_transaction;
    directives_clear(&d);
    sbuf_free(&ignore);
    return no_tx;
}

static int carry_goose_no_tx(migration *m)
{
    int rc = STRATA_OK;
    if (!leading_no_tx(m->up_sql))
        rc = carry_directive(&m->up_sql, &m->up_line, "-- +goose NO TRANSACTION");
    if (rc == STRATA_OK && m->down_sql && !leading_no_tx(m->down_sql))
        rc = carry_directive(&m->down_sql, &m->down_line, "-- +goose NO TRANSACTION");
    return rc;
}

int source_load_simple(const source_fs *fs, migration *m, const char *path, sbuf *err)
{
    char *text = NULL;
    sections sc;
    int rc = source_read_text(fs, &text, path, err);
    if (rc)
        return rc;
    if (!find_sections(text, path, &sc, err)) {
        free(text);
        return STRATA_EPARSE;
    }
    m->up_sql = xstrndup(text + sc.up.start, sc.up.end - sc.up.start);
    m->up_line = sc.up.line;
    if (sc.has_down) {
        m->down_sql = xstrndup(text + sc.down.start, sc.down.end - sc.down.start);
        m->down_line = sc.down.line;
        m->down_source = xstrdup(path);
    }
    if (m->up_sql && (!sc.has_down || m->down_sql) && goose_no_transaction(text))
        rc = carry_goose_no_tx(m);
    free(text);
    return rc;
}

/* Reads the file at @path when it exists; *out stays NULL when it does not. */
static int read_optional(const source_fs *fs, char **out, const char *path, sbuf *err)
{
    int kind = path ? fs->kind(fs->ctx, path, err) : STRATA_ENOMEM;
    if (kind < 0)
        return kind;
    return kind == SOURCE_MISSING ? STRATA_OK : source_read_text(fs, out, path, err);
}

/* diesel's metadata.toml: `run_in_transaction = false` (both directions). */
static int metadata_no_tx(const source_fs *fs, const char *dirpath, bool *no_tx, sbuf *err)
{
    char *p = source_join(dirpath, "metadata.toml"), *text = NULL;
    int rc = read_optional(fs, &text, p, err);
    *no_tx = false;
    for (char *l = text; rc == STRATA_OK && l && *l;) {
        char *eol = (char *)text_line_end(l);
        char key[64], val[16], save = *eol;
        *eol = '\0'; /* sscanf stays on this line */
        if (sscanf(l, " %63[a-z_] = %15[a-z]", key, val) == 2 &&
            strcmp(key, "run_in_transaction") == 0 && strcmp(val, "false") == 0)
            *no_tx = true;
        *eol = save;
        l = (char *)text_line_next(eol);
    }
    free(text);
    free(p);
    return rc;
}

int source_load_diesel(const source_fs *fs, migration *m, const char *dirpath, sbuf *err)
{
    char *up = source_join(dirpath, "up.sql"), *down = source_join(dirpath, "down.sql");
    bool no_tx = false;
    int rc = up && down ? source_read_text(fs, &m->up_sql, up, err) : STRATA_ENOMEM;
    m->up_line = 1;
    if (rc == STRATA_OK)
        rc = read_optional(fs, &m->down_sql, down, err);
    if (rc == STRATA_OK && m->down_sql) {
        m->down_line = 1;
        m->down_source = xstrdup(down);
    }
    if (rc == STRATA_OK)
        rc = metadata_no_tx(fs, dirpath, &no_tx, err);
    if (rc == STRATA_OK && no_tx)
        rc = carry_directive(&m->up_sql, &m->up_line, "-- strata:no-transaction");
    if (rc == STRATA_OK && no_tx && m->down_sql)
        rc = carry_directive(&m->down_sql, &m->down_line, "-- strata:no-transaction");
    if (rc == STRATA_OK) {
        free(m->source);
        m->source = xstrdup(up);
    }
    free(up);
    free(down);
    return rc;
}

int source_load_pair(const source_fs *fs, migration *m, const char *up, const char *down,
                     sbuf *err)
{
    int rc = source_read_text(fs, &m->up_sql, up, err);
    m->up_line = 1;
    if (rc || !down)
        return rc;
    rc = source_read_text(fs, &m->down_sql, down, err);
    m->down_line = 1;
    m->down_source = rc ? NULL : xstrdup(down);
    return rc;
}

/* The up and down entries of one version; an error on duplicates. */

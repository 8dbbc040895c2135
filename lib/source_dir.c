/* Directory source: reads the migration layouts of sqlx, golang-migrate,
 * dbmate, goose and diesel as they are. Every `.sql` entry either becomes
 * part of a migration or is an error naming it: nothing is skipped. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "internal.h"

enum kind { K_UP, K_DOWN, K_SIMPLE, K_DIESEL };

typedef struct entry {
    int64_t version;
    enum kind kind;
    char *name;
    char *path;
} entry;

typedef struct entries {
    entry *items;
    size_t n, cap;
} entries;

static void entries_free(entries *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->items[i].name);
        free(e->items[i].path);
    }
    free(e->items);
}

static char *join_path(const char *dir, const char *name)
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
static int read_text(char **out, const char *path, sbuf *err)
{
    FILE *f = fopen(path, "rb");
    sbuf b;
    char chunk[8192];
    size_t n;
    if (!f) {
        sbuf_printf(err, "%s: cannot read: %s (check the file's permissions)", path, strerror(errno));
        return STRATA_EIO;
    }
    sbuf_init(&b);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sbuf_add(&b, chunk, n);
    if (ferror(f)) {
        sbuf_printf(err, "%s: cannot read: %s", path, strerror(errno));
        fclose(f);
        sbuf_free(&b);
        return STRATA_EIO;
    }
    fclose(f);
    if (b.oom) {
        sbuf_free(&b);
        return STRATA_ENOMEM;
    }
    if (b.data && memchr(b.data, '\0', b.len)) {
        size_t off = (size_t)((char *)memchr(b.data, '\0', b.len) - b.data);
        int line = 1;
        for (size_t i = 0; i < off; i++)
            line += b.data[i] == '\n';
        sbuf_printf(err, "%s:%d: NUL byte in the file (is it binary, or UTF-16? save it as UTF-8)", path, line);
        sbuf_free(&b);
        return STRATA_EPARSE;
    }
    char *text = sbuf_take(&b);
    if (!text)
        return STRATA_ENOMEM;
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
        memmove(text, text + 3, strlen(text + 3) + 1);
    *out = text;
    return STRATA_OK;
}

/* "<digits and dashes>_<name>" -> version and display name. */
static bool parse_stem(const char *stem, size_t n, int64_t *version, char **name)
{
    size_t i = 0;
    int64_t v = 0;
    int digits = 0;
    while (i < n && (isdigit((unsigned char)stem[i]) || (stem[i] == '-' && digits))) {
        if (stem[i] != '-') {
            if (v > (INT64_MAX - 9) / 10)
                return false;
            v = v * 10 + (stem[i] - '0');
            digits++;
        }
        i++;
    }
    if (!digits || (i < n && stem[i] != '_'))
        return false;
    if (i < n)
        i++;
    char *nm = xstrndup(stem + i, n - i); /* NULL: add_entry reports ENOMEM */
    for (char *p = nm; p && *p; p++)
        if (*p == '_')
            *p = ' ';
    *version = v;
    *name = nm;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int add_entry(entries *e, int64_t v, enum kind k, char *name, char *path)
{
    if (!name || !path) {
        free(name);
        free(path);
        return STRATA_ENOMEM;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 32;
        entry *p = realloc(e->items, cap * sizeof *p);
        if (!p) {
            free(name);
            free(path);
            return STRATA_ENOMEM;
        }
        e->items = p;
        e->cap = cap;
    }
    e->items[e->n++] = (entry){v, k, name, path};
    return STRATA_OK;
}

static int classify(entries *e, const char *dir, const char *fname, bool is_dir, sbuf *err)
{
    const char *suffix;
    enum kind k;
    int64_t v;
    char *name;
    if (is_dir) {
        char *up = join_path(dir, fname), *upf;
        struct stat st;
        if (!up)
            return STRATA_ENOMEM;
        upf = join_path(up, "up.sql");
        if (!upf) { /* not "no up.sql": a diesel migration would vanish */
            free(up);
            return STRATA_ENOMEM;
        }
        bool diesel = stat(upf, &st) == 0;
        free(upf);
        if (!diesel) {
            free(up);
            return STRATA_OK; /* not a migration: only diesel directories are read */
        }
        if (!parse_stem(fname, strlen(fname), &v, &name)) {
            sbuf_printf(err, "%s: directory holds up.sql but its name is not <version>_<name>", up);
            free(up);
            return STRATA_EPARSE;
        }
        return add_entry(e, v, K_DIESEL, name, up);
    }
    if (!ends_with(fname, ".sql"))
        return STRATA_OK;
    if (ends_with(fname, ".up.sql"))
        k = K_UP, suffix = ".up.sql";
    else if (ends_with(fname, ".down.sql"))
        k = K_DOWN, suffix = ".down.sql";
    else
        k = K_SIMPLE, suffix = ".sql";
    if (!parse_stem(fname, strlen(fname) - strlen(suffix), &v, &name)) {
        sbuf_printf(err, "%s/%s: a migration file name must be <version>_<name>%s "
                    "(e.g. 20240101120000_create_users%s); rename or move it",
                    dir, fname, suffix, suffix);
        return STRATA_EPARSE;
    }
    return add_entry(e, v, k, name, join_path(dir, fname));
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

static int list_dir(entries *e, const char *path, sbuf *err)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int rc = STRATA_OK;
    if (!d) {
        sbuf_printf(err, "%s: cannot open the migration directory: %s "
                    "(create it, or point -m / strata_add_dir at it)", path, strerror(errno));
        return STRATA_EIO;
    }
    while (rc == STRATA_OK && (de = readdir(d)) != NULL) {
        struct stat st;
        char *full;
        if (de->d_name[0] == '.')
            continue;
        full = join_path(path, de->d_name);
        if (!full) {
            rc = STRATA_ENOMEM;
            break;
        }
        if (stat(full, &st) != 0) {
            sbuf_printf(err, "%s: cannot stat: %s", full, strerror(errno));
            rc = STRATA_EIO;
        } else {
            rc = classify(e, path, de->d_name, S_ISDIR(st.st_mode), err);
        }
        free(full);
    }
    closedir(d);
    if (rc == STRATA_OK && e->n) /* an empty directory has no array to sort */
        qsort(e->items, e->n, sizeof *e->items, cmp_entry);
    return rc;
}

/* ---- markers inside one file (dbmate, goose) ---- */

enum marker { M_NONE, M_UP, M_DOWN };

static enum marker line_marker(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 2 || p[0] != '-' || p[1] != '-')
        return M_NONE;
    p += 2;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    size_t n = (size_t)(end - p);
    if (n >= 10 && strncmp(p, "migrate:up", 10) == 0 && (n == 10 || isspace((unsigned char)p[10])))
        return M_UP;
    if (n >= 12 && strncmp(p, "migrate:down", 12) == 0 && (n == 12 || isspace((unsigned char)p[12])))
        return M_DOWN;
    if (n >= 6 && strncasecmp(p, "+goose", 6) == 0) {
        const char *a = p + 6;
        while (a < end && (*a == ' ' || *a == '\t'))
            a++;
        if ((size_t)(end - a) == 2 && strncasecmp(a, "up", 2) == 0)
            return M_UP;
        if ((size_t)(end - a) == 4 && strncasecmp(a, "down", 4) == 0)
            return M_DOWN;
    }
    return M_NONE;
}

typedef struct section {
    size_t start, end;
    int32_t line;
} section;

/* Finds the up/down sections; returns false (with err) on bad markers. */
static bool find_sections(const char *text, const char *path, section *up, section *down,
                          bool *has_down, bool *has_markers, sbuf *err)
{
    const char *p = text;
    int32_t line = 1, up_line = 0, down_line = 0;
    size_t up_off = 0, down_off = 0, down_start = 0;
    *has_down = *has_markers = false;
    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        enum marker mk = line_marker(p, end);
        if (mk != M_NONE) {
            int32_t *seen = mk == M_UP ? &up_line : &down_line;
            if (*seen) {
                sbuf_printf(err, "%s:%d: second %s marker (the first is on line %d)",
                            path, (int)line, mk == M_UP ? "up" : "down", (int)*seen);
                return false;
            }
            *seen = line;
            if (mk == M_UP) {
                up_off = (size_t)(p - text);
            } else {
                down_off = (size_t)(p - text);
                down_start = eol ? (size_t)(eol + 1 - text) : strlen(text);
            }
        }
        if (!eol)
            break;
        p = eol + 1;
        line++;
    }
    size_t len = strlen(text);
    if (!up_line && !down_line) {
        *up = (section){0, len, 1};
        return true;
    }
    *has_markers = true;
    if (!up_line) {
        sbuf_printf(err, "%s:%d: down marker but no up marker (add \"-- migrate:up\" or "
                    "\"-- +goose Up\" before the up SQL)", path, (int)down_line);
        return false;
    }
    if (!down_line || down_line > up_line) {
        /* up from the start of the file: its marker line carries options */
        *up = (section){0, down_line ? down_off : len, 1};
        if (down_line) {
            *down = (section){down_start, len, down_line + 1};
            *has_down = true;
        }
    } else {
        *up = (section){up_off, len, up_line};
        *down = (section){down_start, up_off, down_line + 1};
        *has_down = true;
    }
    return true;
}

static bool only_comments(const char *p, size_t n)
{
    const char *e = p + n;
    while (p < e) {
        while (p < e && isspace((unsigned char)*p))
            p++;
        if (p >= e)
            return true;
        if (e - p >= 2 && p[0] == '-' && p[1] == '-') {
            while (p < e && *p != '\n')
                p++;
            continue;
        }
        return false;
    }
    return true;
}

static int load_simple(migration *m, const entry *en, sbuf *err)
{
    char *text = NULL;
    section up, down;
    bool has_down, has_markers;
    int rc = read_text(&text, en->path, err);
    if (rc)
        return rc;
    if (!find_sections(text, en->path, &up, &down, &has_down, &has_markers, err)) {
        free(text);
        return STRATA_EPARSE;
    }
    m->up_sql = xstrndup(text + up.start, up.end - up.start);
    m->up_line = up.line;
    if (has_down && !only_comments(text + down.start, down.end - down.start)) {
        m->down_sql = xstrndup(text + down.start, down.end - down.start);
        m->down_line = down.line;
        m->down_source = xstrdup(en->path);
    }
    free(text);
    return STRATA_OK;
}

/* 1: run_in_transaction = false; 0: not; STRATA_ENOMEM (never guess "0"). */
static int metadata_no_tx(const char *dirpath)
{
    char *p = join_path(dirpath, "metadata.toml"), *text = NULL;
    sbuf ignore;
    int no_tx = p ? 0 : STRATA_ENOMEM, r = STRATA_EIO;
    sbuf_init(&ignore);
    if (p && (r = read_text(&text, p, &ignore)) == STRATA_ENOMEM)
        no_tx = STRATA_ENOMEM;
    if (r == STRATA_OK) {
        for (char *l = text; l && *l;) {
            char *eol = strchr(l, '\n');
            char key[64];
            char val[16];
            if (sscanf(l, " %63[a-z_] = %15[a-z]", key, val) == 2 &&
                strcmp(key, "run_in_transaction") == 0 && strcmp(val, "false") == 0)
                no_tx = 1;
            l = eol ? eol + 1 : NULL;
        }
    }
    free(text);
    free(p);
    sbuf_free(&ignore);
    return no_tx;
}

static int load_diesel(migration *m, const entry *en, sbuf *err)
{
    char *up = join_path(en->path, "up.sql"), *down = join_path(en->path, "down.sql");
    char *text = NULL;
    struct stat st;
    int rc = up && down ? read_text(&text, up, err) : STRATA_ENOMEM;
    int no_tx = rc == STRATA_OK ? metadata_no_tx(en->path) : 0;
    if (no_tx < 0) {
        free(text);
        rc = no_tx;
    }
    if (rc == STRATA_OK) {
        if (no_tx) {
            /* metadata.toml is not part of the SQL text; carry it as the
             * directive so embedded copies behave the same */
            sbuf b;
            sbuf_init(&b);
            sbuf_puts(&b, "-- strata:no-transaction\n");
            sbuf_puts(&b, text);
            free(text);
            text = sbuf_take(&b);
            m->up_line = 0;
        } else {
            m->up_line = 1;
        }
        m->up_sql = text;
        free(m->source);
        m->source = xstrdup(up);
        if (stat(down, &st) == 0) {
            char *dt = NULL;
            rc = read_text(&dt, down, err);
            if (rc == STRATA_OK && !only_comments(dt, strlen(dt))) {
                m->down_sql = dt;
                m->down_line = 1;
                m->down_source = xstrdup(down);
            } else {
                free(dt);
            }
        }
    }
    free(up);
    free(down);
    return rc;
}

static int load_pair(migration *m, const entry *upe, const entry *downe, sbuf *err)
{
    char *text = NULL;
    int rc = read_text(&text, upe->path, err);
    if (rc)
        return rc;
    m->up_sql = text;
    m->up_line = 1;
    if (downe) {
        rc = read_text(&text, downe->path, err);
        if (rc)
            return rc;
        if (!only_comments(text, strlen(text))) {
            m->down_sql = text;
            m->down_line = 1;
            m->down_source = xstrdup(downe->path);
        } else {
            free(text);
        }
    }
    return STRATA_OK;
}

static int build_one(migset *out, const entries *e, size_t i, size_t j, sbuf *err)
{
    const entry *first = &e->items[i];
    const entry *down = NULL, *up = NULL;
    migration m = {0};
    int rc;
    directives_clear(&m.d);
    for (size_t k = i; k < j; k++) {
        const entry *x = &e->items[k];
        if (x->kind == K_DOWN) {
            if (down) goto dup;
            down = x;
        } else {
            if (up) goto dup;
            up = x;
        }
        continue;
    dup:
        sbuf_printf(err, "%s and %s: both have version %lld (each version must be unique; "
                    "renumber one)", e->items[i].path, x->path, (long long)x->version);
        return STRATA_EDUPLICATE;
    }
    if (!up) {
        sbuf_printf(err, "%s: down migration without an up migration (add the matching "
                    ".up.sql, or remove it)", down->path);
        return STRATA_EPARSE;
    }
    if (down && up->kind != K_UP) {
        sbuf_printf(err, "%s and %s: both have version %lld (each version must be unique)",
                    up->path, down->path, (long long)up->version);
        return STRATA_EDUPLICATE;
    }
    (void)first;
    m.version = up->version;
    m.name = xstrdup(up->name);
    m.source = xstrdup(up->path);
    if (up->kind == K_SIMPLE)
        rc = load_simple(&m, up, err);
    else if (up->kind == K_DIESEL)
        rc = load_diesel(&m, up, err);
    else
        rc = load_pair(&m, up, down, err);
    if (rc == STRATA_OK)
        rc = migration_finish(&m, err);
    if (rc == STRATA_OK) {
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 32;
            migration *p = realloc(out->items, cap * sizeof *p);
            if (!p) {
                migration_clear(&m);
                return STRATA_ENOMEM;
            }
            out->items = p;
            out->cap = cap;
        }
        out->items[out->n++] = m;
        return STRATA_OK;
    }
    migration_clear(&m);
    return rc;
}

int source_read_dir(migset *out, const char *path, sbuf *err)
{
    entries e = {0};
    migset set = {0};
    int rc = list_dir(&e, path, err);
    for (size_t i = 0; rc == STRATA_OK && i < e.n;) {
        size_t j = i + 1;
        while (j < e.n && e.items[j].version == e.items[i].version)
            j++;
        rc = build_one(&set, &e, i, j, err);
        i = j;
    }
    entries_free(&e);
    if (rc) {
        migset_clear(&set);
        return rc;
    }
    *out = set;
    return STRATA_OK;
}

int source_read_file(migset *out, const char *path, sbuf *err)
{
    entries e = {0};
    migset set = {0};
    const char *base = strrchr(path, '/');
    char *dir;
    int rc;
    base = base ? base + 1 : path;
    dir = base == path ? xstrdup(".") : xstrndup(path, (size_t)(base - path - 1));
    if (!dir)
        return STRATA_ENOMEM;
    rc = classify(&e, dir, base, false, err);
    if (rc == STRATA_OK && e.n == 0) {
        sbuf_printf(err, "%s: not a migration file (expected a .sql file)", path);
        rc = STRATA_EPARSE;
    }
    if (rc == STRATA_OK && e.items[0].kind == K_DOWN)
        e.items[0].kind = K_UP; /* linting a down file on its own: read its SQL */
    if (rc == STRATA_OK)
        rc = build_one(&set, &e, 0, 1, err);
    entries_free(&e);
    free(dir);
    if (rc) {
        migset_clear(&set);
        return rc;
    }
    *out = set;
    return STRATA_OK;
}

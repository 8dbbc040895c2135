/* Directory source: reads the migration layouts of sqlx, golang-migrate,
 * dbmate, goose and diesel as they are. An entry whose name begins with a
 * digit either becomes part of a migration or is an error naming it; any
 * other entry is not a migration: reported once (skipped), dotfiles
 * silently. All file access goes through a source_fs (source_dir.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source_dir.h"
#include "source_text.h"

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
    char **skips;             /* paths of entries that are not migrations */
    size_t n_skips, cap_skips;
} entries;

static void entries_free(entries *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->items[i].name);
        free(e->items[i].path);
    }
    for (size_t i = 0; i < e->n_skips; i++)
        free(e->skips[i]);
    free(e->items);
    free(e->skips);
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

/* @p with every byte that is not valid UTF-8 (and every control byte)
 * written as \xNN, so a message can name a file whatever its name holds. */
static void put_escaped(sbuf *b, const char *p)
{
    const unsigned char *s = (const unsigned char *)p;
    while (*s) {
        size_t k = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : 2;
        if (*s >= 0x20 && *s != 0x7F && strnlen((const char *)s, k) == k &&
            utf8_valid((const char *)s, k)) {
            sbuf_add(b, (const char *)s, k);
            s += k;
        } else {
            sbuf_printf(b, "\\x%02x", *s++);
        }
    }
}

/* Reads a whole file; refuses NUL bytes; drops a leading UTF-8 BOM. */
static int read_text(const source_fs *fs, char **out, const char *path, sbuf *err)
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

enum stem { STEM_OK, STEM_BAD, STEM_RANGE, STEM_NOMEM };

/* "<digits and dashes>_<name>" -> version and display name. On STEM_RANGE
 * @digits holds the version as written (for the message). */
static enum stem parse_stem(const char *stem, size_t n, int64_t *version, char **name,
                            sbuf *digits)
{
    size_t i = 0;
    int64_t v = 0;
    bool big = false;
    for (; i < n && (isdigit((unsigned char)stem[i]) || (stem[i] == '-' && digits->len)); i++) {
        if (stem[i] == '-')
            continue;
        sbuf_add(digits, stem + i, 1);
        if (v > (VERSION_MAX - (stem[i] - '0')) / 10)
            big = true;
        else
            v = v * 10 + (stem[i] - '0');
    }
    if (!digits->len || (i < n && stem[i] != '_'))
        return STEM_BAD;
    if (big)
        return STEM_RANGE;
    if (i < n)
        i++;
    char *nm = xstrndup(stem + i, n - i);
    if (!nm)
        return STEM_NOMEM;
    for (char *p = nm; *p; p++)
        if (*p == '_')
            *p = ' ';
    *version = v;
    *name = nm;
    return STEM_OK;
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

static int add_skip(entries *e, const char *path)
{
    char *p = xstrdup(path);
    if (p && e->n_skips == e->cap_skips) {
        size_t cap = e->cap_skips ? e->cap_skips * 2 : 8;
        char **q = realloc(e->skips, cap * sizeof *q);
        if (!q) {
            free(p);
            return STRATA_ENOMEM;
        }
        e->skips = q;
        e->cap_skips = cap;
    }
    if (!p)
        return STRATA_ENOMEM;
    e->skips[e->n_skips++] = p;
    return STRATA_OK;
}

/* The state of one directory listing. */
typedef struct lister {
    const source_fs *fs;
    const char *dir;
    entries *e;
    sbuf *err;
} lister;

static int bad_stem(enum stem st, const char *path, const char *suffix, sbuf *digits, sbuf *err)
{
    if (st == STEM_NOMEM)
        return STRATA_ENOMEM;
    if (st == STEM_RANGE) {
        sbuf_printf(err, "%s: version %s is out of range (at most %lld); renumber it", path,
                    digits->data, (long long)VERSION_MAX);
        return STRATA_EPARSE;
    }
    sbuf_printf(err, "%s: a migration %s name must be <version>_<name>%s "
                "(e.g. 20240101120000_create_users%s); rename or move it",
                path, *suffix ? "file" : "directory", suffix, suffix);
    return STRATA_EPARSE;
}

/* A diesel directory: <version>_<name>/up.sql (down.sql, metadata.toml). */
static int classify_dir(lister *l, const char *name, char *full)
{
    char *upf = join_path(full, "up.sql");
    int kind = upf ? l->fs->kind(l->fs->ctx, upf, l->err) : STRATA_ENOMEM;
    int64_t v;
    char *nm = NULL;
    sbuf digits;
    free(upf);
    if (kind < 0) {
        free(full);
        return kind;
    }
    if (kind == SOURCE_MISSING) {
        sbuf_printf(l->err, "%s: a directory named like a migration holds no up.sql "
                    "(diesel layout: <version>_<name>/up.sql); add it, or rename or move "
                    "the directory", full);
        free(full);
        return STRATA_EPARSE;
    }
    sbuf_init(&digits);
    enum stem st = parse_stem(name, strlen(name), &v, &nm, &digits);
    int rc = st == STEM_OK ? add_entry(l->e, v, K_DIESEL, nm, full)
                           : bad_stem(st, full, "", &digits, l->err);
    if (st != STEM_OK)
        free(full);
    sbuf_free(&digits);
    return rc;
}

/* A file named like a migration: X.up.sql, X.down.sql or X.sql. */
static int classify_file(lister *l, const char *name, char *full)
{
    const char *suffix;
    enum kind k;
    int64_t v;
    char *nm = NULL;
    sbuf digits;
    if (!ends_with(name, ".sql")) {
        sbuf_printf(l->err, "%s: named like a migration (it begins with a digit) but does not "
                    "end in .sql; rename or move it", full);
        free(full);
        return STRATA_EPARSE;
    }
    if (ends_with(name, ".up.sql"))
        k = K_UP, suffix = ".up.sql";
    else if (ends_with(name, ".down.sql"))
        k = K_DOWN, suffix = ".down.sql";
    else
        k = K_SIMPLE, suffix = ".sql";
    sbuf_init(&digits);
    enum stem st = parse_stem(name, strlen(name) - strlen(suffix), &v, &nm, &digits);
    int rc = st == STEM_OK ? add_entry(l->e, v, k, nm, full)
                           : bad_stem(st, full, suffix, &digits, l->err);
    if (st != STEM_OK)
        free(full);
    sbuf_free(&digits);
    return rc;
}

/* One directory entry: a migration part, a skipped entry, or an error. */
static int classify(void *arg, const char *name)
{
    lister *l = arg;
    char *full;
    int kind;
    if (name[0] == '.')
        return STRATA_OK; /* .keep, .gitkeep, editor state: silently */
    if (!(full = join_path(l->dir, name)))
        return STRATA_ENOMEM;
    if (!utf8_valid(full, strlen(full))) {
        put_escaped(l->err, full);
        sbuf_puts(l->err, ": the file name is not valid UTF-8; rename it");
        free(full);
        return STRATA_EPARSE;
    }
    if (!isdigit((unsigned char)name[0])) {
        int rc = add_skip(l->e, full); /* README.md, seeds/, atlas.sum */
        free(full);
        return rc;
    }
    kind = l->fs->kind(l->fs->ctx, full, l->err);
    if (kind < 0) {
        free(full);
        return kind;
    }
    /* missing (a dangling link) or not a regular file: the read says so */
    return kind == SOURCE_DIR ? classify_dir(l, name, full) : classify_file(l, name, full);
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const source_fs *fs, entries *e, const char *path, sbuf *err)
{
    lister l = {fs, path, e, err};
    int rc = fs->list(fs->ctx, path, classify, &l, err);
    if (rc == STRATA_OK) {
        qsort(e->items, e->n, sizeof *e->items, cmp_entry);
        qsort(e->skips, e->n_skips, sizeof *e->skips, cmp_str);
    }
    return rc;
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

static int load_simple(const source_fs *fs, migration *m, const entry *en, sbuf *err)
{
    char *text = NULL;
    sections sc;
    int rc = read_text(fs, &text, en->path, err);
    if (rc)
        return rc;
    if (!find_sections(text, en->path, &sc, err)) {
        free(text);
        return STRATA_EPARSE;
    }
    m->up_sql = xstrndup(text + sc.up.start, sc.up.end - sc.up.start);
    m->up_line = sc.up.line;
    if (sc.has_down) {
        m->down_sql = xstrndup(text + sc.down.start, sc.down.end - sc.down.start);
        m->down_line = sc.down.line;
        m->down_source = xstrdup(en->path);
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
    return kind == SOURCE_MISSING ? STRATA_OK : read_text(fs, out, path, err);
}

/* diesel's metadata.toml: `run_in_transaction = false` (both directions). */
static int metadata_no_tx(const source_fs *fs, const char *dirpath, bool *no_tx, sbuf *err)
{
    char *p = join_path(dirpath, "metadata.toml"), *text = NULL;
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

static int load_diesel(const source_fs *fs, migration *m, const entry *en, sbuf *err)
{
    char *up = join_path(en->path, "up.sql"), *down = join_path(en->path, "down.sql");
    bool no_tx = false;
    int rc = up && down ? read_text(fs, &m->up_sql, up, err) : STRATA_ENOMEM;
    m->up_line = 1;
    if (rc == STRATA_OK)
        rc = read_optional(fs, &m->down_sql, down, err);
    if (rc == STRATA_OK && m->down_sql) {
        m->down_line = 1;
        m->down_source = xstrdup(down);
    }
    if (rc == STRATA_OK)
        rc = metadata_no_tx(fs, en->path, &no_tx, err);
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

static int load_pair(const source_fs *fs, migration *m, const entry *upe, const entry *downe,
                     sbuf *err)
{
    int rc = read_text(fs, &m->up_sql, upe->path, err);
    m->up_line = 1;
    if (rc || !downe)
        return rc;
    rc = read_text(fs, &m->down_sql, downe->path, err);
    m->down_line = 1;
    m->down_source = rc ? NULL : xstrdup(downe->path);
    return rc;
}

/* The up and down entries of one version; an error on duplicates. */
static int pick_parts(const entries *e, size_t i, size_t j, const entry **up, const entry **down,
                      sbuf *err)
{
    *up = *down = NULL;
    for (size_t k = i; k < j; k++) {
        const entry *x = &e->items[k];
        const entry **slot = x->kind == K_DOWN ? down : up;
        if (*slot) {
            sbuf_printf(err, "%s and %s: both have version %lld (each version must be unique; "
                        "renumber one)", (*slot)->path, x->path, (long long)x->version);
            return STRATA_EDUPLICATE;
        }
        *slot = x;
    }
    if (!*up) {
        sbuf_printf(err, "%s: down migration without an up migration (add the matching "
                    ".up.sql, or remove it)", (*down)->path);
        return STRATA_EPARSE;
    }
    if (*down && (*up)->kind != K_UP) {
        sbuf_printf(err, "%s and %s: both have version %lld (each version must be unique)",
                    (*up)->path, (*down)->path, (long long)(*up)->version);
        return STRATA_EDUPLICATE;
    }
    return STRATA_OK;
}

static int push(migset *out, migration *m)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 32;
        migration *p = realloc(out->items, cap * sizeof *p);
        if (!p)
            return STRATA_ENOMEM;
        out->items = p;
        out->cap = cap;
    }
    out->items[out->n++] = *m;
    return STRATA_OK;
}

static int build_one(const source_fs *fs, migset *out, const entries *e, size_t i, size_t j,
                     sbuf *err)
{
    const entry *down, *up;
    migration m = {0};
    int rc = pick_parts(e, i, j, &up, &down, err);
    if (rc)
        return rc;
    directives_init(&m.d);
    directives_init(&m.down_d);
    m.version = up->version;
    m.name = xstrdup(up->name);
    m.source = xstrdup(up->path);
    if (up->kind == K_SIMPLE)
        rc = load_simple(fs, &m, up, err);
    else if (up->kind == K_DIESEL)
        rc = load_diesel(fs, &m, up, err);
    else
        rc = load_pair(fs, &m, up, down, err);
    if (rc == STRATA_OK)
        rc = migration_finish(&m, err);
    if (rc == STRATA_OK)
        rc = push(out, &m);
    if (rc)
        migration_clear(&m);
    return rc;
}

static int build_all(const source_fs *fs, migset *out, const entries *e, sbuf *err)
{
    migset set = {0};
    int rc = STRATA_OK;
    for (size_t i = 0; rc == STRATA_OK && i < e->n;) {
        size_t j = i + 1;
        while (j < e->n && e->items[j].version == e->items[i].version)
            j++;
        rc = build_one(fs, &set, e, i, j, err);
        i = j;
    }
    if (rc) {
        migset_clear(&set);
        return rc;
    }
    *out = set;
    return STRATA_OK;
}

int source_read_dir_fs(const source_fs *fs, migset *out, const char *path,
                       source_skip_fn skipped, void *arg, sbuf *err)
{
    entries e = {0};
    int rc = list_dir(fs, &e, path, err);
    if (rc == STRATA_OK)
        rc = build_all(fs, out, &e, err);
    for (size_t i = 0; rc == STRATA_OK && skipped && i < e.n_skips; i++)
        skipped(arg, e.skips[i]);
    entries_free(&e);
    return rc;
}

/* The other half of a pair given by one file: "X.up.sql" -> "X.down.sql". */
static char *sibling(const char *path, const char *from, const char *to)
{
    size_t n = strlen(path) - strlen(from);
    sbuf b;
    sbuf_init(&b);
    sbuf_add(&b, path, n);
    sbuf_puts(&b, to);
    return sbuf_take(&b);
}

/* Adds the other half of the pair @e->items[0] when it exists beside it. */
static int add_sibling(const source_fs *fs, entries *e, sbuf *err)
{
    const entry *x = &e->items[0];
    bool up = x->kind == K_UP;
    char *other = sibling(x->path, up ? ".up.sql" : ".down.sql", up ? ".down.sql" : ".up.sql");
    int kind = other ? fs->kind(fs->ctx, other, err) : STRATA_ENOMEM;
    if (kind < 0 || kind == SOURCE_MISSING) {
        free(other);
        return kind < 0 ? kind : STRATA_OK; /* a lone .down.sql: pick_parts says so */
    }
    return add_entry(e, x->version, up ? K_DOWN : K_UP, xstrdup(x->name), other);
}

/* One migration named by its file; a pair's other half is read beside it. */
int source_read_file_fs(const source_fs *fs, migset *out, const char *path, sbuf *err)
{
    entries e = {0};
    const char *base = strrchr(path, '/');
    char *dir;
    int rc;
    base = base ? base + 1 : path;
    /* "/1_a.sql" lives in "/", not in "" (which would read ./1_a.sql) */
    dir = base == path ? xstrdup(".") : xstrndup(path, base - path > 1 ? (size_t)(base - path - 1) : 1);
    if (!dir)
        return STRATA_ENOMEM;
    lister l = {fs, dir, &e, err};
    rc = classify(&l, base);
    if (rc == STRATA_OK && e.n == 0) {
        sbuf_printf(err, "%s: not a migration file (expected <version>_<name>.sql)", path);
        rc = STRATA_EPARSE;
    }
    if (rc == STRATA_OK && (e.items[0].kind == K_UP || e.items[0].kind == K_DOWN))
        rc = add_sibling(fs, &e, err);
    if (rc == STRATA_OK) {
        qsort(e.items, e.n, sizeof *e.items, cmp_entry);
        rc = build_all(fs, out, &e, err);
    }
    entries_free(&e);
    free(dir);
    return rc;
}

int source_read_dir(migset *out, const char *path, source_skip_fn skipped, void *arg, sbuf *err)
{
    return source_read_dir_fs(source_fs_posix(), out, path, skipped, arg, err);
}

int source_read_file(migset *out, const char *path, sbuf *err)
{
    return source_read_file_fs(source_fs_posix(), out, path, err);
}

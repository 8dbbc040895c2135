/* Directory source: reads the migration layouts of sqlx, golang-migrate,
 * dbmate, goose and diesel as they are. An entry whose name begins with a
 * digit either becomes part of a migration or is an error naming it; any
 * other entry is not a migration: reported once (skipped), dotfiles
 * silently. All file access goes through a source_fs (source_dir.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "source_dir.h"
#include "source_load.h"
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
    if (digits->oom) /* not a bad name: the copy of its digits failed */
        return STEM_NOMEM;
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
    char *upf = source_join(full, "up.sql");
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
    if (!(full = source_join(l->dir, name)))
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
    /* qsort wants a non-NULL array even for 0 items (an empty directory) */
    if (rc == STRATA_OK && e->n)
        qsort(e->items, e->n, sizeof *e->items, cmp_entry);
    if (rc == STRATA_OK && e->n_skips)
        qsort(e->skips, e->n_skips, sizeof *e->skips, cmp_str);
    return rc;
}

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
        rc = source_load_simple(fs, &m, up->path, err);
    else if (up->kind == K_DIESEL)
        rc = source_load_diesel(fs, &m, up->path, err);
    else
        rc = source_load_pair(fs, &m, up->path, down ? down->path : NULL, err);
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

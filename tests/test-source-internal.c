/* The reader's private side: the file-system seam (lib/source_dir.h) fed an
 * in-memory tree, and the fields the runtime consumes (empty ups and downs,
 * the down's comment, the down's own directives). Linked with libstrata's
 * objects, not its exports. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "source_dir.h"

const bool test_needs_pg = false;

/* ---- an in-memory tree ---- */

typedef struct mem_node {
    const char *path;
    int kind;             /* enum source_kind */
    const char *content;  /* files */
} mem_node;

typedef struct mem_tree {
    const mem_node *nodes;
    size_t n;
    int reads;
} mem_tree;

static const mem_node *mem_find(mem_tree *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->nodes[i].path, path) == 0)
            return &t->nodes[i];
    return NULL;
}

static int mem_list(void *ctx, const char *path, source_entry_fn fn, void *arg, sbuf *err)
{
    mem_tree *t = ctx;
    size_t n = strlen(path);
    int rc = STRATA_OK;
    if (!mem_find(t, path)) {
        sbuf_printf(err, "%s: no such directory", path);
        return STRATA_EIO;
    }
    for (size_t i = 0; i < t->n && rc == STRATA_OK; i++) {
        const char *p = t->nodes[i].path;
        if (strncmp(p, path, n) == 0 && p[n] == '/' && !strchr(p + n + 1, '/'))
            rc = fn(arg, p + n + 1);
    }
    return rc;
}

static int mem_kind(void *ctx, const char *path, sbuf *err)
{
    const mem_node *nd = mem_find(ctx, path);
    (void)err;
    return nd ? nd->kind : SOURCE_MISSING;
}

static int mem_read(void *ctx, const char *path, char **out, size_t *len, sbuf *err)
{
    mem_tree *t = ctx;
    const mem_node *nd = mem_find(t, path);
    if (!nd || nd->kind != SOURCE_FILE) {
        sbuf_printf(err, "%s: not a regular file", path);
        return STRATA_EIO;
    }
    t->reads++;
    *len = strlen(nd->content);
    *out = xstrdup(nd->content);
    return *out ? STRATA_OK : STRATA_ENOMEM;
}

static void collect_skip(void *arg, const char *path)
{
    sbuf *b = arg;
    sbuf_printf(b, "%s\n", path);
}

static const mem_node tree[] = {
    {"mem", SOURCE_DIR, NULL},
    {"mem/README.md", SOURCE_FILE, "docs"},
    {"mem/.keep", SOURCE_FILE, ""},
    /* a fresh template: listed, flagged empty */
    {"mem/1_new.up.sql", SOURCE_FILE, "-- Add your SQL here\n/* and here */\n;\n\f"},
    {"mem/1_new.down.sql", SOURCE_FILE, "\n--   Not reversible: the data is gone  \n-- more\n"},
    /* dbmate: each direction its own transaction mode */
    {"mem/2_dbmate.sql", SOURCE_FILE, "-- migrate:up\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
                                      "-- migrate:down transaction:false\n"
                                      "-- strata:lock-timeout 3s\nDROP INDEX CONCURRENTLY i;\n"},
    /* goose: NO TRANSACTION is file-wide */
    {"mem/3_goose.sql", SOURCE_FILE, "-- +goose Up\nCREATE INDEX CONCURRENTLY j ON t (a);\n"
                                     "-- +goose NO TRANSACTION\n"
                                     "-- +goose Down\nDROP INDEX CONCURRENTLY j;\n"},
    /* diesel: metadata.toml covers both directions */
    {"mem/4_diesel", SOURCE_DIR, NULL},
    {"mem/4_diesel/up.sql", SOURCE_FILE, "CREATE INDEX CONCURRENTLY k ON t (a);\n"},
    {"mem/4_diesel/down.sql", SOURCE_FILE, "/* Not reversible\n   at all */\n"},
    {"mem/4_diesel/metadata.toml", SOURCE_FILE, "run_in_transaction = false\r\n"},
    /* a pair whose down has its own directive; the up does not */
    {"mem/5_pair.up.sql", SOURCE_FILE, "CREATE TABLE p (id int);\n"},
    {"mem/5_pair.down.sql", SOURCE_FILE, "-- strata:no-transaction\nDROP TABLE p;\n"},
};

START_TEST(seam_reads_memory_tree)
{
    mem_tree t = {tree, sizeof tree / sizeof *tree, 0};
    source_fs fs = {&t, mem_list, mem_kind, mem_read};
    migset set = {0};
    sbuf err, skips;
    sbuf_init(&err);
    sbuf_init(&skips);
    int rc = source_read_dir_fs(&fs, &set, "mem", collect_skip, &skips, &err);
    ck_assert_msg(rc == STRATA_OK, "%d: %s", rc, err.data ? err.data : "");
    ck_assert_uint_eq(set.n, 5);
    ck_assert_int_eq(t.reads, 9); /* every file once; README.md never */
    ck_assert_str_eq(skips.data, "mem/README.md\n");
    for (size_t i = 0; i < set.n; i++)
        migration_classify(&set.items[i]); /* on first use, not at load */

    const migration *m = &set.items[0];
    ck_assert(m->up_empty);
    ck_assert(m->down_empty);
    ck_assert_str_eq(m->down_comment, "Not reversible: the data is gone");

    m = &set.items[1];
    ck_assert(!m->up_empty && !m->down_empty);
    ck_assert(!m->d.no_transaction);
    ck_assert(m->down_d.no_transaction);
    ck_assert(migration_down_no_transaction(m));
    ck_assert_int_eq(m->down_d.lock_timeout_ms, 3000);
    ck_assert_int_eq(m->d.lock_timeout_ms, -1);
    ck_assert_int_eq(m->down_line, 3);

    m = &set.items[2];
    ck_assert(m->d.no_transaction && m->down_d.no_transaction);

    m = &set.items[3];
    ck_assert(m->d.no_transaction && m->down_d.no_transaction);
    ck_assert(m->down_empty);
    ck_assert_str_eq(m->down_comment, "Not reversible");
    ck_assert_str_eq(m->source, "mem/4_diesel/up.sql");

    m = &set.items[4];
    ck_assert(!m->d.no_transaction && m->down_d.no_transaction);
    ck_assert(!m->down_empty);
    ck_assert_ptr_null(m->down_comment);
    migset_clear(&set);
    sbuf_free(&err);
    sbuf_free(&skips);
}
END_TEST

START_TEST(seam_errors_name_the_path)
{
    static const mem_node bad[] = {
        {"d", SOURCE_DIR, NULL},
        {"d/1_pipe.sql", SOURCE_OTHER, NULL},
    };
    mem_tree t = {bad, 2, 0};
    source_fs fs = {&t, mem_list, mem_kind, mem_read};
    migset set = {0};
    sbuf err;
    sbuf_init(&err);
    ck_assert_int_eq(source_read_dir_fs(&fs, &set, "d", NULL, NULL, &err), STRATA_EIO);
    ck_assert_ptr_nonnull(strstr(err.data, "d/1_pipe.sql"));
    ck_assert_uint_eq(set.n, 0);
    sbuf_free(&err);
}
END_TEST

START_TEST(missing_down_is_not_empty)
{
    migration m = {0};
    sbuf err;
    sbuf_init(&err);
    m.version = 0;
    m.name = xstrdup("x");
    m.source = xstrdup("0_x");
    m.up_sql = xstrdup("SELECT 1; -- trailing");
    m.up_line = 1;
    ck_assert_int_eq(migration_finish(&m, &err), STRATA_OK);
    migration_classify(&m);
    ck_assert(!m.up_empty && !m.down_empty);
    ck_assert_ptr_null(m.down_sql);
    ck_assert(!migration_down_no_transaction(&m));
    migration_clear(&m);
    sbuf_free(&err);
}
END_TEST

Suite *test_suite(void)
{
    Suite *s = suite_create("source-internal");
    TCase *tc = tcase_create("seam");
    tcase_add_test(tc, seam_reads_memory_tree);
    tcase_add_test(tc, seam_errors_name_the_path);
    tcase_add_test(tc, missing_down_is_not_empty);
    suite_add_tcase(s, tc);
    return s;
}

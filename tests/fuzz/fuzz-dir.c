/* Fuzz target: the directory reader, through the public strata_add_dir on
 * a temporary directory built from the input (see fz_tree in fuzz.h: file
 * names, dbmate/goose markers, diesel directories with up.sql, down.sql and
 * metadata.toml). An in-memory seam in lib/source_dir.c is being added on
 * another branch; until it lands this target pays for real files.
 * Properties: the read terminates; a failure adds nothing and has a
 * message; a success lists migrations in strictly increasing version order,
 * each with an up (possibly empty: a fresh template) and a source path inside
 * the directory. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "strata.h"

static void check_set(const strata *s, const char *root)
{
    size_t n = strata_migration_count(s);
    int64_t prev = -1;
    for (size_t i = 0; i < n; i++) {
        strata_migration_def d;
        const char *src = strata_migration_source(s, i);
        if (strata_migration_get(s, i, &d) != STRATA_OK || !d.up_sql || !d.name)
            fz_fail("migration %zu incomplete", i);
        if (d.version <= prev)
            fz_fail("version %lld after %lld", (long long)d.version, (long long)prev);
        if (!src || strncmp(src, root, strlen(root)) != 0)
            fz_fail("source %s outside %s", src ? src : "(null)", root);
        prev = d.version;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *root = fz_tmpdir();
    strata *s = NULL;
    fz_tree(root, data, size);
    if (strata_open(&s, NULL) != STRATA_OK)
        fz_fail("strata_open(NULL) failed");
    int rc = strata_add_dir(s, root);
    if (rc == STRATA_OK)
        check_set(s, root);
    else if (strata_migration_count(s) != 0 || !*strata_errmsg(s))
        fz_fail("failed read (%d) left migrations or no message", rc);
    strata_close(s);
    fz_rmrf(root);
    free(root);
    return 0;
}

/* Fuzz target: the public API with arbitrary definitions:
 * strata_add_migrations, strata_migration_count/get/source, strata_lint.
 * Input: records, each starting with a line "@@ VERSION NAME"; the record's
 * text is its up, up to a line "@@down" after which comes its down. A
 * record whose text is exactly "@@null" has a NULL up. Text before the
 * first record is the up of version 1.
 * Properties: adding is all-or-nothing; on success the set lists every
 * definition once, in version order, strings byte-exact; adding the same
 * definitions again is refused as duplicates and changes nothing. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "strata.h"

#define MAX_DEFS 16

typedef struct defs {
    strata_migration_def d[MAX_DEFS];
    char *text[MAX_DEFS];
    size_t n;
} defs;

static void add_record(defs *ds, int64_t version, char *name, char *text)
{
    strata_migration_def *d = &ds->d[ds->n];
    char *down = strstr(text, "\n@@down\n");
    d->version = version;
    d->name = name;
    d->up_sql = strcmp(text, "@@null") == 0 ? NULL : text;
    d->down_sql = NULL;
    if (down) {
        *down = '\0';
        d->down_sql = down + 8;
    }
    ds->text[ds->n++] = text;
}

/* Splits @s (modified in place) into records. */
static void decode(defs *ds, char *s)
{
    char *p = s;
    int64_t version = 1;
    char *name = "first";
    if (strncmp(p, "@@ ", 3) != 0) {
        char *h = strstr(p, "\n@@ ");
        if (h)
            *h = '\0';
        add_record(ds, version, name, p);
        p = h ? h + 1 : NULL;
    }
    while (p && ds->n < MAX_DEFS) {
        char *eol = strchr(p, '\n');
        char *next = eol ? strstr(eol, "\n@@ ") : NULL;
        if (next)
            *next = '\0';
        if (eol)
            *eol = '\0';
        version = strtoll(p + 3, &name, 10);
        while (*name == ' ')
            name++;
        static char empty[1];
        add_record(ds, version, name, !eol || next == eol ? empty : eol + 1);
        p = next ? next + 1 : NULL;
    }
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_listed(const strata *s, const defs *ds)
{
    size_t n = strata_migration_count(s);
    if (n != ds->n)
        fz_fail("%zu definitions added, %zu listed", ds->n, n);
    for (size_t i = 0; i < n; i++) {
        strata_migration_def g;
        if (strata_migration_get(s, i, &g) != STRATA_OK || !strata_migration_source(s, i))
            fz_fail("migration %zu not readable", i);
        if (i > 0) {
            strata_migration_def prev;
            strata_migration_get(s, i - 1, &prev);
            if (prev.version >= g.version)
                fz_fail("versions out of order at %zu", i);
        }
        size_t k = 0;
        while (k < ds->n && ds->d[k].version != g.version)
            k++;
        if (k == ds->n)
            fz_fail("listed version %lld was not added", (long long)g.version);
        if (!same(g.up_sql, ds->d[k].up_sql) || !same(g.down_sql, ds->d[k].down_sql) ||
            !same(g.name, ds->d[k].name ? ds->d[k].name : ""))
            fz_fail("version %lld: strings differ from the definition", (long long)g.version);
    }
    strata_migration_def g;
    if (strata_migration_get(s, n, &g) != STRATA_ENOTFOUND || strata_migration_source(s, n))
        fz_fail("index past the end not refused");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_cstr(data, size);
    defs ds = {0};
    strata *h = NULL;
    decode(&ds, s);
    if (strata_open(&h, NULL) != STRATA_OK)
        fz_fail("strata_open(NULL) failed");
    int rc = strata_add_migrations(h, ds.d, ds.n);
    if (rc != STRATA_OK) {
        if (strata_migration_count(h) != 0 || !*strata_errmsg(h))
            fz_fail("failed add (%d) left %zu migrations or no message", rc,
                    strata_migration_count(h));
    } else {
        check_listed(h, &ds);
        if (ds.n > 0 && strata_add_migrations(h, ds.d, ds.n) != STRATA_EDUPLICATE)
            fz_fail("adding the same definitions twice was not refused");
        check_listed(h, &ds);
        strata_lint_report *r = NULL;
        if (strata_lint(h, &r) == STRATA_OK && strata_lint_count(r) > 0 && !strata_lint_get(r, 0))
            fz_fail("lint count without findings");
        strata_lint_report_free(r);
    }
    strata_close(h);
    free(s);
    return 0;
}

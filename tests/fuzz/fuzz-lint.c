/* Fuzz target: the linter on arbitrary SQL, offline (no database: every
 * migration is linted). The input is the up of migration 1; when it holds a
 * line "-- fuzz:next", the rest becomes migration 2, so rules that look at
 * earlier migrations (tables created, checks validated) get context.
 * Properties: strata_lint succeeds or fails with a message; every finding
 * has a rule, a message, a known severity and a position inside its file. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "strata.h"

static int32_t count_lines(const char *s)
{
    int32_t n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void check_report(const strata_lint_report *r, const char *up1, const char *up2)
{
    size_t n = strata_lint_count(r);
    for (size_t i = 0; i < n; i++) {
        const strata_lint_finding *f = strata_lint_get(r, i);
        if (!f || !f->rule || !*f->rule || !f->message || !f->file)
            fz_fail("finding %zu incomplete", i);
        if (f->severity < STRATA_SEVERITY_INFO || f->severity > STRATA_SEVERITY_ERROR)
            fz_fail("finding %zu: severity %d", i, (int)f->severity);
        const char *text = f->version == 1 ? up1 : up2;
        if (!text || f->line < 1 || f->line > count_lines(text) + 1 || f->column < 1)
            fz_fail("finding %zu (%s): position %d:%d outside version %lld", i, f->rule,
                    (int)f->line, (int)f->column, (long long)f->version);
    }
    if (strata_lint_get(r, n) != NULL)
        fz_fail("strata_lint_get past the end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = fz_cstr(data, size);
    char *next = strstr(sql, "\n-- fuzz:next\n");
    strata_migration_def defs[2] = {{1, "one", sql, NULL}, {2, "two", NULL, NULL}};
    size_t n = 1;
    strata *s = NULL;
    strata_lint_report *r = NULL;
    if (next) {
        *next = '\0';
        defs[1].up_sql = next + 14;
        n = 2;
    }
    if (strata_open(&s, NULL) != STRATA_OK)
        fz_fail("strata_open(NULL) failed");
    if (strata_add_migrations(s, defs, n) == STRATA_OK) {
        int rc = strata_lint(s, &r);
        if (rc == STRATA_OK)
            check_report(r, defs[0].up_sql, defs[1].up_sql);
        else if (!*strata_errmsg(s))
            fz_fail("strata_lint failed (%d) without a message", rc);
        strata_lint_report_free(r);
    } else if (!*strata_errmsg(s)) {
        fz_fail("strata_add_migrations failed without a message");
    }
    strata_close(s);
    free(sql);
    return 0;
}

/* strata status: every version and its state. */
#include "cli.h"

#include <string.h>

int cli_status_or_verify(cli *c, int argc, char **argv, bool verify)
{
    bool exit_code = false;
    for (int i = 1; i < argc; i++) {
        if (!verify && strcmp(argv[i], "--exit-code") == 0)
            exit_code = true;
        else if (strcmp(argv[i], "--json") == 0)
            c->json = true;
        else if (strcmp(argv[i], "--help") == 0) {
            puts(verify ? "usage: strata verify\nFails (exit 1) when an applied migration's file changed."
                        : "usage: strata status [--exit-code]\nLists every version and its state; "
                          "--exit-code exits 3 when something is pending.");
            return EXIT_OK;
        } else
            return cli_usage_error("status: unexpected argument '%s'", argv[i]);
    }
    int rc = cli_prepare(c, false, true);
    strata_status_list *st = NULL;
    if (rc)
        return rc;
    if (strata_status(c->s, &st))
        return cli_fail(c, "status");
    size_t pending = 0, bad = 0;
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        if (r->state == STRATA_STATE_PENDING || r->state == STRATA_STATE_OUT_OF_ORDER)
            pending++;
        if (r->state == STRATA_STATE_MODIFIED || r->state == STRATA_STATE_DIRTY) {
            bad++;
            if (verify && r->state == STRATA_STATE_DIRTY)
                fprintf(stderr, "dirty: %lld %s failed at statement %d (resolve with `strata up "
                                "--resume` or `strata force %lld`)\n",
                        (long long)r->version, r->name, (int)r->failed_statement, (long long)r->version);
        }
    }
    if (verify) {
        for (size_t i = 0; i < strata_migration_count(c->s); i++) {
            strata_migration_def d;
            strata_migration_get(c->s, i, &d);
            for (size_t k = 0; k < strata_status_count(st); k++) {
                const strata_status_row *r = strata_status_get(st, k);
                if (r->version == d.version && r->state == STRATA_STATE_MODIFIED)
                    fprintf(stderr, "%s: applied migration %lld was edited after it was applied "
                                    "(restore it, or record the edit with `strata accept %lld`)\n",
                            strata_migration_source(c->s, i), (long long)d.version, (long long)d.version);
            }
        }
        if (c->json)
            printf("{\"ok\": %s, \"problems\": %zu}\n", bad ? "false" : "true", bad);
        else if (!bad && !c->quiet)
            fprintf(stderr, "verified: every applied migration matches its file\n");
    } else if (c->json) {
        out_status_json(stdout, st);
    } else {
        out_status_table(stdout, st, &c->style);
    }
    strata_status_free(st);
    if (verify)
        return bad ? EXIT_FAIL : EXIT_OK;
    return exit_code && pending ? EXIT_PENDING : EXIT_OK;
}

int cmd_status(cli *c, int argc, char **argv)
{
    return cli_status_or_verify(c, argc, argv, false);
}

/* strata redo: revert the last applied migration and apply it again. */
#include "cli.h"

#include <string.h>

#include "hints.h"
#include "weak.h"

/* Without strata_redo in the library: revert one step, then apply the
 * version the revert reported (recorded from events even with -q). */
static int redo_fallback(cli *c, int64_t *version)
{
    int rc = strata_revert_steps(c->s, 1);
    if (rc)
        return rc;
    if (c->last_reverted < 0)
        return STRATA_ENOTFOUND;
    *version = c->last_reverted;
    return strata_apply(c->s, c->last_reverted);
}

int cmd_redo(cli *c, int argc, char **argv)
{
    int64_t version = -1;
    int rc;
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_help(stdout, "redo");
        return EXIT_OK;
    }
    if (argc > 1)
        return cli_usage_error(c, "redo: unexpected argument '%s'", argv[1]);
    if ((rc = cli_prepare(c, false, true)) || (rc = cli_check_dir_matches(c)))
        return rc;
    cli_install_interrupt(c);
    rc = strata_redo ? strata_redo(c->s, 1, &version) : redo_fallback(c, &version);
    if (rc == STRATA_ENOTFOUND && c->reverted.n == 0) {
        if (c->json)
            fputs("{\"reverted\": [], \"applied\": []}\n", stdout);
        else if (!c->quiet)
            fprintf(stderr, "nothing to redo: no migration is applied\n");
        return EXIT_OK;
    }
    if (rc) {
        rc = cli_fail(c, rc, "redo");
        hint_after_revert(c);
        return rc;
    }
    if (c->json) {
        jw w;
        jw_init(&w, stdout);
        jw_obj(&w);
        cli_json_done(&w, "reverted", &c->reverted);
        cli_json_done(&w, "applied", &c->applied);
        jw_obj_end(&w);
    }
    return EXIT_OK;
}

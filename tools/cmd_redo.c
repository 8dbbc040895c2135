/* strata redo: revert the last applied migration and apply it again. */
#include "cli.h"

#include <string.h>

#include "hints.h"

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
    rc = strata_redo(c->s, 1, &version);
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

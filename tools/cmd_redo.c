/* strata redo: revert the last applied migration and apply it again. */
#include "cli.h"

#include <string.h>

#include "dry.h"
#include "hints.h"

int cmd_redo(cli *c, int argc, char **argv)
{
    int64_t version = -1;
    bool dry = false;
    int rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_help(stdout, "redo");
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--dry-run") != 0)
            return cli_usage_error(c, "redo: unexpected argument '%s'", argv[i]);
        dry = true;
    }
    if ((rc = cli_prepare(c, false, true)) || (rc = cli_check_dir_matches(c)))
        return rc;
    if (dry && !(c->dry = dry_begin(c->json)))
        return cli_error(c, "nomem", "out of memory");
    strata_set_dry_run(c->s, dry);
    cli_install_interrupt(c);
    rc = strata_redo(c->s, 1, &version);
    dry_end(c->dry, rc == STRATA_OK);
    c->dry = NULL;
    if (dry && rc == STRATA_OK)
        return EXIT_OK; /* the statements are out; nothing ran */
    if (rc == STRATA_ENOTFOUND && c->reverted.n == 0) {
        if (c->json)
            fputs("{\"reverted\": [], \"applied\": []}\n", stdout);
        else if (!c->quiet)
            fprintf(stderr, "nothing to redo: no migration is applied\n");
        return EXIT_OK;
    }
    if (rc) {
        rc = cli_fail(c, rc, dry ? "dry run" : "redo");
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

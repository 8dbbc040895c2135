/* strata status: every version and its state. */
#include "cli.h"

#include <string.h>

/* --exit-code: 0 clean, 3 only pending, 1 a row needs a person (each
 * named on stderr). */
static int exit_code_of(cli *c, const strata_status_list *st)
{
    size_t pending = 0, bad = 0;
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        switch (r->state) {
        case STRATA_STATE_PENDING:
        case STRATA_STATE_OUT_OF_ORDER:
            pending++;
            break;
        case STRATA_STATE_DIRTY:
        case STRATA_STATE_MODIFIED:
        case STRATA_STATE_UNKNOWN:
            bad++;
            if (!c->quiet)
                fprintf(stderr, "status: %lld %s is %s\n", (long long)r->version, r->name, r->state_name);
            break;
        default:
            break;
        }
    }
    return bad ? EXIT_FAIL : pending ? EXIT_PENDING : EXIT_OK;
}

/* Nothing in strata's history while another tool's history table is
 * there: `up` would refuse; say so (the exit code is not changed). */
static void other_history_note(cli *c, const strata_status_list *st)
{
    char *tool = NULL, *table = NULL;
    if (c->quiet)
        return;
    for (size_t i = 0; i < strata_status_count(st); i++)
        if (strata_status_get(st, i)->state != STRATA_STATE_PENDING)
            return;
    if (strata_other_history(c->s, &tool, &table) != STRATA_OK) {
        fprintf(stderr, "strata: status: warning: could not look for another tool's history "
                "table: %s\n", strata_errmsg(c->s));
        return;
    }
    if (tool)
        fprintf(stderr, "note: %s's history table \"%s\" is in this database and strata's "
                "history is empty: `strata up` refuses to run %s's migrations again; run "
                "'strata adopt' first (or up --ignore-other-history to apply anyway)\n",
                tool, table, tool);
    strata_free(tool);
    strata_free(table);
}

int cmd_status(cli *c, int argc, char **argv)
{
    bool exit_code = false;
    strata_status_list *st = NULL;
    int rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--exit-code") == 0)
            exit_code = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_help(stdout, "status");
            return EXIT_OK;
        } else
            return cli_usage_error(c, "status: unexpected argument '%s'", argv[i]);
    }
    if ((rc = cli_prepare(c, false, true)) || (rc = cli_check_dir_matches(c)))
        return rc;
    if ((rc = strata_status(c->s, &st)))
        return cli_fail(c, rc, "status");
    if (c->json)
        out_status_json(stdout, st);
    else
        out_status_table(stdout, st, &c->style);
    other_history_note(c, st);
    rc = exit_code ? exit_code_of(c, st) : EXIT_OK;
    strata_status_free(st);
    return rc;
}

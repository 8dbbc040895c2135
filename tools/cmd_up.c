/* strata up: apply pending migrations. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dry.h"
#include "lintcmd.h"
#include "observe.h"

#define LINT_SHOW (-3) /* default: print the errors of what is applied, do not block */

typedef struct up_opts {
    int64_t to;
    int32_t phase;
    int dry, ooo, resume, single, lint, observe, ignore_other;
} up_opts;

static int parse(cli *c, up_opts *u, int argc, char **argv)
{
    static const struct option longs[] = {
        {"to", required_argument, NULL, 't'},           {"phase", required_argument, NULL, 'p'},
        {"dry-run", no_argument, NULL, 'n'},            {"allow-out-of-order", no_argument, NULL, 'o'},
        {"resume", no_argument, NULL, 'r'},             {"single-transaction", no_argument, NULL, '1'},
        {"lint", required_argument, NULL, 'l'},         {"help", no_argument, NULL, 'h'},
        {"observe", no_argument, NULL, 'O'},            {"ignore-other-history", no_argument, NULL, 'I'},
        {NULL, 0, NULL, 0}};
    int o;
    memset(u, 0, sizeof *u);
    u->to = STRATA_LATEST;
    u->phase = STRATA_PHASE_ALL;
    u->lint = LINT_SHOW;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
        switch (o) {
        case 't':
            if (!cli_parse_version(optarg, &u->to))
                return cli_usage_error(c, "up: --to needs a version, got '%s'", optarg);
            break;
        case 'p':
            if (strcmp(optarg, "expand") == 0) u->phase = STRATA_PHASE_EXPAND;
            else if (strcmp(optarg, "contract") == 0) u->phase = STRATA_PHASE_CONTRACT;
            else if (strcmp(optarg, "all") == 0) u->phase = STRATA_PHASE_ALL;
            else return cli_usage_error(c, "up: --phase is expand, contract or all, not '%s'", optarg);
            break;
        case 'n': u->dry = 1; break;
        case 'o': u->ooo = 1; break;
        case 'r': u->resume = 1; break;
        case '1': u->single = 1; break;
        case 'O': u->observe = 1; break;
        case 'I': u->ignore_other = 1; break;
        case 'l':
            u->lint = lintcmd_parse_level(optarg);
            if (u->lint < LINTCMD_LEVEL_OFF)
                return cli_usage_error(c, "up: --lint is error, warning or off, not '%s'", optarg);
            break;
        case 'h': cli_help(stdout, "up"); return -1;
        default: return cli_usage_error(c, "up: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int64_t v;
    if (optind != argc && cli_parse_version(argv[optind], &v)) { /* golang-migrate: `up N` */
        char msg[256];
        snprintf(msg, sizeof msg, "up: unexpected argument '%lld' (to apply up to that version: "
                 "strata up --to %lld)", (long long)v, (long long)v);
        return cli_usage_error(c, "%s", msg);
    }
    if (optind != argc)
        return cli_usage_error(c, "up: unexpected argument '%s'", argv[optind]);
    if (u->observe && u->dry)
        return cli_usage_error(c, "up: --observe runs the migrations; it excludes --dry-run%s", "");
    return EXIT_OK;
}

/* What the run left pending, by version and name: never "up to date" while
 * a --to or --phase held something back. */
static bool any_pending(const strata_status_list *st)
{
    for (size_t i = 0; i < strata_status_count(st); i++) {
        int32_t state = strata_status_get(st, i)->state;
        if (state == STRATA_STATE_PENDING || state == STRATA_STATE_OUT_OF_ORDER)
            return true;
    }
    return false;
}

static int report(cli *c, const up_opts *u)
{
    strata_status_list *st = NULL;
    /* states first: only a run that left something pending needs the
     * "empty" flags, which scan every file */
    int rc = strata_status_v2(c->s, STRATA_STATUS_STATES_ONLY, &st);
    size_t pending = 0;
    jw w;
    if (rc == STRATA_OK && any_pending(st)) {
        strata_status_free(st);
        st = NULL;
        rc = strata_status(c->s, &st);
    }
    if (rc)
        return cli_fail(c, rc, "status");
    if (c->json) {
        jw_init(&w, stdout);
        jw_obj(&w);
        cli_json_done(&w, "applied", &c->applied);
        jw_key(&w, "pending");
        jw_arr(&w);
    }
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        if (r->state != STRATA_STATE_PENDING && r->state != STRATA_STATE_OUT_OF_ORDER)
            continue;
        if (c->json) {
            jw_obj(&w);
            jw_key(&w, "version");
            jw_int(&w, r->version);
            jw_key(&w, "name");
            jw_str(&w, r->name);
            jw_key(&w, "phase");
            jw_str(&w, r->phase);
            jw_obj_end(&w);
        } else if (!c->quiet) {
            if (pending == 0)
                fprintf(stderr, "%zu applied; still pending (%s):\n", c->applied.n,
                        u->to != STRATA_LATEST ? "after --to" : u->phase != STRATA_PHASE_ALL ? "other phase"
                                                                                           : "not applied");
            fprintf(stderr, "  %lld %s (%s%s)\n", (long long)r->version, r->name, r->phase ? r->phase : "",
                    r->flags & STRATA_ROW_EMPTY_UP ? ", empty" : "");
        }
        pending++;
    }
    strata_status_free(st);
    if (c->json) {
        jw_arr_end(&w);
        jw_obj_end(&w);
    } else if (!c->quiet && pending == 0) {
        if (c->applied.n)
            fprintf(stderr, "%zu applied; up to date\n", c->applied.n);
        else
            fprintf(stderr, "up to date\n");
    }
    return EXIT_OK;
}

int cmd_up(cli *c, int argc, char **argv)
{
    up_opts u;
    int rc = parse(c, &u, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if ((rc = cli_prepare(c, false, true)) || (rc = cli_check_dir_matches(c)))
        return rc;
    if (u.to != STRATA_LATEST && !cli_version_known(c, u.to))
        return cli_error(c, "notfound", "up --to %lld: %s has no migration with that version", (long long)u.to,
                         c->dir);
    strata_set_phase(c->s, u.phase);
    strata_set_dry_run(c->s, u.dry);
    strata_set_allow_out_of_order(c->s, u.ooo);
    strata_set_resume(c->s, u.resume);
    strata_set_single_transaction(c->s, u.single);
    strata_set_ignore_other_history(c->s, u.ignore_other);
    if (u.observe) {
        if (!(c->observe = observe_new()))
            return cli_error(c, "nomem", "out of memory");
        strata_set_observe(c->s, 1);
    }
    if (u.lint != LINTCMD_LEVEL_OFF) {
        rc = lintcmd_gate(c->s, u.lint == LINT_SHOW ? LINTCMD_LEVEL_OFF : u.lint, u.dry && !c->json,
                          u.lint == LINT_SHOW && !u.dry && !c->quiet, &c->style);
        if (rc)
            return cli_fail(c, rc, "lint");
    }
    if (u.dry && !(c->dry = dry_begin(c->json)))
        return cli_error(c, "nomem", "out of memory");
    cli_install_interrupt(c);
    rc = strata_apply(c->s, u.to);
    dry_end(c->dry, rc == STRATA_OK);
    c->dry = NULL;
    if (rc) {
        if (u.observe && !c->json)
            observe_print_text(stdout, c->observe); /* what ran before the failure */
        return cli_fail(c, rc, u.dry ? "dry run" : "up");
    }
    if (u.observe) {
        bool json = c->json;
        if (json)
            observe_print_json(stdout, c->observe);
        else
            observe_print_text(stdout, c->observe);
        c->json = false; /* stdout holds the observe array; the summary goes to stderr */
        rc = report(c, &u);
        c->json = json;
        return rc;
    }
    return u.dry ? EXIT_OK : report(c, &u);
}

/* strata verify: applied migrations against their files. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "hints.h"
#include "proof.h"

static const char *source_of(cli *c, int64_t version)
{
    strata_migration_def d;
    for (size_t i = 0; i < strata_migration_count(c->s); i++)
        if (strata_migration_get(c->s, i, &d) == STRATA_OK && d.version == version)
            return strata_migration_source(c->s, i);
    return NULL;
}

/* One problem row: a line on stderr (and the hint that resolves it). */
static void say(cli *c, const strata_status_row *r, const char *file)
{
    if (c->quiet)
        return;
    if (r->state == STRATA_STATE_MODIFIED) {
        fprintf(stderr, "%s: applied migration %lld was edited after it was applied (restore it, or "
                        "record the edit with `strata accept %lld`)\n",
                file, (long long)r->version, (long long)r->version);
    } else if (r->state == STRATA_STATE_DIRTY) {
        fprintf(stderr, "dirty: %lld %s failed at statement %d\n", (long long)r->version, r->name,
                (int)r->failed_statement);
        hint_dirty(c, r->version);
    } else {
        fprintf(stderr, "unknown: %lld %s is applied in the database but not in %s (forget it with "
                        "`strata force %lld --pending`)\n",
                (long long)r->version, r->name, c->dir, (long long)r->version);
    }
}

static void json_problem(jw *w, const strata_status_row *r, const char *file)
{
    jw_obj(w);
    jw_key(w, "version");
    jw_int(w, r->version);
    jw_key(w, "name");
    jw_str(w, r->name);
    jw_key(w, "state");
    jw_str(w, r->state_name);
    jw_key(w, "file");
    jw_str(w, file);
    if (r->state == STRATA_STATE_DIRTY) {
        jw_key(w, "failed_statement");
        jw_int(w, r->failed_statement);
    }
    jw_obj_end(w);
}

static int parse(cli *c, proof_opts *o, int argc, char **argv)
{
    static const struct option longs[] = {{"roundtrip", no_argument, NULL, 'r'},
                                          {"drift", no_argument, NULL, 'd'},
                                          {"scratch", required_argument, NULL, 's'},
                                          {"from", required_argument, NULL, 'f'},
                                          {"privileges", no_argument, NULL, 'p'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    bool has_from = false;
    int ch;
    memset(o, 0, sizeof *o);
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
        switch (ch) {
        case 'r': o->roundtrip = true; break;
        case 'd': o->drift = true; break;
        case 's': o->scratch = optarg; break;
        case 'p': o->flags |= STRATA_SCHEMA_PRIVILEGES; break;
        case 'f':
            if (!cli_parse_version(optarg, &o->from))
                return cli_usage_error(c, "verify: --from needs a version, got '%s'", optarg);
            has_from = true;
            break;
        case 'h': cli_help(stdout, "verify"); return -1;
        default: return cli_usage_error(c, "verify: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error(c, "verify: unexpected argument '%s'", argv[optind]);
    if (o->roundtrip && o->drift)
        return cli_usage_error(c, "verify: --roundtrip and --drift exclude each other%s", "");
    if (o->scratch && !o->roundtrip && !o->drift)
        return cli_usage_error(c, "verify: --scratch goes with --roundtrip or --drift%s", "");
    if (o->flags && !o->roundtrip && !o->drift)
        return cli_usage_error(c, "verify: --privileges goes with --roundtrip or --drift%s", "");
    if (has_from && !o->roundtrip)
        return cli_usage_error(c, "verify: --from goes with --roundtrip%s", "");
    return EXIT_OK;
}

int cmd_verify(cli *c, int argc, char **argv)
{
    strata_status_list *st = NULL;
    size_t bad = 0, applied = 0;
    jw w;
    int rc;
    proof_opts o;
    if ((rc = parse(c, &o, argc, argv)))
        return rc < 0 ? EXIT_OK : rc;
    if (o.roundtrip || o.drift)
        return proof_run(c, &o);
    if ((rc = cli_prepare(c, false, true)) || (rc = cli_check_dir_matches(c)))
        return rc;
    if ((rc = strata_status_v2(c->s, STRATA_STATUS_STATES_ONLY, &st)))
        return cli_fail(c, rc, "verify");
    if (c->json) {
        jw_init(&w, stdout);
        jw_obj(&w);
        jw_key(&w, "problems");
        jw_arr(&w);
    }
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        applied += r->state == STRATA_STATE_APPLIED;
        if (r->state != STRATA_STATE_MODIFIED && r->state != STRATA_STATE_DIRTY && r->state != STRATA_STATE_UNKNOWN)
            continue;
        const char *file = source_of(c, r->version);
        bad++;
        say(c, r, file);
        if (c->json)
            json_problem(&w, r, file);
    }
    strata_status_free(st);
    if (c->json) {
        jw_arr_end(&w);
        jw_key(&w, "ok");
        jw_bool(&w, bad == 0);
        jw_obj_end(&w);
    } else if (!bad && !c->quiet && applied == 0) {
        /* "every applied migration matches" of none would read as a pass */
        fprintf(stderr, "nothing to verify: no migration is applied yet\n");
    } else if (!bad && !c->quiet) {
        fprintf(stderr, "verified: every applied migration matches its file (%zu)\n", applied);
    }
    return bad ? EXIT_FAIL : EXIT_OK;
}

#include "lintcmd.h"

#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const sev_names[] = {"info", "warning", "error"};

int lintcmd_parse_level(const char *s)
{
    if (strcmp(s, "off") == 0)
        return LINTCMD_LEVEL_OFF;
    if (strcmp(s, "warning") == 0)
        return STRATA_SEVERITY_WARNING;
    if (strcmp(s, "error") == 0)
        return STRATA_SEVERITY_ERROR;
    return -2;
}

static void print_text(FILE *f, const strata_lint_finding *x, const out_style *st)
{
    const char *col = x->severity == STRATA_SEVERITY_ERROR ? st->red
                      : x->severity == STRATA_SEVERITY_WARNING ? st->yellow : st->dim;
    fprintf(f, "%s:%d:%d: %s%s%s: %s [%s]\n  fix: %s\n", x->file, (int)x->line, (int)x->column, col,
            sev_names[x->severity], st->reset, x->message, x->rule, x->fix);
}

/* GitHub workflow commands: annotations on the pull request's lines. */
static void print_github(FILE *f, const strata_lint_finding *x)
{
    const char *kind = x->severity == STRATA_SEVERITY_ERROR ? "error"
                       : x->severity == STRATA_SEVERITY_WARNING ? "warning" : "notice";
    fprintf(f, "::%s file=%s,line=%d,col=%d,title=%s::", kind, x->file, (int)x->line, (int)x->column, x->rule);
    for (const char *p = x->message; *p; p++) {
        if (*p == '%') fputs("%25", f);
        else if (*p == '\n') fputs("%0A", f);
        else fputc(*p, f);
    }
    fputs(" (fix: ", f);
    fputs(x->fix, f);
    fputs(")\n", f);
}

static void print_json(FILE *f, const strata_lint_report *r)
{
    size_t n = strata_lint_count(r);
    fputs("[", f);
    for (size_t i = 0; i < n; i++) {
        const strata_lint_finding *x = strata_lint_get(r, i);
        fprintf(f, "%s\n  {\"file\": ", i ? "," : "");
        out_json_string(f, x->file);
        fprintf(f, ", \"line\": %d, \"column\": %d, \"rule\": ", (int)x->line, (int)x->column);
        out_json_string(f, x->rule);
        fprintf(f, ", \"severity\": \"%s\", \"message\": ", sev_names[x->severity]);
        out_json_string(f, x->message);
        fputs(", \"fix\": ", f);
        out_json_string(f, x->fix);
        fputs("}", f);
    }
    fputs(n ? "\n]\n" : "]\n", f);
}

/* What was checked: with a database only the pending migrations are. */
static void say_checked(strata *s, const strata_lint_report *r, bool pending_only)
{
    size_t total = strata_migration_count(s), checked = total;
    strata_status_list *st = NULL;
    if (pending_only && strata_status_v2(s, STRATA_STATUS_STATES_ONLY, &st) == STRATA_OK) {
        checked = 0;
        for (size_t i = 0; i < strata_status_count(st); i++) {
            int32_t state = strata_status_get(st, i)->state;
            checked += state == STRATA_STATE_PENDING || state == STRATA_STATE_OUT_OF_ORDER;
        }
        strata_status_free(st);
        fprintf(stderr, "%zu finding(s) in %zu pending migration(s) of %zu (--all checks every one)\n",
                strata_lint_count(r), checked, total);
        return;
    }
    fprintf(stderr, "%zu finding(s) in %zu migration(s)\n", strata_lint_count(r), checked);
}

static int lint_run(int argc, char **argv, const char *dir, bool json, const char *url, const out_style *st,
                    const char **paths)
{
    static const struct option longs[] = {{"json", no_argument, NULL, 'j'},
                                          {"format", required_argument, NULL, 'f'},
                                          {"pg-version", required_argument, NULL, 'p'},
                                          {"strict", no_argument, NULL, 's'},
                                          {"all", no_argument, NULL, 'a'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *format = json ? "json" : "text";
    int pgv = 0, o, npaths = 0;
    bool strict = false, all = false;
    strata *s = NULL;
    strata_lint_report *r = NULL;
    optind = 0; /* full reinit: options after PATHs too (`lint DIR --strict`) */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "-", longs, NULL)) != -1) {
        switch (o) {
        case 'j': format = "json"; break;
        case 'f': format = optarg; break;
        case 'p': {
            int64_t v;
            if (!cli_parse_version(optarg, &v) || v > 99) {
                fprintf(stderr, "strata lint: --pg-version needs a PostgreSQL major version such as "
                                "15, not '%s'\ntry 'strata lint --help'\n", optarg);
                return 2;
            }
            pgv = (int)v;
            break;
        }
        case 's': strict = true; break;
        case 'a': all = true; break;
        case 1: paths[npaths++] = optarg; break;
        case 'h':
            cli_help(stdout, "lint");
            return 0;
        default:
            fprintf(stderr, "strata lint: unknown or incomplete option '%s'\ntry 'strata lint --help'\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "github")) {
        fprintf(stderr, "strata lint: --format is text, json or github, not '%s'\ntry 'strata lint --help'\n",
                format);
        return 2;
    }
    for (int i = optind; i < argc; i++)
        paths[npaths++] = argv[i];
    /* a connection only for the configured set: PATHs are checked as files */
    bool online = npaths == 0 && url;
    if (strata_open(&s, online ? url : NULL) != STRATA_OK) {
        /* unreachable: lint what is on disk rather than nothing */
        fprintf(stderr, "strata lint: warning: %s; linting every migration offline\n", strata_errmsg(s));
        strata_close(s);
        s = NULL;
        online = false;
        if (strata_open(&s, NULL) != STRATA_OK) {
            fprintf(stderr, "strata lint: out of memory\n");
            strata_close(s);
            return 1;
        }
    }
    if (pgv && strata_set_pg_version(s, pgv)) {
        fprintf(stderr, "strata lint: --pg-version %d is not a PostgreSQL major version\n", pgv);
        strata_close(s);
        return 2;
    }
    strata_set_lint_all(s, all);
    int rc = 0;
    if (npaths == 0)
        rc = strata_add_dir(s, dir);
    for (int i = 0; rc == 0 && i < npaths; i++) {
        struct stat sb;
        rc = stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode) ? strata_add_dir(s, paths[i]) : strata_add_file(s, paths[i]);
    }
    if (rc == 0)
        rc = strata_lint(s, &r);
    if (rc) {
        fprintf(stderr, "strata lint: %s\n", strata_errmsg(s));
        if (json)
            cli_json_error(cli_code_name(rc), strata_errmsg(s));
        strata_close(s);
        return 1;
    }
    size_t bad = 0;
    for (size_t i = 0; i < strata_lint_count(r); i++) {
        const strata_lint_finding *x = strata_lint_get(r, i);
        /* a statement the parser cannot read is never a pass */
        if (x->severity == STRATA_SEVERITY_ERROR || (strict && x->severity == STRATA_SEVERITY_WARNING) ||
            strcmp(x->rule, "unparsed") == 0)
            bad++;
        if (strcmp(format, "text") == 0)
            print_text(stdout, x, st);
        else if (strcmp(format, "github") == 0)
            print_github(stdout, x);
    }
    if (strcmp(format, "json") == 0)
        print_json(stdout, r);
    else if (strcmp(format, "text") == 0)
        say_checked(s, r, online && !all);
    strata_lint_report_free(r);
    strata_close(s);
    return bad ? 1 : 0;
}

int lintcmd_main(int argc, char **argv, const char *dir, bool json, const char *url, const out_style *st)
{
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!paths)
        return 1;
    int rc = lint_run(argc, argv, dir, json, url, st, paths);
    free(paths);
    return rc;
}

int lintcmd_gate(strata *s, int level, bool dry, bool show_errors, const out_style *st)
{
    strata_lint_report *r = NULL;
    size_t errors = 0;
    int rc;
    if (level >= 0)
        strata_set_lint_level(s, level);
    if (!dry && !show_errors)
        return 0;
    if ((rc = strata_lint(s, &r)) != STRATA_OK)
        return rc;
    for (size_t i = 0; i < strata_lint_count(r); i++) {
        const strata_lint_finding *x = strata_lint_get(r, i);
        if (dry)
            printf("-- lint: %s:%d:%d: %s: %s [%s]\n", x->file, (int)x->line, (int)x->column,
                   sev_names[x->severity], x->message, x->rule);
        if (show_errors && x->severity == STRATA_SEVERITY_ERROR) {
            errors++;
            print_text(stderr, x, st);
        }
    }
    if (errors)
        fprintf(stderr, "%zu lint error(s) in what is about to be applied (not blocking: --lint=error "
                        "refuses them, --lint=off hides them)\n", errors);
    strata_lint_report_free(r);
    return 0;
}

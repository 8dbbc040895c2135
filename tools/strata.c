/* strata: the command-line tool, a thin layer over libstrata. This file
 * reads the global options (before or after the command, as every peer
 * accepts them) and dispatches; each command is in tools/cmd_NAME.c, the
 * shared context in tools/cli.c. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    cli_cmd_fn fn;
} commands[] = {
    {"new", cmd_new},       {"up", cmd_up},         {"down", cmd_down},
    {"redo", cmd_redo},     {"status", cmd_status}, {"verify", cmd_verify},
    {"force", cmd_force},   {"accept", cmd_accept}, {"baseline", cmd_baseline},
    {"lint", cmd_lint},     {"embed", cmd_embed},   {"help", cmd_help},
    {"adopt", cmd_adopt},   {"testdb", cmd_testdb},
    {"schema", cmd_schema},
};

static cli_cmd_fn find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].fn;
    return NULL;
}

/* What users of the peers type (dbmate, goose, golang-migrate, sqlx,
 * flyway, Rails) and the command that does it here. */
static const struct {
    const char *theirs, *ours;
} peer_names[] = {
    {"create", "new"},   {"add", "new"},      {"generate", "new"}, {"migrate", "up"},
    {"apply", "up"},     {"deploy", "up"},    {"rollback", "down"}, {"revert", "down"},
    {"undo", "down"},    {"version", "status"}, {"info", "status"}, {"history", "status"},
    {"list", "status"},  {"validate", "verify"}, {"check", "verify"}, {"repair", "force"},
};

/* Edits (insert, delete, substitute) between two short words; capped. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(b);
    int row[32], prev;
    if (strlen(a) >= 31 || n >= 31)
        return 99;
    for (size_t j = 0; j <= n; j++)
        row[j] = (int)j;
    for (size_t i = 1; a[i - 1]; i++) {
        prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= n; j++) {
            int sub = prev + (a[i - 1] != b[j - 1]), cur = row[j];
            int best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[n];
}

/* "unknown command" with the command meant, when there is a likely one. */
static int unknown_command(cli *c, const char *name)
{
    char msg[256];
    const char *meant = NULL;
    for (size_t i = 0; i < sizeof peer_names / sizeof peer_names[0] && !meant; i++)
        if (strcmp(peer_names[i].theirs, name) == 0)
            meant = peer_names[i].ours;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0] && !meant; i++)
        if (strlen(name) >= 3 && distance(name, commands[i].name) <= (strlen(name) > 4 ? 2 : 1))
            meant = commands[i].name;
    if (!meant)
        return cli_usage_error(c, "unknown command '%s'", name);
    snprintf(msg, sizeof msg, "unknown command '%.100s'; did you mean 'strata %s'?", name, meant);
    return cli_usage_error(c, "%s", msg);
}

/* `strata CMD ... -h`: the command's help, as peers answer it anywhere. */
static bool wants_help(int n, char **args)
{
    for (int i = 1; i < n && strcmp(args[i], "--") != 0; i++)
        if (strcmp(args[i], "-h") == 0)
            return true;
    return false;
}

enum { G_NONE, G_FLAG, G_VALUE };

/* Whether @a is a global option; for one with a value, *@val is set from
 * "--opt=value" or left NULL (the value is the next argument). */
static int global_kind(const char *a, const char **name, const char **val)
{
    static const char *const with_value[] = {"-d", "--database", "-m", "--migrations", "--table",
                                             "--lock-wait", "--lock-timeout", "--statement-timeout",
                                             "--retries", "--retry-budget"};
    static const char *const flags[] = {"--json", "-q", "--quiet", "-v", "--verbose"};
    *val = NULL;
    *name = a;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(a, flags[i]) == 0)
            return G_FLAG;
    for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++) {
        size_t n = strlen(with_value[i]);
        if (strncmp(a, with_value[i], n) != 0)
            continue;
        if (a[n] == '\0')
            return G_VALUE;
        if (a[n] == '=' && a[1] == '-') {
            *val = a + n + 1;
            return G_VALUE;
        }
    }
    return G_NONE;
}

/* PostgreSQL's largest timeout: these durations are sent to the server. */
#define TIMEOUT_MAX_MS INT64_C(2147483647)

static int set_duration(cli *c, int64_t *dst, const char *opt, const char *v, bool sent)
{
    char msg[256];
    *dst = cli_parse_duration(v);
    if (*dst < 0) {
        snprintf(msg, sizeof msg, "%s needs a duration such as 500ms, 30s, 2min, not '%%s'", opt);
        return cli_usage_error(c, msg, v);
    }
    if (sent && *dst > TIMEOUT_MAX_MS) {
        snprintf(msg, sizeof msg, "%s '%%s' is above the limit of 2147483647 ms (PostgreSQL's "
                 "largest timeout, about 24.8 days; 0 turns a timeout off)", opt);
        return cli_usage_error(c, msg, v);
    }
    return EXIT_OK;
}

static int set_global(cli *c, const char *opt, const char *v)
{
    if (strcmp(opt, "-d") == 0 || strncmp(opt, "--database", 10) == 0) c->url = v;
    else if (strcmp(opt, "-m") == 0 || strncmp(opt, "--migrations", 12) == 0) c->dir = v;
    else if (strncmp(opt, "--table", 7) == 0) c->table = v;
    else if (strncmp(opt, "--lock-wait", 11) == 0) return set_duration(c, &c->lock_wait_ms, "--lock-wait", v, true);
    else if (strncmp(opt, "--lock-timeout", 14) == 0) return set_duration(c, &c->lock_timeout_ms, "--lock-timeout", v, true);
    else if (strncmp(opt, "--statement-timeout", 19) == 0)
        return set_duration(c, &c->statement_timeout_ms, "--statement-timeout", v, true);
    else if (strncmp(opt, "--retry-budget", 14) == 0)
        return set_duration(c, &c->retry_budget_ms, "--retry-budget", v, false);
    else if (strncmp(opt, "--retries", 9) == 0) {
        int64_t n;
        if (!cli_parse_version(v, &n) || n > 1000)
            return cli_usage_error(c, "--retries needs a count from 0 to 1000, not '%s'", v);
        c->retries = (int32_t)n;
    } else if (strcmp(opt, "--json") == 0) c->json = true;
    else if (strcmp(opt, "-q") == 0 || strcmp(opt, "--quiet") == 0) c->quiet = true;
    else if (strcmp(opt, "-v") == 0 || strcmp(opt, "--verbose") == 0) c->verbose = true;
    return EXIT_OK;
}

/* Takes the global options out of argv wherever they are (up to "--"),
 * leaving the command and its own arguments in @rest. */
static int parse_globals(cli *c, int argc, char **argv, char **rest, int *nrest, bool *help, bool *version)
{
    bool dashdash = false;
    *nrest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *name, *val;
        int kind = dashdash ? G_NONE : global_kind(a, &name, &val);
        /* after `adopt`, --table names the other tool's table (strata's own
         * history table is then given before the command) */
        if (kind == G_VALUE && *nrest > 0 && strcmp(rest[0], "adopt") == 0 && strncmp(a, "--table", 7) == 0)
            kind = G_NONE;
        if (!dashdash && strcmp(a, "--") == 0 && *nrest > 0)
            dashdash = true;
        if (kind == G_VALUE && !val) {
            if (i + 1 >= argc)
                return cli_usage_error(c, "%s needs a value", a);
            val = argv[++i];
        }
        if (kind != G_NONE) {
            int rc = set_global(c, name, val);
            if (rc)
                return rc;
        } else if (*nrest == 0 && strcmp(a, "--version") == 0) {
            *version = true;
        } else if (*nrest == 0 && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            *help = true;
        } else if (*nrest == 0 && a[0] == '-') {
            return cli_usage_error(c, "unknown or incomplete option '%s'", a);
        } else {
            rest[(*nrest)++] = argv[i];
        }
    }
    rest[*nrest] = NULL;
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    cli c;
    bool help = false, version = false;
    int nrest, rc;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    /* display widths of UTF-8 names; under the C locale too (a bare
     * container), where every byte would otherwise count as a column */
    if (!setlocale(LC_CTYPE, "") || MB_CUR_MAX == 1)
        setlocale(LC_CTYPE, "C.UTF-8");
    cli_init(&c);
    if (!rest)
        return EXIT_FAIL;
    rc = parse_globals(&c, argc, argv, rest, &nrest, &help, &version);
    if (rc == EXIT_OK && version) {
        printf("strata %s\n", strata_version());
    } else if (rc == EXIT_OK && help) {
        cli_usage(stdout);
    } else if (rc == EXIT_OK && nrest == 0) {
        rc = cli_usage_error(&c, "a command is required%s", "");
    } else if (rc == EXIT_OK) {
        cli_cmd_fn fn = find_command(rest[0]);
        out_style_init(&c.style);
        if (!fn) {
            rc = unknown_command(&c, rest[0]);
        } else if (wants_help(nrest, rest) && cli_help(stdout, rest[0])) {
            rc = EXIT_OK;
        } else {
            c.cmd = rest[0];
            rc = fn(&c, nrest, rest);
        }
    }
    cli_free(&c);
    free(rest);
    return rc;
}

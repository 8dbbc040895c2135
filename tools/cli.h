/* The shared context of the strata commands: global options, output style,
 * the event printer, errors (text or JSON) and the few helpers every
 * command uses. One command lives in one tools/cmd_NAME.c. */
#ifndef STRATA_TOOLS_CLI_H
#define STRATA_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "out.h"
#include "strata.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PENDING = 3 };

/* One migration applied or reverted by this run (for summaries and JSON). */
typedef struct cli_done {
    int64_t version;
    char *name;
    int64_t duration_ms;
} cli_done;

typedef struct cli_done_list {
    cli_done *items;
    size_t n, cap;
} cli_done_list;

typedef struct cli {
    const char *url;
    const char *dir;
    const char *table;
    const char *cmd;          /* the command being run, for hints */
    bool json, quiet, verbose;
    /* deployer options; -1 = the library's default */
    int64_t lock_wait_ms, lock_timeout_ms, statement_timeout_ms;
    int32_t retries;
    int64_t retry_budget_ms;
    out_style style;
    strata *s;
    int64_t last_reverted;    /* from events: even with -q */
    cli_done_list applied, reverted;
    struct cli_dry *dry;      /* up/down --dry-run: the statements (dry.c) */
    int64_t last_progress_ms; /* off a terminal: progress at most 1/s */
    int64_t last_wait_ms;     /* off a terminal: the waiting line at most every 5 s */
    struct observe_log *observe; /* up --observe: what each statement did */
} cli;

/* A command: argv[0] is the command name. Returns the exit code. */
typedef int (*cli_cmd_fn)(cli *c, int argc, char **argv);

void cli_init(cli *c);
void cli_free(cli *c);
void cli_usage(FILE *f);
/* Prints `strata help CMD` for @cmd; false when there is no such command. */
bool cli_help(FILE *f, const char *cmd);
/* One line ("strata: " + @fmt with @arg) and a pointer to the command's
 * --help (a JSON error with --json); returns EXIT_USAGE. */
int cli_usage_error(cli *c, const char *fmt, const char *arg);
bool cli_parse_version(const char *s, int64_t *out);
/* "30s", "500ms", "2min", "1h"; a bare number is milliseconds. -1: invalid. */
int64_t cli_parse_duration(const char *s);
/* Prints the handle's last error (code @rc) after "strata: @what:" (JSON
 * with --json); returns EXIT_FAIL. */
int cli_fail(cli *c, int rc, const char *what);
/* An error of the CLI itself (not the library's): text or JSON; EXIT_FAIL. */
int cli_error(cli *c, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* {"error": {"code": @code, "message": @message}} on stdout. */
void cli_json_error(const char *code, const char *message);
/* The stable JSON name of a STRATA_E* code ("checksum", "sql", ...). */
const char *cli_code_name(int rc);
/* Opens the handle: database (unless @offline) and migrations directory. */
int cli_prepare(cli *c, bool offline, bool need_dir);
/* An empty or wrong directory (none of the database's applied versions in
 * it) while the database has applied versions is an error naming it. */
int cli_check_dir_matches(cli *c);
/* `--to V` names a migration of the directory, or it is a typo. */
bool cli_version_known(const cli *c, int64_t v);
/* Whether stdout gets human text (not --json and not quiet). */
bool cli_chatty(const cli *c);
void cli_done_add(cli_done_list *l, int64_t version, const char *name, int64_t ms);
void cli_json_done(jw *w, const char *key, const cli_done_list *l);
/* Ctrl-C (SIGINT, SIGTERM): cancel the running statement (strata_cancel),
 * say where the run stopped and what the state is. */
void cli_install_interrupt(cli *c);
/* Before c->s is closed: a later Ctrl-C cancels nothing. */
void cli_forget_interrupt(void);

void cli_on_event(const strata_event *ev, void *payload);

int cmd_new(cli *c, int argc, char **argv);
int cmd_up(cli *c, int argc, char **argv);
int cmd_down(cli *c, int argc, char **argv);
int cmd_redo(cli *c, int argc, char **argv);
int cmd_status(cli *c, int argc, char **argv);
int cmd_verify(cli *c, int argc, char **argv);
int cmd_force(cli *c, int argc, char **argv);
int cmd_accept(cli *c, int argc, char **argv);
int cmd_baseline(cli *c, int argc, char **argv);
int cmd_lint(cli *c, int argc, char **argv);
int cmd_embed(cli *c, int argc, char **argv);
int cmd_help(cli *c, int argc, char **argv);
int cmd_adopt(cli *c, int argc, char **argv);
int cmd_testdb(cli *c, int argc, char **argv);
int cmd_schema(cli *c, int argc, char **argv);

/* force, accept and baseline: one version argument (cmd_version.c). */
int cli_version_command(cli *c, int argc, char **argv, const char *what);

#endif

/* The shared context of the strata commands: global options, output style,
 * the event printer and the few helpers every command uses. One command
 * lives in one tools/cmd_NAME.c. */
#ifndef STRATA_TOOLS_CLI_H
#define STRATA_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "out.h"
#include "strata.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PENDING = 3 };

typedef struct cli {
    const char *url;
    const char *dir;
    const char *table;
    bool json, quiet, verbose;
    out_style style;
    strata *s;
    int64_t last_reverted;
} cli;

/* A command: argv[0] is the command name. Returns the exit code. */
typedef int (*cli_cmd_fn)(cli *c, int argc, char **argv);

void cli_usage(FILE *f);
/* Prints "strata: " + @fmt (with @arg) and the usage; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, const char *arg);
bool cli_parse_version(const char *s, int64_t *out);
/* Prints the handle's last error after "strata: @what:"; returns EXIT_FAIL. */
int cli_fail(cli *c, const char *what);
/* Opens the handle: database (unless @offline) and migrations directory. */
int cli_prepare(cli *c, bool offline, bool need_dir);

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

/* force, accept and baseline: one version argument (cmd_version.c). */
int cli_version_command(cli *c, int argc, char **argv, const char *what);
/* status and verify (cmd_status.c). */
int cli_status_or_verify(cli *c, int argc, char **argv, bool verify);
/* down and redo (cmd_down.c). */
int cli_down_or_redo(cli *c, int argc, char **argv, bool redo);

#endif

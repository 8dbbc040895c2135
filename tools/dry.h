/* up/down --dry-run: the library's DRY_RUN events as a SQL script on
 * stdout, or with --json one document gathered in memory and printed only
 * when the dry run succeeded. */
#ifndef STRATA_TOOLS_DRY_H
#define STRATA_TOOLS_DRY_H

#include <stdbool.h>

#include "strata.h"

typedef struct cli_dry cli_dry;

/* Starts collecting (JSON) or printing (text); NULL on out of memory. */
cli_dry *dry_begin(bool json);
void dry_event(cli_dry *d, const strata_event *ev);
/* Prints the JSON document when @ok, then frees @d (NULL: no-op). */
void dry_end(cli_dry *d, bool ok);

#endif

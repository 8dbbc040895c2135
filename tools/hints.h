/* Hints printed after a failure: the exact command that resolves it. */
#ifndef STRATA_TOOLS_HINTS_H
#define STRATA_TOOLS_HINTS_H

#include "cli.h"

void hint_dirty(cli *c, int64_t version);
/* After a failed revert: each row named in the handle's error message. */
void hint_after_revert(cli *c);
/* After a failed connection: a database that does not exist is not made. */
void hint_connect(cli *c);

#endif

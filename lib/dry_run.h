/* The dry run: for one migration (or its down), a header naming its file
 * and transaction mode, then every round trip the runner would send, as
 * STRATA_EVENT_DRY_RUN events. Nothing is sent to the server. */
#ifndef STRATA_DRY_RUN_H
#define STRATA_DRY_RUN_H

#include "internal.h"

/* Reports what applying (@revert false) or reverting @m would send. SQL
 * the parser cannot read fails the dry run: STRATA_EPARSE naming
 * "file:line:col: message"; a batch that is not one statement, too. */
int dry_run_one(strata *s, const migration *m, bool revert);

#endif

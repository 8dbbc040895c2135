/* Observe mode (observe.c): a transactional migration run statement by
 * statement, with the locks and rewrites of each read from its own backend. */
#ifndef STRATA_OBSERVE_H
#define STRATA_OBSERVE_H

#include "internal.h"

/* Runs @m as run_migration_tx() does (one transaction with its history row),
 * sending a STRATA_EVENT_OBSERVED event after each statement and one at
 * COMMIT with the time each lock was held. */
int run_migration_observed(run_ctx *rc, const migration *m);

#endif

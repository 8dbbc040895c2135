/* Observe mode: a transactional migration run statement by statement, with
 * the locks and rewrites of each read from its own backend (observe.c);
 * no-transaction migrations sampled from a second connection
 * (observe_notx.c); batches looked at inside each batch (observe_batch.c). */
#ifndef STRATA_OBSERVE_H
#define STRATA_OBSERVE_H

#include "internal.h"

/* Runs @m as run_migration_tx() does (one transaction with its history row),
 * sending a STRATA_EVENT_OBSERVED event after each statement and one at
 * COMMIT with the time each lock was held. */
int run_migration_observed(run_ctx *rc, const migration *m);

/* observe_notx.c: run_migration_notx() (from statement @start) with each
 * statement's locks sampled from a second connection while it runs, and
 * one event per statement that succeeded; the dirty row and progress are
 * the runner's. Ends with the statement-0 {"held"} event (longest seen). */
int run_notx_observed(run_ctx *rc, const migration *m, int32_t start);
/* observe_batch.c: run_migration_batch() with one event per batch run
 * (statement = batch number), the final 0-row run included, and the
 * statement-0 {"held"} event (the longest batch holding each lock). */
int run_batch_observed(run_ctx *rc, const migration *m);

#endif

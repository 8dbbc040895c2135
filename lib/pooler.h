/* Through a transaction pooler (pooler.c). */
#ifndef STRATA_POOLER_H
#define STRATA_POOLER_H

#include "internal.h"

/* Once per handle: sets s->pooled when the server backend is not the one
 * the connection started with, or changes between two transactions. */
int pooler_detect(strata *s);
/* Pooled: refuses a run with a pending migration that cannot hold a
 * transaction-level lock (no-transaction, batch, own BEGIN/COMMIT). */
int pooler_check_pending(strata *s);
/* Before a transactional migration's SQL: when pooled, opens its
 * transaction, takes the lock there and re-reads its history row.
 * 0: go on (the transaction stays open); 1: already applied by another
 * migrator, skipped (rolled back); negative: error. */
int pooler_tx_guard(run_ctx *rc, const migration *m);
/* Pooled: "SELECT pg_advisory_xact_lock(key);\n" for a transaction of the
 * admin commands (nothing otherwise). */
void pooler_lock_sql(strata *s, sbuf *sql);

#endif

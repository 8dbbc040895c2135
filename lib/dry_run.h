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

/* The dry run of strata_apply's plan @items (in run order), @h the history
 * read before it (NULL without a connection): as dry_run_one for each, plus
 * what a first run sends before them, where it is sent: the history table's
 * creation, and the done_hashes column an older (or new) history table gets
 * before the first no-transaction migration. @resumed (or NULL): the dirty
 * migration `--resume` continues first, from statement @resume_at (0-based
 * count of finished ones). Single-transaction mode: BEGIN; before the first
 * of @items, their multi-row history INSERT and COMMIT; after the last. */
int dry_run_plan(strata *s, const history *h, const migration *resumed, int32_t resume_at,
                 const migration *const *items, size_t n);

#endif

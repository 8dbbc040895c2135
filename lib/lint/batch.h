/* The rule on `-- strata:batch` statements (batch.c). */
#ifndef STRATA_LINT_BATCH_H
#define STRATA_LINT_BATCH_H

#include "lint.h"

/* batch-update-never-converges: a batch UPDATE whose WHERE tests none of
 * the columns its SET changes matches the same rows on every run. */
void check_batch_update(lint_ctx *c, const PgQuery__UpdateStmt *u);

#endif

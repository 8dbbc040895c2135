/* Size grading with a live database (size.c). */
#ifndef STRATA_LINT_SIZE_H
#define STRATA_LINT_SIZE_H

#include "lint.h"

/* Notes each locking finding's table size, and lowers the severity where
 * the table is small or does not exist yet. */
void lint_grade_by_size(strata *s, strata_lint_finding *items, char *const *tables, size_t n);

#endif

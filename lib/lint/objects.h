/* Rules on whole objects and statements (objects.c). */
#ifndef STRATA_LINT_OBJECTS_H
#define STRATA_LINT_OBJECTS_H

#include "lint.h"

void check_index(lint_ctx *c, const PgQuery__IndexStmt *ix);
void check_drop(lint_ctx *c, const PgQuery__DropStmt *d);
void check_other(lint_ctx *c, const PgQuery__Node *n);

#endif

/* Column rules and the column types remembered across migrations
 * (columns.c). */
#ifndef STRATA_LINT_COLUMNS_H
#define STRATA_LINT_COLUMNS_H

#include "lint.h"

void remember_type(lint_ctx *c, const char *rel, const char *col, const PgQuery__TypeName *t);
char *type_text(const PgQuery__TypeName *t);
const char *remembered_type(const lint_ctx *c, const char *rel, const char *col);
bool coercible(const char *old, const char *new_);
void check_add_column(lint_ctx *c, const char *rel, const PgQuery__ColumnDef *cd, bool new_table);

#endif

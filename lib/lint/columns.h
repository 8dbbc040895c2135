/* Column rules and the column types remembered across migrations
 * (columns.c). */
#ifndef STRATA_LINT_COLUMNS_H
#define STRATA_LINT_COLUMNS_H

#include "lint.h"

void remember_type(lint_ctx *c, const char *rel, const char *col, const PgQuery__TypeName *t);
char *type_text(const PgQuery__TypeName *t);
const char *remembered_type(const lint_ctx *c, const char *rel, const char *col);
/* "rel.col" with col quoted as needed (rel is already): the key of a
 * column in lint_memory (malloc'd). */
char *lint_colkey(const char *rel, const char *col);
/* The value of the last "key=value" entry of @v, or NULL. */
const char *lint_kv_last(const strvec *v, const char *key);
void check_add_column(lint_ctx *c, const char *rel, const PgQuery__ColumnDef *cd, bool new_table);

#endif

/* ALTER TABLE rules (alter.c). */
#ifndef STRATA_LINT_ALTER_H
#define STRATA_LINT_ALTER_H

#include "lint.h"

void check_alter_table(lint_ctx *c, const PgQuery__AlterTableStmt *st);

#endif

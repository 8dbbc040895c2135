/* Column types read from the live database (live.c). */
#ifndef STRATA_LINT_LIVE_H
#define STRATA_LINT_LIVE_H

#include "lint.h"

/* The type column @col of table @rel (quoted, as lint_relname prints it;
 * resolved like the server would, through the search_path when
 * unqualified) has in the connected database, in type_text's form. NULL
 * offline, for a table or column the database does not have, or when the
 * lookup fails. One query per table per run; the result is owned by the
 * run's lint_memory. */
const char *lint_live_type(lint_ctx *c, const char *rel, const char *col);

#endif

/* Names and values as the linter prints and sends them (quote.c): quoted
 * the way PostgreSQL's quote_ident() and quote_literal() would, so that a
 * message or a copied fix names exactly the object the migration names. */
#ifndef STRATA_LINT_QUOTE_H
#define STRATA_LINT_QUOTE_H

#include "lint.h"

/* @name bare when PostgreSQL would read it back unchanged (lower-case
 * ASCII letters, digits, underscores, not a reserved word), else in double
 * quotes with inner quotes doubled (malloc'd, NULL on out of memory). */
char *lint_ident(const char *name);
/* A type name: quoted only when not a plain lower-case word; type names
 * such as varchar, char or time are keywords and stand bare there. */
char *lint_typename(const char *name);
/* "schema.rel" or "rel", each part through lint_ident (malloc'd). This is
 * also the key tables are compared by, and valid regclass input. */
char *lint_relname(const PgQuery__RangeVar *rv);
/* The parts of a name list (DROP's objects), joined the same way. */
char *lint_namelist(const PgQuery__List *l);
/* lint_ident / a single-quoted literal, owned by @c until the end of the
 * current statement: for printf arguments ("?" on NULL or out of memory). */
const char *lint_q(lint_ctx *c, const char *name);
const char *lint_lit(lint_ctx *c, const char *value);

#endif

/* Which column type changes PostgreSQL makes without rewriting the table
 * (types.c). */
#ifndef STRATA_LINT_TYPES_H
#define STRATA_LINT_TYPES_H

#include <stdbool.h>

/* True when ALTER COLUMN TYPE from @old to @new_ (both in type_text's
 * form, "varchar(20)", "numeric(10,2)", "int4[]") leaves the table's data
 * as it is: the same type, a binary-coercible cast (varchar <-> text, cidr
 * -> inet), or a length change PostgreSQL proves harmless (varchar and
 * varbit widening, numeric precision up at the same scale, temporal
 * precision up). A NULL @old (unknown) is a rewrite. */
bool lint_type_change_is_free(const char *old, const char *new_);

#endif

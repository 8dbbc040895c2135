/* Passwords never reach a message (secret.c). */
#ifndef STRATA_SECRET_H
#define STRATA_SECRET_H

#include "internal.h"

/* Records on @s every form of the password @conninfo carries (decoded, as
 * written in a URI, the pieces libpq may split it into) or PGPASSWORD.
 * Returns STRATA_OK; STRATA_EPARSE when libpq cannot parse @conninfo, with
 * a reason in @why that repeats no part of it; STRATA_ENOMEM. */
int secret_collect(strata *s, const char *conninfo, sbuf *why);
/* Overwrites with '*' every occurrence of every recorded form in @msg. */
/* Records @pw (NULL or "": nothing), e.g. a borrowed connection's. */
int secret_add(strata *s, const char *pw);
void secret_mask(const strata *s, char *msg);
void secret_free(strata *s);

#endif

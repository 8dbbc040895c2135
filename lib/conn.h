/* The connection's notice receiver, owned or borrowed (conn.c). */
#ifndef STRATA_CONN_H
#define STRATA_CONN_H

#include "internal.h"

/* An owned connection: strata's receiver stays on it for good. */
void conn_notices_owned(strata *s);
/* A borrowed connection: learn libpq's default receiver, touch nothing. */
void conn_notices_borrowed(strata *s);
/* Around a call's work on a borrowed connection: strata's receiver goes on
 * when the one there can be put back exactly, and comes off again. */
void conn_notices_enter(strata *s);
void conn_notices_leave(strata *s);

#endif

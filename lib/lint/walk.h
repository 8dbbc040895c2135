/* A walk over every node of a parse tree (walk.c). */
#ifndef STRATA_LINT_WALK_H
#define STRATA_LINT_WALK_H

#include "lint.h"

/* Calls @visit on @m and on every message below it, depth first, until a
 * call returns true; returns whether one did. NULL @m: false. */
bool lint_walk(const ProtobufCMessage *m, bool (*visit)(const ProtobufCMessage *m, void *arg), void *arg);

#endif

/* The rule table (rules.c) and the dispatcher that hands each statement to
 * the rule families. */
#ifndef STRATA_LINT_RULES_H
#define STRATA_LINT_RULES_H

#include "lint.h"

typedef struct rule_info {
    const char *id;
    int32_t severity;
    const char *why;   /* lock taken, what it blocks or breaks */
    const char *fix;   /* the safe recipe */
} rule_info;

extern const rule_info lint_rules[];
extern const size_t lint_rule_count;
const rule_info *lint_rule(const char *id);

/* Runs every rule over one parsed statement. */
void lint_statement(lint_ctx *c, const PgQuery__Node *stmt);
void check_create(lint_ctx *c, const PgQuery__CreateStmt *st);

#endif

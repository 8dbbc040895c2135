/* Observation against lint (observe_lint.c): what the linter said a
 * statement locks or rewrites, compared with what observe saw it do. A
 * disagreement is a lint bug to fix or a finding to explain. */
#ifndef STRATA_OBSERVE_LINT_H
#define STRATA_OBSERVE_LINT_H

#include "internal.h"

typedef struct lint_said {
    int32_t line;     /* the finding's line in the file */
    const char *rule; /* static strings (the table in observe_lint.c) */
    const char *mode; /* the pg_locks mode the rule says the statement takes, or NULL */
    bool rewrite;     /* the rule says the statement rewrites its table */
} lint_said;

typedef struct obs_lint {
    lint_said *items;
    size_t n;
    bool loaded; /* false: lint could not run (a warning said so); nothing is compared */
} obs_lint;

/* Lints @m before it runs (the catalog as it is now) and keeps the
 * findings whose rule says what lock or rewrite the statement takes. */
void observe_lint_load(strata *s, const migration *m, obs_lint *out);
void observe_lint_clear(obs_lint *l);

/* The statement on file lines [@line, @end_line) held @modes (pg_locks
 * names, any relation) and rewrote @nrewrote relations: appends
 * ,"lint":[{"rule", "said", "observed"}] to @json when that contradicts
 * lint. @locks_known: false when the locks were only sampled (a short one
 * may be missed), so only rewrites are judged. */
void observe_lint_judge(const obs_lint *l, int32_t line, int32_t end_line, bool locks_known,
                        const char *const *modes, size_t nmodes, size_t nrewrote, sbuf *json);

#endif

/* Retries after lock_not_available (55P03). A migration that needs a strong
 * lock waits for it at most lock_timeout, while every writer queues behind
 * it: so the wait is kept short (default 750 ms) and tried again, with
 * exponential backoff and jitter, until a total time budget (default 60 s)
 * is spent. A long report query of up to the budget then delays the
 * deploy, not the application's writes (tests/bench/live-load.sh). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* xorshift64*: a per-handle generator; jitter needs no quality, only no
 * shared state (two migrators must not retry in lockstep). */
static uint64_t next_random(strata *s)
{
    uint64_t x = s->rng ? s->rng : 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 0x2545F4914F6CDD1Du;
}

/* backoff * 2^attempt, capped, then a random point in its upper half */
static int64_t backoff_for(strata *s, int attempt)
{
    int shift = attempt < 30 ? attempt : 30;
    int64_t cap = s->retry_backoff_max_ms > 0 ? s->retry_backoff_max_ms : INT64_MAX;
    int64_t wait = s->retry_backoff_ms > (cap >> shift) ? cap : s->retry_backoff_ms << shift;
    if (wait > cap)
        wait = cap;
    if (wait >= 2)
        wait = wait / 2 + (int64_t)(next_random(s) % (uint64_t)(wait - wait / 2 + 1));
    return wait;
}

bool retry_wait(run_ctx *rc, const migration *m, int attempt, const PGresult *e)
{
    strata *s = rc->s;
    if (!pg_sqlstate_is(e, "55P03"))
        return false;
    int64_t now = now_ms();
    if (attempt == 0)
        rc->retry_started_ms = now;
    rc->retry_attempts = attempt;
    int64_t wait = backoff_for(s, attempt);
    int64_t spent = now - rc->retry_started_ms;
    if (attempt >= s->retries || (s->retry_budget_ms > 0 && spent + wait > s->retry_budget_ms))
        return false;
    sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "lock_timeout: %s; retry %d in %lld ms (%lld of %lld ms spent waiting)",
                PQresultErrorField(e, PG_DIAG_MESSAGE_PRIMARY), attempt + 1, (long long)wait,
                (long long)spent, (long long)s->retry_budget_ms);
    strata_event ev = event_of(STRATA_EVENT_RETRY, m, b.data);
    ev.statement = attempt + 1;
    ev.duration_ms = wait;
    emit_ev(s, &ev);
    sbuf_free(&b);
    sleep_ms(wait);
    rc->retry_attempts = attempt + 1;
    return true;
}

void lock_failure_suffix(run_ctx *rc, sbuf *b, const PGresult *e)
{
    if (!pg_sqlstate_is(e, "55P03"))
        return;
    sbuf_printf(b, "\n(gave up after %d retries in %lld ms; ", rc->retry_attempts,
                (long long)(now_ms() - rc->retry_started_ms));
    if (rc->s->last_blocker_pid)
        sbuf_printf(b, "last %s; ", rc->s->last_blocker);
    else
        sbuf_puts(b, "look for long transactions in pg_stat_activity holding locks on the "
                     "table; ");
    sbuf_puts(b, "a larger retry budget (strata_set_retry_budget_ms, --retry-budget) waits "
                 "longer without stalling writers longer)");
}

STRATA_EXPORT int strata_set_retry_budget_ms(strata *s, int64_t ms)
{
    if (!s || ms < 0)
        return STRATA_EINVAL;
    s->retry_budget_ms = ms;
    return STRATA_OK;
}

STRATA_EXPORT int strata_set_retry_backoff_max_ms(strata *s, int64_t ms)
{
    if (!s || ms < 0)
        return STRATA_EINVAL;
    s->retry_backoff_max_ms = ms;
    return STRATA_OK;
}

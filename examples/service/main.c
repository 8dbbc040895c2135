/* A service that migrates its own database at startup, from migrations
 * compiled into the binary by strata-embed. Run it as:
 *   DATABASE_URL=postgresql://... ./strata-service            */
#include <stdio.h>
#include <stdlib.h>

#include <strata.h>

#include "migrations.h"

static void log_event(const strata_event *ev, void *payload)
{
    (void)payload;
    switch (ev->type) {
    case STRATA_EVENT_MIGRATION_START:
        fprintf(stderr, "migrating: %lld %s\n", (long long)ev->version, ev->name);
        break;
    case STRATA_EVENT_MIGRATION_DONE:
        fprintf(stderr, "migrated:  %lld %s in %lld ms\n", (long long)ev->version, ev->name,
                (long long)ev->duration_ms);
        break;
    case STRATA_EVENT_BLOCKED:
    case STRATA_EVENT_RETRY:
    case STRATA_EVENT_WARNING:
    case STRATA_EVENT_UNKNOWN_VERSION:
        fprintf(stderr, "migration: %s\n", ev->message);
        break;
    default:
        break;
    }
}

static int print_status(strata *s)
{
    strata_status_list *st = NULL;
    if (strata_status(s, &st) != STRATA_OK)
        return -1;
    printf("%-16s %-22s %s\n", "VERSION", "NAME", "STATE");
    for (size_t i = 0; i < strata_status_count(st); i++) {
        const strata_status_row *r = strata_status_get(st, i);
        printf("%-16lld %-22s %s\n", (long long)r->version, r->name, r->state_name);
    }
    strata_status_free(st);
    return 0;
}

int main(void)
{
    const char *url = getenv("DATABASE_URL");
    strata *s = NULL;
    int rc = strata_open(&s, url ? url : "");
    if (rc == STRATA_OK)
        rc = strata_add_migrations(s, app_migrations, app_migrations_count);
    if (rc == STRATA_OK) {
        strata_set_event_callback(s, log_event, NULL);
        rc = strata_apply(s, STRATA_LATEST);
    }
    if (rc == STRATA_OK)
        rc = print_status(s);
    if (rc != STRATA_OK) {
        fprintf(stderr, "startup migration failed (%s): %s\n", strata_strerror(rc), strata_errmsg(s));
        strata_close(s);
        return 1;
    }
    printf("service ready: schema is current (%zu migrations compiled in)\n", (size_t)app_migrations_count);
    strata_close(s);
    return 0;
}

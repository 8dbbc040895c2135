/* Migrates $DATABASE_URL from the migrations compiled into this binary. */
#include <stdio.h>
#include <stdlib.h>

#include <strata.h>

#include "migrations.h"

int main(void)
{
    const char *url = getenv("DATABASE_URL");
    strata *s = NULL;
    int rc = strata_open(&s, url ? url : "");
    if (rc == STRATA_OK)
        rc = strata_add_migrations(s, app_migrations, app_migrations_count);
    if (rc == STRATA_OK)
        rc = strata_apply(s, STRATA_LATEST);
    if (rc != STRATA_OK)
        fprintf(stderr, "consumer: %s\n", strata_errmsg(s));
    else
        printf("consumer: %zu migrations current (libstrata %s)\n", (size_t)app_migrations_count,
               strata_version());
    strata_close(s);
    return rc == STRATA_OK ? 0 : 1;
}

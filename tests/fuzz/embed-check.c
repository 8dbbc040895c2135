/* Linked with a generated file by the embed replay: dumps what the program
 * holds (version, then name, up and down as length + bytes; -1: NULL). */
#include <stdio.h>
#include <string.h>

#include "strata.h"

extern const strata_migration_def fz[];
extern const size_t fz_count;

static void put(const char *s)
{
    if (!s) {
        printf("-1\n");
        return;
    }
    printf("%zu\n", strlen(s));
    fwrite(s, 1, strlen(s), stdout);
    printf("\n");
}

int main(void)
{
    printf("%zu\n", fz_count);
    for (size_t i = 0; i < fz_count; i++) {
        printf("%lld\n", (long long)fz[i].version);
        put(fz[i].name);
        put(fz[i].up_sql);
        put(fz[i].down_sql);
    }
    return ferror(stdout) ? 1 : 0;
}

/* Compiles the public header alone with -std=c11 -pedantic -Werror. */
#include <strata.h>

int main(void)
{
    strata_migration_def d = {1, "a", "SELECT 1", 0};
    strata_event ev = {0};
    (void)ev;
    return d.version == 1 && STRATA_LATEST > 0 ? 0 : 1;
}

/* The compile check of the embed target (replay only: a compiler per input
 * is too slow for fuzzing). The generated C must build with
 * -std=c11 -pedantic -Wall -Werror and hold the migrations byte-exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_embed.h"

static void expect_dump(const char *dump, size_t len, const strata *s)
{
    char *want = NULL;
    size_t wn = 0;
    FILE *f = open_memstream(&want, &wn);
    size_t n = strata_migration_count(s);
    fprintf(f, "%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        strata_migration_def d;
        strata_migration_get(s, i, &d);
        fprintf(f, "%lld\n", (long long)d.version);
        const char *parts[3] = {d.name, d.up_sql, d.down_sql};
        for (int k = 0; k < 3; k++) {
            if (!parts[k]) {
                fprintf(f, "-1\n");
                continue;
            }
            fprintf(f, "%zu\n", strlen(parts[k]));
            fwrite(parts[k], 1, strlen(parts[k]), f);
            fputc('\n', f);
        }
    }
    fclose(f);
    if (wn != len || memcmp(want, dump, len) != 0)
        fz_fail("the compiled program holds other migrations than the directory");
    free(want);
}

void fz_embed_check_compiled(const char *out_c, const strata *s)
{
    const char *cc = getenv("FUZZ_EMBED_CC");
    const char *inc = getenv("FUZZ_EMBED_INC");
    const char *chk = getenv("FUZZ_EMBED_CHECK");
    char cmd[16384], exe[4200], dumpf[4200];
    if (!cc || !*cc || !inc || !chk)
        return;
    snprintf(exe, sizeof exe, "%s.exe", out_c);
    snprintf(dumpf, sizeof dumpf, "%s.dump", out_c);
    snprintf(cmd, sizeof cmd, "%s -std=c11 -pedantic -Wall -Wextra -Werror -I'%s' -o '%s' '%s' '%s'",
             cc, inc, exe, out_c, chk);
    if (system(cmd) != 0)
        fz_fail("the generated C does not compile: %s", cmd);
    snprintf(cmd, sizeof cmd, "'%s' > '%s'", exe, dumpf);
    if (system(cmd) != 0)
        fz_fail("the compiled program failed");
    size_t len;
    char *dump = fz_slurp(dumpf, &len);
    if (!dump)
        fz_fail("no dump");
    expect_dump(dump, len, s);
    free(dump);
}

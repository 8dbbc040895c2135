/* Fuzz target: the directive reader (leading comment lines of an up) and
 * the duration parser behind lock-timeout / statement-timeout / batch pause.
 * Properties: it terminates, an error says "line N: ...", a parsed duration
 * is -1 (invalid), -2 (above DURATION_MAX_MS) or a number of milliseconds
 * in 0 .. DURATION_MAX_MS; an accepted directive is within that range. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

static void check_duration(const uint8_t *data, size_t size)
{
    int64_t ms = parse_duration_ms((const char *)data, size);
    if (ms < -2 || ms > DURATION_MAX_MS)
        fz_fail("parse_duration_ms returned %lld", (long long)ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = fz_cstr(data, size);
    directives d;
    sbuf err;
    directives_init(&d);
    sbuf_init(&err);
    int rc = directives_parse(&d, sql, 1, &err);
    if (rc != STRATA_OK && rc != STRATA_EPARSE && rc != STRATA_ENOMEM)
        fz_fail("directives_parse returned %d", rc);
    if (rc == STRATA_EPARSE && (!err.data || strncmp(err.data, "line ", 5) != 0))
        fz_fail("parse error without a line: %s", err.data ? err.data : "(none)");
    if (rc == STRATA_OK && (d.lock_timeout_ms < -1 || d.statement_timeout_ms < -1 ||
                            d.batch_pause_ms < 0 || d.lock_timeout_ms > DURATION_MAX_MS ||
                            d.statement_timeout_ms > DURATION_MAX_MS ||
                            d.batch_pause_ms > DURATION_MAX_MS))
        fz_fail("duration out of range accepted");
    directives_clear(&d);
    sbuf_free(&err);
    check_duration(data, size);
    free(sql);
    return 0;
}

/* Checksums: SHA-256 (OpenSSL EVP) of the up SQL with CRLF folded to LF and
 * a leading BOM dropped, so a checkout with other line endings is not an
 * edit. The algorithm number stored beside it lets this change later. */
#include <openssl/evp.h>
#include <string.h>

#include "internal.h"

int checksum_sql(unsigned char out[32], const char *sql)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *p = sql, *run;
    unsigned int len = 0;
    int ok;
    if (!ctx)
        return STRATA_ENOMEM;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    run = p;
    for (; ok && *p; p++) {
        if (p[0] == '\r' && p[1] == '\n') {
            ok = EVP_DigestUpdate(ctx, run, (size_t)(p - run));
            run = p + 1;
        }
    }
    if (ok)
        ok = EVP_DigestUpdate(ctx, run, (size_t)(p - run));
    if (ok)
        ok = EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
    return ok && len == 32 ? STRATA_OK : STRATA_ERROR;
}

/* Passwords never reach a message. libpq echoes the token it could not
 * parse ("missing "=" after "topsecret""), and splits a URI's userinfo at
 * the first '@', so a password can surface whole, percent-decoded, as
 * written, or in pieces inside a host name. Every such form is recorded
 * when the handle opens and masked in every message; a string libpq cannot
 * parse is described without any of its text. */
#include <stdlib.h>
#include <string.h>

#include "secret.h"

static int add_secret(strata *s, const char *v, size_t n)
{
    char **p;
    if (n == 0)
        return STRATA_OK;
    for (size_t i = 0; i < s->n_secrets; i++)
        if (strlen(s->secrets[i]) == n && memcmp(s->secrets[i], v, n) == 0)
            return STRATA_OK;
    p = realloc(s->secrets, (s->n_secrets + 1) * sizeof *p);
    if (!p)
        return STRATA_ENOMEM;
    s->secrets = p;
    if (!(p[s->n_secrets] = xstrndup(v, n)))
        return STRATA_ENOMEM;
    s->n_secrets++;
    return STRATA_OK;
}

/* The password of a URI as written: between the first ':' of the userinfo
 * and the last '@' before the path (what the user meant, '@'s included),
 * and each '@'-separated piece of it (what libpq may show as a host). */
static int add_uri_password(strata *s, const char *conninfo)
{
    const char *p = strstr(conninfo, "://"), *end, *at = NULL, *colon;
    int rc;
    if (!p || (strncmp(conninfo, "postgresql://", 13) != 0 && strncmp(conninfo, "postgres://", 11) != 0))
        return STRATA_OK;
    p += 3;
    end = p + strcspn(p, "/");
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (!at || !(colon = memchr(p, ':', (size_t)(at - p))))
        return STRATA_OK;
    colon++;
    if ((rc = add_secret(s, colon, (size_t)(at - colon))))
        return rc;
    while (colon < at) {
        const char *piece = memchr(colon, '@', (size_t)(at - colon));
        if (!piece)
            piece = at;
        if ((rc = add_secret(s, colon, (size_t)(piece - colon))))
            return rc;
        colon = piece + 1;
    }
    return STRATA_OK;
}

/* libpq's reason, by the fixed words of its message, never its quoted
 * token. Unknown (or translated) messages get the generic reason. */
static const char *parse_reason(const char *libpq_msg)
{
    static const struct {
        const char *words, *reason;
    } known[] = {
        {"missing \"=\" after", "a word without \"=\" (a value holding spaces needs single quotes)"},
        {"unterminated quoted string", "an unterminated quoted value"},
        {"invalid connection option", "an unknown option name"},
        {"invalid percent-encoded token", "an invalid percent-encoding in the URI (write % as %25)"},
        {"forbidden value %00", "%00 in a percent-encoded value"},
        {"URI query parameter", "a malformed URI query parameter"},
        {"unexpected character", "an unexpected character in the URI (percent-encode reserved "
                                 "characters of the user name and password, e.g. @ as %40)"},
        {"IPv6", "a malformed IPv6 host address"},
    };
    for (size_t i = 0; libpq_msg && i < sizeof known / sizeof known[0]; i++)
        if (strstr(libpq_msg, known[i].words))
            return known[i].reason;
    return "libpq could not parse it";
}

int secret_collect(strata *s, const char *conninfo, sbuf *why)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
    const char *pw = NULL;
    int rc;
    if ((rc = add_uri_password(s, conninfo)))
        goto out;
    if (!opts) {
        if (!errmsg) {
            rc = STRATA_ENOMEM;
            goto out;
        }
        sbuf_printf(why, "malformed connection string: %s (libpq's message is not shown: it "
                         "repeats part of the string, which may hold a password)",
                    parse_reason(errmsg));
        rc = STRATA_EPARSE;
        goto out;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            pw = o->val;
    if (!pw)
        pw = getenv("PGPASSWORD");
    if (pw)
        rc = add_secret(s, pw, strlen(pw));
out:
    PQconninfoFree(opts);
    PQfreemem(errmsg);
    return rc;
}

int secret_add(strata *s, const char *pw)
{
    return pw ? add_secret(s, pw, strlen(pw)) : STRATA_OK;
}

void secret_mask(const strata *s, char *msg)
{
    for (size_t i = 0; i < s->n_secrets; i++) {
        size_t n = strlen(s->secrets[i]);
        /* past each masked span: a password of '*'s matches its own mask */
        for (char *p = msg; (p = strstr(p, s->secrets[i])) != NULL; p += n)
            memset(p, '*', n);
    }
}

void secret_free(strata *s)
{
    for (size_t i = 0; i < s->n_secrets; i++)
        free(s->secrets[i]);
    free(s->secrets);
    s->secrets = NULL;
    s->n_secrets = 0;
}

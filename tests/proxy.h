/* A fault-injecting proxy for the tests: a unix socket in front of the
 * harness's server that relays the PostgreSQL protocol message by message
 * and drops the connection after the k-th message in a chosen direction. */
#ifndef STRATA_TEST_PROXY_H
#define STRATA_TEST_PROXY_H

#include <stdbool.h>

enum proxy_dir {
    PROXY_NONE = 0,
    PROXY_TO_SERVER = 1,  /* count client -> server messages */
    PROXY_TO_CLIENT = 2   /* count server -> client messages */
};

typedef struct proxy proxy;

/* Listens in a new directory; forwards to the unix socket of @upstream_dir
 * and @port. NULL when the upstream is not a unix socket directory. */
proxy *proxy_start(const char *upstream_dir, int port);
/* Conninfo reaching the server through the proxy, for database @dbname. */
const char *proxy_dsn(proxy *p, const char *dbname);
/* Drop the connection right after forwarding the @k-th message (1-based)
 * in @dir, counted from now over every connection; PROXY_NONE disarms. */
void proxy_arm(proxy *p, enum proxy_dir dir, int k);
/* Whether the armed cut happened. */
bool proxy_cut(proxy *p);
/* Messages relayed in each direction since the last proxy_arm(). */
int proxy_count(proxy *p, enum proxy_dir dir);
void proxy_stop(proxy *p);

#endif

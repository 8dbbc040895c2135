/* strata verify --roundtrip / --drift: proofs that run in a scratch database
 * (tools/proof.c). */
#ifndef STRATA_TOOLS_PROOF_H
#define STRATA_TOOLS_PROOF_H

#include "cli.h"

typedef struct proof_opts {
    bool roundtrip, drift;
    const char *scratch; /* --scratch URL: the user's (never dropped) */
    int64_t from;        /* --roundtrip --from V; 0: all */
    int32_t flags;       /* --privileges: STRATA_SCHEMA_PRIVILEGES */
} proof_opts;

/* Runs the proof; returns the exit code (0 proven, 1 failed or found). */
int proof_run(cli *c, const proof_opts *o);

#endif

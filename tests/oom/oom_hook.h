/* Allocation-failure injection for the OOM suite. The test executable is
 * linked with -Wl,--wrap=malloc,calloc,realloc,strdup,strndup against the
 * library's object files, so the calls libstrata makes go through these
 * wrappers; libpq, libpg_query and libcrypto are shared libraries whose
 * allocations are not wrapped and never fail here. */
#ifndef STRATA_OOM_HOOK_H
#define STRATA_OOM_HOOK_H

#include <stdbool.h>

/* From now on, count allocations; the @n-th one (1-based) fails. */
void oom_arm(long n);
/* Stops counting; returns whether the failure was injected. */
bool oom_disarm(void);

#endif

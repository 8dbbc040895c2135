/* `strata lint` and the lint gate of `strata up`. */
#ifndef STRATA_TOOLS_LINTCMD_H
#define STRATA_TOOLS_LINTCMD_H

#include "out.h"
#include "strata.h"

#define LINTCMD_LEVEL_OFF (-1)

int lintcmd_parse_level(const char *s); /* -1 off, else severity; -2 invalid */
int lintcmd_main(int argc, char **argv, const char *dir, bool json, const char *url, const out_style *st);
/* Sets enforcement @level on @s (LINTCMD_LEVEL_OFF: none); with @dry
 * prints every finding as "-- lint:" lines on stdout, with @show_errors the
 * errors on stderr (not blocking). Returns 0 or a STRATA_E* code. */
int lintcmd_gate(strata *s, int level, bool dry, bool show_errors, const out_style *st);

#endif

/* `strata lint` and the lint gate of `strata up`. */
#ifndef STRATA_TOOLS_LINTCMD_H
#define STRATA_TOOLS_LINTCMD_H

#include "out.h"
#include "strata.h"

#define LINTCMD_LEVEL_OFF (-1)

int lintcmd_parse_level(const char *s); /* -1 off, else severity; -2 invalid */
int lintcmd_main(int argc, char **argv, const char *dir, bool json, const char *url, const out_style *st);
/* Sets enforcement on @s and, for a dry run, prints the findings. */
int lintcmd_gate(strata *s, int level, bool dry, bool color);

#endif

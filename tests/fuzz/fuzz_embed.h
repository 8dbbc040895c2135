/* The embed target's two checks of a generated file (fuzz-embed.c). */
#ifndef STRATA_FUZZ_EMBED_H
#define STRATA_FUZZ_EMBED_H

#include "strata.h"

/* Reads @gen (the generated C) back as a compiler would; fails on any
 * difference from @s's migrations. */
void fz_embed_check_text(const char *gen, const strata *s);
/* When FUZZ_EMBED_CC is set (the replay test): compiles @out_c with it,
 * links embed-check.c, runs the program and compares its dump with @s. */
void fz_embed_check_compiled(const char *out_c, const strata *s);

#endif

/* Library functions newer than some libstrata builds this CLI may link
 * against during development: declared weak, so the CLI checks for them at
 * run time and falls back. (Remove once every build has them.) */
#ifndef STRATA_TOOLS_WEAK_H
#define STRATA_TOOLS_WEAK_H

#include "strata.h"

#pragma weak strata_redo
#pragma weak strata_set_allow_empty_down

#endif

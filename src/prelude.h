/*
 * Included before every translation unit (-include src/prelude.h): the
 * system headers vend uses everywhere, then banned.h, so that a banned
 * function is a build error wherever it appears.
 */
#ifndef VEND_PRELUDE_H
#define VEND_PRELUDE_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "banned.h"

#endif

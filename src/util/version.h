/* The version string, set by the build (VEND_VERSION) or "dev". */
#ifndef VEND_UTIL_VERSION_H
#define VEND_UTIL_VERSION_H
#ifndef VEND_VERSION
#define VEND_VERSION "0.1.0-dev"
#endif
#endif

/*
 * The stop signals of the long-running commands (vend up, server, runner):
 * blocked in every thread and taken by one, with sigwait(), so that no
 * thread is interrupted at a bad moment and shutdown runs in order.
 */
#ifndef VEND_UTIL_SIG_H
#define VEND_UTIL_SIG_H

#include <signal.h>

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, and so in the
 * threads it starts afterwards, and fills set with them; ignores SIGPIPE
 * (a closed connection is an error return, not the end of the process).
 * Call it before starting any thread. */
void sig_block_stop(sigset_t *set);
/* Waits for SIGINT or SIGTERM (SIGHUP is taken and ignored) and returns
 * which. */
int sig_wait_stop(const sigset_t *set);
/* "SIGINT" or "SIGTERM", for the log line. Static. */
const char *sig_stop_name(int sig);

#endif

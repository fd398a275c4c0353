/* Blocking and waiting for the stop signals (see sig.h). */
#include <pthread.h>

#include "util/sig.h"

void sig_block_stop(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int sig_wait_stop(const sigset_t *set)
{
	int sig = 0;

	while (sigwait(set, &sig) == 0 && sig == SIGHUP)
		; /* nothing to reload */
	return sig;
}

const char *sig_stop_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

/* What of glibc Swift's Glibc module leaves out: the timerfd interface and ppoll. */
#include <sys/timerfd.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

/* ppoll(2): poll with a timeout in nanoseconds. glibc declares it only under _GNU_SOURCE, which
   Swift's Glibc module is not built with. */
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask);

/* The timerfd interface (part of glibc, which Swift's Glibc module leaves out). */
#include <sys/timerfd.h>

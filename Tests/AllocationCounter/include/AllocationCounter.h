#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

#include <stdint.h>

/// Starts counting heap allocations (malloc, calloc, realloc and the aligned forms, which every
/// Swift class instance, array, string and closure context goes through) made on the calling
/// thread.
void allocation_counter_start(void);

/// Stops counting and returns the allocations made on the calling thread since the start.
uint64_t allocation_counter_stop(void);

/// 1 when allocations are counted; 0 in a sanitizer build, whose runtime owns the allocator.
int allocation_counter_available(void);

#endif

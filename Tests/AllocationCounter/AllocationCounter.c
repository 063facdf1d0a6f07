// Counts heap allocations by interposing glibc's allocator: the test executable's `malloc` and
// friends take precedence over libc's (ELF symbol interposition) and forward to glibc's own
// `__libc_*` entry points, so `free` stays compatible. Only the calling thread's allocations are
// counted, and only between start and stop.
#include "AllocationCounter.h"

#include <errno.h>
#include <stddef.h>

// Under a sanitizer the allocator belongs to the sanitizer's runtime (interposing it as well
// crashes at start-up): the counter is not built, and the tests that need it are skipped.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ALLOCATION_COUNTER_OFF 1
#endif
#endif

#ifdef ALLOCATION_COUNTER_OFF

int allocation_counter_available(void) { return 0; }
void allocation_counter_start(void) {}
uint64_t allocation_counter_stop(void) { return 0; }

#else

int allocation_counter_available(void) { return 1; }

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Thread_local int counting;
static _Thread_local uint64_t count;

static inline void note(void) {
    if (counting) count += 1;
}

void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count_, size_t size) {
    note();
    return __libc_calloc(count_, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    note();
    void *memory = __libc_memalign(alignment, size);
    if (memory == NULL) return ENOMEM;
    *result = memory;
    return 0;
}

void allocation_counter_start(void) {
    count = 0;
    counting = 1;
}

uint64_t allocation_counter_stop(void) {
    counting = 0;
    return count;
}

#endif

/* Counts heap allocations of the whole process (every thread, the library's included) while
 * `alloc_counting` is set, by defining malloc and friends in the test executable: the dynamic
 * linker binds the library's calls to these, which count and forward to glibc. Include it in
 * exactly one translation unit of a test program; not for sanitizer builds (they own malloc). */
#ifndef NS_TEST_ALLOC_HOOK_H
#define NS_TEST_ALLOC_HOOK_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#include <atomic>
#define NS_ATOMIC(T) std::atomic<T>
#define NS_LOAD(x) (x).load(std::memory_order_relaxed)
#define NS_ADD(x) (x).fetch_add(1, std::memory_order_relaxed)
#define NS_NOTHROW noexcept /* as glibc declares them for C++ */
extern "C" {
#else
#include <stdatomic.h>
#define NS_ATOMIC(T) _Atomic(T)
#define NS_LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define NS_ADD(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)
#define NS_NOTHROW
#endif

void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);

static NS_ATOMIC(int) alloc_counting;
static NS_ATOMIC(uint64_t) alloc_count;

static inline void alloc_note(void) {
    if (NS_LOAD(alloc_counting)) NS_ADD(alloc_count);
}

void* malloc(size_t size) NS_NOTHROW {
    alloc_note();
    return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) NS_NOTHROW {
    alloc_note();
    return __libc_calloc(count, size);
}

void* realloc(void* p, size_t size) NS_NOTHROW {
    alloc_note();
    return __libc_realloc(p, size);
}

void* memalign(size_t alignment, size_t size) NS_NOTHROW {
    alloc_note();
    return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) NS_NOTHROW {
    alloc_note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) NS_NOTHROW {
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
    alloc_note();
    void* p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void free(void* p) NS_NOTHROW { __libc_free(p); }

#ifdef __cplusplus
}
#endif

#endif

#ifndef CPREFETCH_H
#define CPREFETCH_H

// Software prefetch and streaming stores, which Swift has no way to emit.

/// Asks the CPU to bring the cache line holding `address` into every cache level ahead of its
/// use.
static inline void cprefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

typedef float cvector16 __attribute__((ext_vector_type(16)));

/// Stores 16 floats at the 64-byte aligned `address` around the caches.
static inline void cstream(float *address, cvector16 value) { __builtin_nontemporal_store(value, (cvector16 *)address); }

/// Orders the streamed stores before whatever follows.
static inline void cstream_fence(void) { __builtin_ia32_sfence(); }

#endif

#ifndef CPREFETCH_H
#define CPREFETCH_H

// Software prefetch, which Swift has no way to emit.

/// Asks the CPU to bring the cache line holding `address` into every cache level ahead of its
/// use.
static inline void cprefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif

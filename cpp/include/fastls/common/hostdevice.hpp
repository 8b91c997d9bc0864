// Lets a header be compiled by both the host compiler and nvcc, so that CPU
// and GPU share one definition of every random number.
#pragma once
#if defined(__CUDACC__)
#define FASTLS_HD __host__ __device__ __forceinline__
#else
#define FASTLS_HD inline __attribute__((always_inline))
#endif

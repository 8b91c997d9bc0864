/* fastls CUDA kernels behind a plain C ABI (no CUDA or pybind11 types), so
 * that host C++ compiled by the ordinary compiler can call them.
 *
 * Every function returns 0 on success, a positive cudaError_t code on a CUDA
 * failure, or FASTLS_CUDA_EINVAL for a bad argument; fastls_cuda_error_string
 * names any of them. Device arrays are column-major unless row_major is set
 * (then C order, n x d). The sketch entries come from the same Philox counter
 * layout as the CPU (cpp/include/fastls/sketch/random.hpp), so S is bitwise
 * the same on both. */
#ifndef FASTLS_CUDA_H
#define FASTLS_CUDA_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { FASTLS_CUDA_GAUSSIAN = 0, FASTLS_CUDA_RADEMACHER = 1, FASTLS_CUDA_SRHT = 2 };
enum { FASTLS_CUDA_EINVAL = -1 };

const char* fastls_cuda_error_string(int code);
int fastls_cuda_device_count(int* count);
int fastls_cuda_device_props(int device, char* name, int name_len, size_t* total_memory,
                             int* major, int* minor);
int fastls_cuda_malloc(void** ptr, size_t bytes);
int fastls_cuda_free(void* ptr);
int fastls_cuda_copy_to_device(void* dst, const void* src, size_t bytes);
int fastls_cuda_copy_to_host(void* dst, const void* src, size_t bytes);
int fastls_cuda_synchronize(void);

/* S (m x n, column-major, device) explicitly. srht_rows: the m sampled rows
 * (host, sorted), for FASTLS_CUDA_SRHT only. */
int fastls_cuda_explicit_matrix(int kind, int64_t m, int64_t n, uint64_t seed,
                                const uint64_t* srht_rows, double* S);

/* SA = S A (SA: m x d column-major, device). A (n x d, device) is read once
 * per pass; S is generated inside the kernels and never stored. */
int fastls_cuda_sketch(int kind, int64_t m, uint64_t seed, const uint64_t* srht_rows,
                       const double* A, int64_t n, int64_t d, int row_major, double* SA);

/* y = alpha A x + beta y (x: d, y: n) and z = A^T u (u: n, z: d); all device.
 * Reductions run over fixed chunks of rows in a fixed order, so results are
 * reproducible; `work` holds fastls_cuda_reduction_chunks(n) * d doubles for
 * gemv_t and fastls_cuda_reduction_chunks(n) for nrm2. */
int64_t fastls_cuda_reduction_chunks(int64_t n);
int fastls_cuda_gemv(const double* A, int64_t n, int64_t d, int row_major, const double* x,
                     double alpha, double beta, double* y);
int fastls_cuda_gemv_t(const double* A, int64_t n, int64_t d, int row_major, const double* u,
                       double* work, double* z);
/* ||x||_2 to the host, and x *= a, on device vectors of length n. */
int fastls_cuda_nrm2(const double* x, int64_t n, double* work, double* result);
int fastls_cuda_scale(double* x, int64_t n, double a);

#ifdef __cplusplus
}
#endif
#endif

// fastls CUDA kernels: sketches generated on the fly from the shared Philox
// layout, an fp64 Walsh-Hadamard transform for any power-of-two length, and
// the matrix-vector products LSQR needs. All reductions use a fixed order.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "fastls/sketch/random.hpp"
#include "fastls_cuda.h"

namespace {

using fastls::sketch::gaussian_entry;
using fastls::sketch::gaussian_pair;
using fastls::sketch::hadamard_entry;
using fastls::sketch::rademacher_entry;
using fastls::sketch::srht_sign;

#define FASTLS_TRY(expr)                                      \
    do {                                                      \
        const cudaError_t e_ = (expr);                        \
        if (e_ != cudaSuccess) return static_cast<int>(e_);   \
    } while (0)

int launched() { return static_cast<int>(cudaGetLastError()); }

// Stream-ordered allocation from the device's memory pool (large per-call
// workspaces are then not returned to the driver on every call), leaving no
// error behind for cudaGetLastError to report later.
cudaError_t checked_malloc(void** ptr, size_t bytes) {
    // Keep freed blocks in the pool (as CuPy's allocator does): with the default
    // release threshold of 0, every call would map its workspace afresh.
    static const bool pool_kept = [] {
        int device = 0;
        cudaMemPool_t pool;
        if (cudaGetDevice(&device) == cudaSuccess &&
            cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) {
            std::uint64_t threshold = UINT64_MAX;
            cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold);
        }
        cudaGetLastError();
        return true;
    }();
    (void)pool_kept;
    const cudaError_t e = cudaMallocAsync(ptr, bytes, 0);
    if (e != cudaSuccess) {
        cudaGetLastError();
        *ptr = nullptr;
    }
    return e;
}

// Device memory owned for the duration of one call.
struct Scratch {
    void* ptr = nullptr;
    ~Scratch() {
        if (ptr) cudaFreeAsync(ptr, 0);
    }
    cudaError_t alloc(size_t bytes) { return checked_malloc(&ptr, bytes); }
    template <class T>
    T* as() const { return static_cast<T*>(ptr); }
};

constexpr int kThreads = 256;

unsigned grid_for(int64_t work) {
    const int64_t blocks = (work + kThreads - 1) / kThreads;
    return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(blocks, 65535 * 8)));
}

// ---- explicit S ---------------------------------------------------------------------
__global__ void explicit_kernel(int kind, int64_t m, int64_t n, uint64_t seed,
                                const uint64_t* rows, double scale, double* S) {
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < m * n;
         e += int64_t(gridDim.x) * blockDim.x) {
        const uint64_t i = uint64_t(e % m), j = uint64_t(e / m);
        double v;
        if (kind == FASTLS_CUDA_GAUSSIAN) v = gaussian_entry(seed, i, j);
        else if (kind == FASTLS_CUDA_RADEMACHER) v = rademacher_entry(seed, i, j);
        else v = srht_sign(seed, j) * hadamard_entry(rows[i], j);
        S[e] = scale * v;
    }
}

// ---- Gaussian / Rademacher: S generated in shared memory, fused with the product ----
constexpr int TM = 64, TD = 64, TK = 16;

// One block: a TM x TD tile of the partial product of its slice of rows of A.
__global__ __launch_bounds__(256) void dense_sketch_kernel(int kind, int64_t m, int64_t n,
                                                           int64_t d, uint64_t seed,
                                                           const double* A, int row_major,
                                                           int64_t kc, double* partial) {
    __shared__ double Ss[TK][TM];  // S(i0 + r, k0 + kk)
    __shared__ double As[TK][TD];  // A(k0 + kk, c0 + c)
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    const int64_t i0 = int64_t(blockIdx.x) * TM, c0 = int64_t(blockIdx.y) * TD;
    const int64_t kbeg = int64_t(blockIdx.z) * kc, kend = min(n, kbeg + kc);
    double acc[4][4] = {};
    for (int64_t k0 = kbeg; k0 < kend; k0 += TK) {
        for (int q = threadIdx.x; q < TK * TM / 2; q += blockDim.x) {
            const int kk = q / (TM / 2), p = q % (TM / 2);
            const int64_t j = k0 + kk, i = i0 + 2 * p;
            double z0 = 0.0, z1 = 0.0;
            if (j < kend) {
                if (kind == FASTLS_CUDA_GAUSSIAN) {
                    gaussian_pair(seed, uint64_t(i >> 1), uint64_t(j), z0, z1);
                } else {
                    z0 = rademacher_entry(seed, uint64_t(i), uint64_t(j));
                    z1 = rademacher_entry(seed, uint64_t(i + 1), uint64_t(j));
                }
                if (i >= m) z0 = 0.0;
                if (i + 1 >= m) z1 = 0.0;
            }
            Ss[kk][2 * p] = z0;
            Ss[kk][2 * p + 1] = z1;
        }
        for (int q = threadIdx.x; q < TK * TD; q += blockDim.x) {
            // Coalesced: consecutive threads walk the contiguous axis of A.
            const int kk = row_major ? q / TD : q % TK;
            const int c = row_major ? q % TD : q / TK;
            const int64_t k = k0 + kk, col = c0 + c;
            double a = 0.0;
            if (k < kend && col < d) a = row_major ? A[k * d + col] : A[col * n + k];
            As[kk][c] = a;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TK; ++kk) {
            double a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; ++r) a[r] = Ss[kk][ty * 4 + r];
#pragma unroll
            for (int c = 0; c < 4; ++c) b[c] = As[kk][tx * 4 + c];
#pragma unroll
            for (int r = 0; r < 4; ++r)
#pragma unroll
                for (int c = 0; c < 4; ++c) acc[r][c] = fma(a[r], b[c], acc[r][c]);
        }
        __syncthreads();
    }
    double* P = partial + int64_t(blockIdx.z) * m * d;
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) {
            const int64_t i = i0 + ty * 4 + r, col = c0 + tx * 4 + c;
            if (i < m && col < d) P[col * m + i] = acc[r][c];
        }
}

__global__ void sum_partials(const double* partial, int64_t splits, int64_t size, double scale,
                             double* out) {
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < size;
         e += int64_t(gridDim.x) * blockDim.x) {
        double s = 0.0;
        for (int64_t k = 0; k < splits; ++k) s += partial[k * size + e];
        out[e] = scale * s;
    }
}

int dense_sketch(int kind, int64_t m, uint64_t seed, const double* A, int64_t n, int64_t d,
                 int row_major, double* SA) {
    const int64_t gx = (m + TM - 1) / TM, gy = (d + TD - 1) / TD;
    // Split the rows of A so the grid fills the device; the split depends on
    // the sizes only, so results are reproducible.
    const int64_t target_blocks = 2048;
    int64_t splits = std::max<int64_t>(1, std::min<int64_t>((n + TK - 1) / TK, target_blocks / (gx * gy)));
    int64_t kc = (n + splits - 1) / splits;
    kc = (kc + TK - 1) / TK * TK;
    splits = (n + kc - 1) / kc;
    if (gy > 65535 || splits > 65535) return FASTLS_CUDA_EINVAL;
    Scratch partial;
    FASTLS_TRY(partial.alloc(size_t(splits) * size_t(m) * size_t(d) * sizeof(double)));
    dense_sketch_kernel<<<dim3(unsigned(gx), unsigned(gy), unsigned(splits)), 256>>>(
        kind, m, n, d, seed, A, row_major, kc, partial.as<double>());
    if (int e = launched()) return e;
    sum_partials<<<grid_for(m * d), kThreads>>>(partial.as<double>(), splits, m * d,
                                                1.0 / std::sqrt(double(m)), SA);
    if (int e = launched()) return e;
    FASTLS_TRY(cudaDeviceSynchronize());
    return 0;
}

// ---- SRHT ------------------------------------------------------------------------------
__global__ void srht_signs(uint64_t seed, int64_t n, double* signs) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
         i += int64_t(gridDim.x) * blockDim.x)
        signs[i] = srht_sign(seed, uint64_t(i));
}

// W (N x d, column-major) = D A padded with zero rows; A row-major goes
// through a 32 x 32 shared-memory tile so both sides stay coalesced.
__global__ void srht_load_rowmajor(const double* A, int64_t n, int64_t d, const double* signs,
                                   int64_t N, double* W) {
    __shared__ double tile[32][33];
    const int64_t r0 = int64_t(blockIdx.x) * 32, c0 = int64_t(blockIdx.y) * 32;
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        const int64_t i = r0 + y, c = c0 + threadIdx.x;
        tile[y][threadIdx.x] = (i < n && c < d) ? signs[i] * A[i * d + c] : 0.0;
    }
    __syncthreads();
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        const int64_t c = c0 + y, i = r0 + threadIdx.x;
        if (c < d && i < N) W[c * N + i] = tile[threadIdx.x][y];
    }
}

__global__ void srht_load_colmajor(const double* A, int64_t n, int64_t d, const double* signs,
                                   int p, double* W) {
    const int64_t N = int64_t(1) << p;
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < N * d;
         e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t i = e & (N - 1), c = e >> p;
        W[e] = i < n ? signs[i] * A[c * n + i] : 0.0;
    }
}

// The elements a block of an FWHT pass owns: column c, group g of 2^L
// elements spaced h0 apart, offsets tile * 2^lt .. + 2^lt - 1.
__device__ __forceinline__ double* fwht_block_base(double* W, int64_t N, int64_t h0, int L, int lt) {
    const int64_t groups = N / (h0 << L), tiles = h0 >> lt;
    int64_t b = blockIdx.x;
    const int64_t tile = b % tiles;
    b /= tiles;
    const int64_t g = b % groups, c = b / groups;
    return W + c * N + g * (h0 << L) + (tile << lt);
}

// Stages h0, 2 h0, ..., h0 2^(L-1) of the FWHT of every column of W, in
// shared memory. A block owns one group of 2^L elements spaced h0 apart, for
// TL = 2^lt consecutive offsets (so global accesses come in runs of TL
// doubles). In-block indices are 32-bit and use shifts: 64-bit division is
// emulated on the GPU and would dominate.
__global__ __launch_bounds__(256) void fwht_pass(double* W, int64_t N, int64_t h0, int L, int lt) {
    extern __shared__ double s[];
    const int TL = 1 << lt, mask = TL - 1;
    double* base = fwht_block_base(W, N, h0, L, lt);
    const int count = TL << L;
    for (int e = threadIdx.x; e < count; e += blockDim.x) s[e] = base[int64_t(e >> lt) * h0 + (e & mask)];
    __syncthreads();
    for (int st = 0; st < L; ++st) {
        const int h = 1 << st;
        for (int q = threadIdx.x; q < count / 2; q += blockDim.x) {
            const int t = q & mask, kk = q >> lt;
            const int k = ((kk >> st) << (st + 1)) | (kk & (h - 1));
            const int i = (k << lt) | t, j = ((k + h) << lt) | t;
            const double x = s[i], y = s[j];
            s[i] = x + y;
            s[j] = x - y;
        }
        __syncthreads();
    }
    for (int e = threadIdx.x; e < count; e += blockDim.x) base[int64_t(e >> lt) * h0 + (e & mask)] = s[e];
}

// The same pass for blocks of exactly 4096 = 2^12 elements (L + lt = 12),
// with the butterflies done in registers: each of 256 threads holds 16
// elements that differ in 4 index bits and applies up to 4 stages to them, so
// 12 stages cost 3 shared-memory round trips instead of 12. One padding
// double per 16 keeps the stride-16 phase free of bank conflicts.
constexpr int kRegBits = 12;

__device__ __forceinline__ int padded(int e) { return e + (e >> 4); }

__global__ __launch_bounds__(256, 2) void fwht_pass_reg(double* W, int64_t N, int64_t h0, int L, int lt) {
    __shared__ double s[(1 << kRegBits) + (1 << (kRegBits - 4))];
    const int mask = (1 << lt) - 1;
    double* base = fwht_block_base(W, N, h0, L, lt);
    for (int e = threadIdx.x; e < (1 << kRegBits); e += blockDim.x)
        s[padded(e)] = base[int64_t(e >> lt) * h0 + (e & mask)];
    __syncthreads();
    for (int lo = lt; lo < kRegBits;) {
        const int nb = min(4, kRegBits - lo), pos = min(lo, kRegBits - 4), first = lo - pos;
        const int t = threadIdx.x;
        const int b0 = (t & ((1 << pos) - 1)) | ((t >> pos) << (pos + 4));
        double v[16];
#pragma unroll
        for (int r = 0; r < 16; ++r) v[r] = s[padded(b0 | (r << pos))];
#pragma unroll
        for (int st = 0; st < 4; ++st) {
            if (st < first || st >= first + nb) continue;
#pragma unroll
            for (int r = 0; r < 16; ++r)
                if (!(r & (1 << st))) {
                    const double x = v[r], y = v[r | (1 << st)];
                    v[r] = x + y;
                    v[r | (1 << st)] = x - y;
                }
        }
#pragma unroll
        for (int r = 0; r < 16; ++r) s[padded(b0 | (r << pos))] = v[r];
        __syncthreads();
        lo += nb;
    }
    for (int e = threadIdx.x; e < (1 << kRegBits); e += blockDim.x)
        base[int64_t(e >> lt) * h0 + (e & mask)] = s[padded(e)];
}

__global__ void srht_gather(const double* W, int64_t N, int64_t d, const uint64_t* rows, int64_t m,
                            double scale, double* SA) {
    for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < m * d;
         e += int64_t(gridDim.x) * blockDim.x) {
        const int64_t t = e % m, c = e / m;
        SA[e] = scale * W[c * N + int64_t(rows[t])];
    }
}

int srht_sketch(int64_t m, uint64_t seed, const uint64_t* rows_host, const double* A, int64_t n,
                int64_t d, int row_major, double* SA) {
    int64_t N = 1;
    int p = 0;
    while (N < n) {
        N <<= 1;
        ++p;
    }
    if (m > N) return FASTLS_CUDA_EINVAL;
    Scratch W, signs, rows;
    FASTLS_TRY(W.alloc(size_t(N) * size_t(d) * sizeof(double)));
    FASTLS_TRY(signs.alloc(size_t(n) * sizeof(double)));
    FASTLS_TRY(rows.alloc(size_t(m) * sizeof(uint64_t)));
    FASTLS_TRY(cudaMemcpy(rows.ptr, rows_host, size_t(m) * sizeof(uint64_t), cudaMemcpyHostToDevice));
    srht_signs<<<grid_for(n), kThreads>>>(seed, n, signs.as<double>());
    if (int e = launched()) return e;
    if (row_major) {
        const int64_t gx = (N + 31) / 32, gy = (d + 31) / 32;
        if (gy > 65535) return FASTLS_CUDA_EINVAL;
        srht_load_rowmajor<<<dim3(unsigned(gx), unsigned(gy)), dim3(32, 8)>>>(
            A, n, d, signs.as<double>(), N, W.as<double>());
    } else {
        srht_load_colmajor<<<grid_for(N * d), kThreads>>>(A, n, d, signs.as<double>(), p,
                                                         W.as<double>());
    }
    if (int e = launched()) return e;
    // Pass 1: the first min(p, 12) stages on contiguous runs. The rest in as
    // few passes of <= 9 stages as possible, split evenly (a pass of one or two
    // stages would launch millions of nearly empty blocks); each block of a
    // later pass takes 2^(12 - L) consecutive offsets, so every block holds
    // 4096 elements and global accesses come in runs of >= 8 doubles.
    const int first = std::min(p, kRegBits);
    const int rest_passes = (p - first + 8) / 9;
    for (int done = 0, pass = 0; done < p; ++pass) {
        const int64_t h0 = int64_t(1) << done;
        const int L = pass == 0 ? first : (p - done + (rest_passes - pass)) / (rest_passes - pass + 1);
        const int lt = pass == 0 ? 0 : kRegBits - L;  // log2 of the run of consecutive offsets
        const int64_t blocks = d * (N / (h0 << L)) * (h0 >> lt);
        if (L + lt == kRegBits)
            fwht_pass_reg<<<unsigned(blocks), 256>>>(W.as<double>(), N, h0, L, lt);
        else  // N < 4096: one small pass
            fwht_pass<<<unsigned(blocks), 256, size_t(1) << (L + lt + 3)>>>(W.as<double>(), N, h0, L, lt);
        if (int e = launched()) return e;
        done += L;
    }
    srht_gather<<<grid_for(m * d), kThreads>>>(W.as<double>(), N, d, rows.as<uint64_t>(), m,
                                               1.0 / std::sqrt(double(m)), SA);
    if (int e = launched()) return e;
    FASTLS_TRY(cudaDeviceSynchronize());
    return 0;
}

// ---- matrix-vector products and norms ------------------------------------------------------
constexpr int64_t kChunk = 2048;

__global__ void gemv_rowmajor(const double* A, int64_t n, int64_t d, const double* x, double alpha,
                              double beta, double* y) {
    const int lane = threadIdx.x % 32;
    const int64_t warps = int64_t(gridDim.x) * blockDim.x / 32;
    for (int64_t i = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32; i < n; i += warps) {
        double s = 0.0;
        for (int64_t c = lane; c < d; c += 32) s = fma(A[i * d + c], x[c], s);
        for (int off = 16; off > 0; off /= 2) s += __shfl_down_sync(0xffffffffu, s, off);
        if (lane == 0) y[i] = beta == 0.0 ? alpha * s : fma(beta, y[i], alpha * s);
    }
}

__global__ void gemv_colmajor(const double* A, int64_t n, int64_t d, const double* x, double alpha,
                              double beta, double* y) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
         i += int64_t(gridDim.x) * blockDim.x) {
        double s = 0.0;
        for (int64_t c = 0; c < d; ++c) s = fma(A[c * n + i], x[c], s);
        y[i] = beta == 0.0 ? alpha * s : fma(beta, y[i], alpha * s);
    }
}

// Partial A^T u over one chunk of rows: P[chunk * d + c].
__global__ void gemv_t_rowmajor(const double* A, int64_t n, int64_t d, const double* u, double* P) {
    const int64_t r0 = int64_t(blockIdx.x) * kChunk, r1 = min(n, r0 + kChunk);
    for (int64_t c = threadIdx.x; c < d; c += blockDim.x) {
        double s = 0.0;
        for (int64_t i = r0; i < r1; ++i) s = fma(A[i * d + c], u[i], s);
        P[int64_t(blockIdx.x) * d + c] = s;
    }
}

// Fixed-order tree sum of the block's values (blockDim.x = kThreads).
__device__ double block_sum(double v) {
    __shared__ double buf[kThreads];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w /= 2) {
        if (threadIdx.x < w) buf[threadIdx.x] += buf[threadIdx.x + w];
        __syncthreads();
    }
    const double total = buf[0];
    __syncthreads();
    return total;
}

__global__ void gemv_t_colmajor(const double* A, int64_t n, int64_t d, const double* u, double* P) {
    const int64_t r0 = int64_t(blockIdx.x) * kChunk, r1 = min(n, r0 + kChunk);
    for (int64_t c = blockIdx.y; c < d; c += gridDim.y) {
        double s = 0.0;
        for (int64_t i = r0 + threadIdx.x; i < r1; i += blockDim.x) s = fma(A[c * n + i], u[i], s);
        s = block_sum(s);
        if (threadIdx.x == 0) P[int64_t(blockIdx.x) * d + c] = s;
    }
}

__global__ void sum_chunks(const double* P, int64_t chunks, int64_t d, double* z) {
    for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < d;
         c += int64_t(gridDim.x) * blockDim.x) {
        double s = 0.0;
        for (int64_t k = 0; k < chunks; ++k) s += P[k * d + c];
        z[c] = s;
    }
}

__global__ void sumsq_chunks(const double* x, int64_t n, double* P) {
    const int64_t r0 = int64_t(blockIdx.x) * kChunk, r1 = min(n, r0 + kChunk);
    double s = 0.0;
    for (int64_t i = r0 + threadIdx.x; i < r1; i += blockDim.x) s = fma(x[i], x[i], s);
    s = block_sum(s);
    if (threadIdx.x == 0) P[blockIdx.x] = s;
}

__global__ void scale_kernel(double* x, int64_t n, double a) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
         i += int64_t(gridDim.x) * blockDim.x)
        x[i] *= a;
}

}  // namespace

extern "C" {

const char* fastls_cuda_error_string(int code) {
    thread_local std::string text;
    if (code == FASTLS_CUDA_EINVAL) return "invalid argument for a fastls CUDA kernel";
    const auto e = static_cast<cudaError_t>(code);
    text = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    return text.c_str();
}

int fastls_cuda_device_count(int* count) {
    *count = 0;
    const cudaError_t e = cudaGetDeviceCount(count);
    if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) {
        cudaGetLastError();  // clear the sticky error: "no device" is an answer here
        *count = 0;
        return 0;
    }
    return static_cast<int>(e);
}

int fastls_cuda_device_props(int device, char* name, int name_len, size_t* total_memory,
                             int* major, int* minor) {
    cudaDeviceProp prop;
    FASTLS_TRY(cudaGetDeviceProperties(&prop, device));
    std::snprintf(name, size_t(name_len), "%s", prop.name);
    *total_memory = prop.totalGlobalMem;
    *major = prop.major;
    *minor = prop.minor;
    return 0;
}

int fastls_cuda_malloc(void** ptr, size_t bytes) { return static_cast<int>(checked_malloc(ptr, bytes)); }
int fastls_cuda_free(void* ptr) { return static_cast<int>(cudaFreeAsync(ptr, 0)); }
int fastls_cuda_copy_to_device(void* dst, const void* src, size_t bytes) {
    return static_cast<int>(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
int fastls_cuda_copy_to_host(void* dst, const void* src, size_t bytes) {
    return static_cast<int>(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
int fastls_cuda_synchronize(void) { return static_cast<int>(cudaDeviceSynchronize()); }

int fastls_cuda_explicit_matrix(int kind, int64_t m, int64_t n, uint64_t seed,
                                const uint64_t* srht_rows, double* S) {
    if (m < 1 || n < 1) return FASTLS_CUDA_EINVAL;
    Scratch rows;
    if (kind == FASTLS_CUDA_SRHT) {
        FASTLS_TRY(rows.alloc(size_t(m) * sizeof(uint64_t)));
        FASTLS_TRY(cudaMemcpy(rows.ptr, srht_rows, size_t(m) * sizeof(uint64_t), cudaMemcpyHostToDevice));
    }
    explicit_kernel<<<grid_for(m * n), kThreads>>>(kind, m, n, seed, rows.as<uint64_t>(),
                                                   1.0 / std::sqrt(double(m)), S);
    if (int e = launched()) return e;
    return static_cast<int>(cudaDeviceSynchronize());
}

int fastls_cuda_sketch(int kind, int64_t m, uint64_t seed, const uint64_t* srht_rows,
                       const double* A, int64_t n, int64_t d, int row_major, double* SA) {
    if (m < 1 || n < 1 || d < 1) return FASTLS_CUDA_EINVAL;
    if (kind == FASTLS_CUDA_SRHT) return srht_sketch(m, seed, srht_rows, A, n, d, row_major, SA);
    if (kind == FASTLS_CUDA_GAUSSIAN || kind == FASTLS_CUDA_RADEMACHER)
        return dense_sketch(kind, m, seed, A, n, d, row_major, SA);
    return FASTLS_CUDA_EINVAL;
}

int fastls_cuda_gemv(const double* A, int64_t n, int64_t d, int row_major, const double* x,
                     double alpha, double beta, double* y) {
    if (row_major) gemv_rowmajor<<<grid_for(n * 32), kThreads>>>(A, n, d, x, alpha, beta, y);
    else gemv_colmajor<<<grid_for(n), kThreads>>>(A, n, d, x, alpha, beta, y);
    return launched();
}

int64_t fastls_cuda_reduction_chunks(int64_t n) { return (n + kChunk - 1) / kChunk; }

int fastls_cuda_gemv_t(const double* A, int64_t n, int64_t d, int row_major, const double* u,
                       double* work, double* z) {
    const int64_t chunks = fastls_cuda_reduction_chunks(n);
    if (chunks > 2147483647) return FASTLS_CUDA_EINVAL;
    if (row_major) {
        gemv_t_rowmajor<<<unsigned(chunks), kThreads>>>(A, n, d, u, work);
    } else {
        const unsigned gy = unsigned(std::min<int64_t>(d, 65535));
        gemv_t_colmajor<<<dim3(unsigned(chunks), gy), kThreads>>>(A, n, d, u, work);
    }
    if (int e = launched()) return e;
    sum_chunks<<<grid_for(d), kThreads>>>(work, chunks, d, z);
    return launched();
}

int fastls_cuda_nrm2(const double* x, int64_t n, double* work, double* result) {
    const int64_t chunks = fastls_cuda_reduction_chunks(n);
    sumsq_chunks<<<unsigned(chunks), kThreads>>>(x, n, work);
    if (int e = launched()) return e;
    std::vector<double> host(static_cast<size_t>(chunks));
    FASTLS_TRY(cudaMemcpy(host.data(), work, host.size() * sizeof(double), cudaMemcpyDeviceToHost));
    double s = 0.0;
    for (double v : host) s += v;
    *result = std::sqrt(s);
    return 0;
}

int fastls_cuda_scale(double* x, int64_t n, double a) {
    scale_kernel<<<grid_for(n), kThreads>>>(x, n, a);
    return launched();
}

}  // extern "C"

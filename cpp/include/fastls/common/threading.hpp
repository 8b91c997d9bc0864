// Thread-count helpers; kernels follow OMP_NUM_THREADS / threadpoolctl and
// never set the count themselves.
#pragma once
#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastls {

inline int max_threads() noexcept {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

inline int thread_id() noexcept {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

}  // namespace fastls

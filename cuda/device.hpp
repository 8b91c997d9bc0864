// Host-side helpers over the C ABI: errors become std::runtime_error naming
// the CUDA error, device memory is owned by RAII buffers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "fastls_cuda.h"

namespace fastls::cuda {

inline void check(int code, const char* what) {
    if (code == FASTLS_CUDA_EINVAL) throw std::invalid_argument(std::string(what) + ": invalid argument");
    if (code != 0)
        throw std::runtime_error(std::string(what) + " failed with CUDA error " +
                                 fastls_cuda_error_string(code));
}

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t count) : count_(count) {
        check(fastls_cuda_malloc(reinterpret_cast<void**>(&ptr_), count * sizeof(double)),
              "cudaMalloc");
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), count_(o.count_) {}
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
        std::swap(ptr_, o.ptr_);
        std::swap(count_, o.count_);
        return *this;
    }
    ~DeviceBuffer() {
        if (ptr_) fastls_cuda_free(ptr_);
    }
    double* get() const { return ptr_; }
    std::size_t size() const { return count_; }
    void upload(const double* host, std::size_t count, std::size_t offset = 0) {
        check(fastls_cuda_copy_to_device(ptr_ + offset, host, count * sizeof(double)), "cudaMemcpy");
    }
    void download(double* host, std::size_t count, std::size_t offset = 0) const {
        check(fastls_cuda_copy_to_host(host, ptr_ + offset, count * sizeof(double)), "cudaMemcpy");
    }

private:
    double* ptr_ = nullptr;
    std::size_t count_ = 0;
};

// A dense n x d matrix already on the device.
struct DeviceMatrix {
    const double* data;
    std::int64_t rows, cols;
    bool row_major;
};

}  // namespace fastls::cuda

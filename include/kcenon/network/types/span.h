// kcenon::network::span — std::span in C++20; in C++17 a minimal read-only stand-in with the
// members the interfaces use (data, size, empty, begin, end, operator[]).
#pragma once

#include <cstddef>

#if __cplusplus >= 202002L && defined(__has_include)
#if __has_include(<span>)
#include <span>
#define KCENON_NETWORK_HAS_STD_SPAN 1
#endif
#endif

namespace kcenon::network {

#ifdef KCENON_NETWORK_HAS_STD_SPAN
template <typename T>
using span = std::span<T>;
#else
template <typename T>
class span {
public:
    constexpr span() noexcept = default;
    constexpr span(T* data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <typename Container>
    constexpr span(Container& c) noexcept : data_(c.data()), size_(c.size()) {}
    constexpr T* data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T* begin() const noexcept { return data_; }
    constexpr T* end() const noexcept { return data_ + size_; }
    constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};
#endif

}  // namespace kcenon::network

// kcenon::network::interfaces::i_network_component — base of every protocol interface.
#pragma once

namespace kcenon::network::interfaces {

/// Something that runs until stopped. Not copyable or movable.
///
/// Difference from the original: is_running() and wait_for_stop() are public, so code holding
/// only an interface pointer (a facade result) can call them; the original declared them
/// protected.
class i_network_component {
public:
    virtual ~i_network_component() = default;
    i_network_component(const i_network_component&) = delete;
    i_network_component& operator=(const i_network_component&) = delete;
    i_network_component(i_network_component&&) = delete;
    i_network_component& operator=(i_network_component&&) = delete;

    /// True between a successful start and the stop.
    [[nodiscard]] virtual auto is_running() const -> bool = 0;
    /// Blocks until the component is stopped (by stop() on another thread or a fatal error);
    /// returns at once when it is not running.
    virtual auto wait_for_stop() -> void = 0;

protected:
    i_network_component() = default;
};

}  // namespace kcenon::network::interfaces

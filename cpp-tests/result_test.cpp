// Result<T> / VoidResult behave like the original's (common_system) plus operator bool.
#include <kcenon/network/types/result.h>

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

using kcenon::network::error_info;
using kcenon::network::Result;
using kcenon::network::VoidResult;

TEST(Result, OkAndErr) {
    Result<int> a(42);
    EXPECT_TRUE(a.is_ok());
    EXPECT_FALSE(a.is_err());
    EXPECT_TRUE(static_cast<bool>(a));
    EXPECT_EQ(a.value(), 42);
    EXPECT_EQ(a.unwrap(), 42);
    EXPECT_EQ(a.unwrap_or(7), 42);

    auto e = kcenon::network::error<int>(-603, "closed", "mod", "more");
    EXPECT_TRUE(e.is_err());
    EXPECT_FALSE(static_cast<bool>(e));
    EXPECT_EQ(e.error().code, -603);
    EXPECT_EQ(e.error().message, "closed");
    EXPECT_EQ(e.error().module, "mod");
    EXPECT_EQ(kcenon::network::get_error_details(e.error()), "more");
    EXPECT_EQ(e.unwrap_or(7), 7);
    EXPECT_EQ(e.value_or(8), 8);
    EXPECT_THROW((void)e.value(), std::bad_optional_access);
    EXPECT_THROW((void)e.unwrap(), std::runtime_error);
}

TEST(Result, Combinators) {
    Result<int> a(2);
    auto doubled = a.map([](int v) { return v * 2; });
    EXPECT_EQ(doubled.value(), 4);
    auto text = a.and_then([](int v) { return Result<std::string>(std::to_string(v)); });
    EXPECT_EQ(text.value(), "2");
    Result<int> bad(error_info{-1, "bad"});
    EXPECT_EQ(bad.map([](int v) { return v + 1; }).error().code, -1);
    auto recovered = bad.or_else([](const error_info&) { return Result<int>(9); });
    EXPECT_EQ(recovered.value(), 9);
    EXPECT_EQ(Result<int>::err(-5, "x").error().code, -5);
    EXPECT_EQ(Result<int>::ok(3).value(), 3);
}

TEST(Result, VoidResultHelpers) {
    VoidResult ok = kcenon::network::ok();
    EXPECT_TRUE(ok.is_ok());
    EXPECT_EQ(ok.error().code, 0);
    VoidResult err = kcenon::network::error_void(-662, "bind");
    EXPECT_TRUE(err.is_err());
    EXPECT_EQ(err.error().module, "network_system");
    EXPECT_EQ(kcenon::network::get_error_source(err.error()), "network_system");
    EXPECT_EQ(error_info("msg").code, -1);
    EXPECT_EQ(error_info(-2, "a"), error_info(-2, "a"));
    EXPECT_NE(error_info(-2, "a"), error_info(-3, "a"));
}

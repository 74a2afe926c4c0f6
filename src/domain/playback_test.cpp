// Unit tests for domain/playback: the server position while idle, playing and paused with
// clamping to [0, duration], and the Room payload fields of CONTRACT §7.1 rules 1-3.
#include "domain/playback.hpp"

#include <gtest/gtest.h>

namespace spotik::domain {
namespace {

constexpr std::int64_t k_s = 1'700'000'000'000;  // effective start S
const std::string k_track = "6f1c4a52-3c5e-4d7b-9a51-0e7a1c2b3d4e";

storage::playback_columns idle() { return {}; }

storage::playback_columns playing(std::int64_t started_at)
{
    return {.current_track_id = k_track, .is_playing = true, .started_at = started_at, .paused_at = std::nullopt};
}

storage::playback_columns paused(std::int64_t started_at, std::int64_t paused_at)
{
    return {.current_track_id = k_track, .is_playing = false, .started_at = started_at, .paused_at = paused_at};
}

TEST(server_position_s, idle_is_zero)
{
    EXPECT_DOUBLE_EQ(server_position_s(idle(), k_s + 50'000), 0.0);
    EXPECT_DOUBLE_EQ(server_position_s(idle(), k_s + 50'000, 180), 0.0);
}

TEST(server_position_s, track_without_start_is_zero)
{
    storage::playback_columns c{.current_track_id = k_track, .is_playing = true};
    EXPECT_DOUBLE_EQ(server_position_s(c, k_s + 5'000), 0.0);
}

TEST(server_position_s, start_without_track_is_zero)
{
    storage::playback_columns c{.is_playing = true, .started_at = k_s};
    EXPECT_DOUBLE_EQ(server_position_s(c, k_s + 5'000), 0.0);
}

TEST(server_position_s, playing_is_now_minus_start)
{
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s), k_s), 0.0);
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s), k_s + 12'345), 12.345);
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s), k_s + 12'345, 180), 12.345);
}

TEST(server_position_s, paused_is_pause_minus_start_whatever_now)
{
    auto c = paused(k_s, k_s + 42'500);
    EXPECT_DOUBLE_EQ(server_position_s(c, k_s + 42'500), 42.5);
    EXPECT_DOUBLE_EQ(server_position_s(c, k_s + 1'000'000), 42.5);
    EXPECT_DOUBLE_EQ(server_position_s(c, k_s + 1'000'000, 180), 42.5);
}

TEST(server_position_s, paused_without_pause_instant_uses_now)
{
    storage::playback_columns c{.current_track_id = k_track, .is_playing = false, .started_at = k_s};
    EXPECT_DOUBLE_EQ(server_position_s(c, k_s + 7'000), 7.0);
}

TEST(server_position_s, clamped_to_duration)
{
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s), k_s + 500'000, 180), 180.0);
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s), k_s + 180'000, 180), 180.0);
    EXPECT_DOUBLE_EQ(server_position_s(paused(k_s, k_s + 200'000), k_s + 300'000, 180), 180.0);
}

TEST(server_position_s, not_clamped_without_duration)
{
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s), k_s + 500'000), 500.0);
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s), k_s + 500'000, 0), 500.0);
}

TEST(server_position_s, start_in_the_future_clamps_to_zero)
{
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s + 10'000), k_s), 0.0);
    EXPECT_DOUBLE_EQ(server_position_s(playing(k_s + 10'000), k_s, 180), 0.0);
    EXPECT_DOUBLE_EQ(server_position_s(paused(k_s, k_s - 1'000), k_s), 0.0);
}

TEST(room_fields, playing_rule_1)
{
    auto c = playing(k_s);
    c.paused_at = k_s + 3'000;  // a stale pause instant must not leak while playing
    auto f = room_fields(c);
    EXPECT_TRUE(f.is_playing);
    ASSERT_TRUE(f.started_at.has_value());
    EXPECT_EQ(*f.started_at, k_s);
    EXPECT_FALSE(f.paused_at.has_value());
    EXPECT_DOUBLE_EQ(f.current_position, 0.0);
}

TEST(room_fields, paused_rule_2)
{
    auto f = room_fields(paused(k_s, k_s + 61'250));
    EXPECT_FALSE(f.is_playing);
    ASSERT_TRUE(f.started_at.has_value());
    EXPECT_EQ(*f.started_at, k_s);
    ASSERT_TRUE(f.paused_at.has_value());
    EXPECT_EQ(*f.paused_at, k_s + 61'250);
    EXPECT_DOUBLE_EQ(f.current_position, 61.25);
}

TEST(room_fields, paused_at_start_has_zero_position)
{
    auto f = room_fields(paused(k_s, k_s));
    ASSERT_TRUE(f.paused_at.has_value());
    EXPECT_DOUBLE_EQ(f.current_position, 0.0);
}

TEST(room_fields, paused_before_start_never_negative)
{
    auto f = room_fields(paused(k_s, k_s - 5'000));
    EXPECT_DOUBLE_EQ(f.current_position, 0.0);
}

TEST(room_fields, idle_rule_3)
{
    auto f = room_fields(idle());
    EXPECT_FALSE(f.is_playing);
    EXPECT_FALSE(f.started_at.has_value());
    EXPECT_FALSE(f.paused_at.has_value());
    EXPECT_DOUBLE_EQ(f.current_position, 0.0);
}

TEST(room_fields, stale_columns_without_track_are_idle)
{
    storage::playback_columns c{.is_playing = true, .started_at = k_s, .paused_at = k_s + 1'000};
    auto f = room_fields(c);
    EXPECT_FALSE(f.is_playing);
    EXPECT_FALSE(f.started_at.has_value());
    EXPECT_FALSE(f.paused_at.has_value());
    EXPECT_DOUBLE_EQ(f.current_position, 0.0);
}

}  // namespace
}  // namespace spotik::domain

// Storage contract suite, part 3: tracks (queue order, per-viewer vote flag, delete resetting
// playback) and votes, including 50 threads voting on the same tracks at once and votes racing
// the deletion of their room.
#include "storage/store_contract_test.hpp"

#include "util/ids.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

namespace spotik::storage {

TEST_P(store_contract, inserts_and_finds_tracks)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    auto track = add_track(room, alice, k_t0 + 7);
    const auto found = store_->find_track(track.id, "");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->room_id, room.id);
    EXPECT_EQ(found->uploader_id, alice.id);
    EXPECT_EQ(found->filename, track.filename);
    EXPECT_EQ(found->original_name, track.original_name);
    EXPECT_EQ(found->file_path, track.file_path);
    EXPECT_EQ(found->duration_seconds, 180);
    EXPECT_EQ(found->file_size_bytes, 3'000'000);
    EXPECT_EQ(found->mime_type, "audio/mpeg");
    EXPECT_EQ(found->vote_score, 0);
    EXPECT_EQ(found->created_at, k_t0 + 7);
    EXPECT_EQ(found->updated_at, k_t0 + 7);
    EXPECT_EQ(found->uploader_username, "alice");
    EXPECT_FALSE(found->user_has_voted);
    EXPECT_FALSE(store_->find_track(util::new_uuid(), alice.id));
    EXPECT_EQ(store_->count_tracks(room.id), 1);
    EXPECT_EQ(store_->count_tracks(util::new_uuid()), 0);
}

TEST_P(store_contract, lists_every_track_file_across_rooms)
{
    EXPECT_TRUE(store_->list_track_files().empty());
    const auto alice = add_user("alice");
    const auto first_room = add_room(alice);
    const auto second_room = add_room(alice);
    const auto a = add_track(first_room, alice, k_t0);
    const auto b = add_track(second_room, alice, k_t0 + 1);
    const auto gone = add_track(second_room, alice, k_t0 + 2);
    ASSERT_TRUE(store_->delete_track(gone.id, k_t0 + 3).deleted);

    auto files = store_->list_track_files();
    std::sort(files.begin(), files.end(), [](const auto& l, const auto& r) { return l.track_id < r.track_id; });
    std::vector<std::pair<std::string, std::string>> expected{{a.id, a.file_path}, {b.id, b.file_path}};
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(files.size(), 2U);
    for (std::size_t i = 0; i < files.size(); ++i) {
        EXPECT_EQ(files[i].track_id, expected[i].first);
        EXPECT_EQ(files[i].file_path, expected[i].second);
    }
    // A deleted room takes its tracks along.
    ASSERT_TRUE(store_->delete_room(second_room.id));
    files = store_->list_track_files();
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(files[0].track_id, a.id);
}

TEST_P(store_contract, tells_whether_a_row_names_a_stored_file)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    const auto track = add_track(room, alice);
    EXPECT_EQ(store_->track_file_reference(track.id, track.file_path), file_reference::named);
    const std::string other = util::new_uuid();
    EXPECT_EQ(store_->track_file_reference(other, "tracks/" + other + ".mp3"), file_reference::unnamed);
    EXPECT_EQ(store_->track_file_reference("legacy-name", "tracks/legacy-name.wav"), file_reference::unnamed);
    ASSERT_TRUE(store_->delete_track(track.id, k_t0 + 1).deleted);
    EXPECT_EQ(store_->track_file_reference(track.id, track.file_path), file_reference::unnamed);
}

TEST_P(store_contract, lists_the_queue_by_votes_then_age_then_id)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    const auto other_room = add_room(alice);
    const auto oldest = add_track(room, alice, k_t0);
    // Same created_at: the id decides, whatever the insertion order.
    const auto tie_high = add_track(room, bob, k_t0 + 10, "ffffffff-0000-4000-8000-000000000000");
    const auto tie_low = add_track(room, bob, k_t0 + 10, "00000000-0000-4000-8000-000000000000");
    const auto voted = add_track(room, bob, k_t0 + 20);
    add_track(other_room, bob, k_t0);

    auto queue = store_->list_tracks(room.id, "");
    ASSERT_EQ(queue.size(), 4U);
    EXPECT_EQ(queue[0].id, oldest.id);
    EXPECT_EQ(queue[1].id, tie_low.id);
    EXPECT_EQ(queue[2].id, tie_high.id);
    EXPECT_EQ(queue[3].id, voted.id);

    ASSERT_TRUE(store_->add_vote(voted.id, alice.id, util::new_uuid(), k_t0).changed);
    ASSERT_TRUE(store_->add_vote(tie_high.id, alice.id, util::new_uuid(), k_t0).changed);
    ASSERT_TRUE(store_->add_vote(voted.id, bob.id, util::new_uuid(), k_t0).changed);
    queue = store_->list_tracks(room.id, "");
    ASSERT_EQ(queue.size(), 4U);
    EXPECT_EQ(queue[0].id, voted.id);
    EXPECT_EQ(queue[0].vote_score, 2);
    EXPECT_EQ(queue[1].id, tie_high.id);
    EXPECT_EQ(queue[2].id, oldest.id);
    EXPECT_EQ(queue[3].id, tie_low.id);
    EXPECT_EQ(queue[3].uploader_username, "bob");
}

TEST_P(store_contract, user_has_voted_follows_the_viewer)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    const auto first = add_track(room, alice, k_t0);
    const auto second = add_track(room, alice, k_t0 + 1);
    ASSERT_TRUE(store_->add_vote(first.id, bob.id, util::new_uuid(), k_t0).changed);

    EXPECT_TRUE(store_->find_track(first.id, bob.id)->user_has_voted);
    EXPECT_FALSE(store_->find_track(first.id, alice.id)->user_has_voted);
    EXPECT_FALSE(store_->find_track(first.id, "")->user_has_voted);
    EXPECT_FALSE(store_->find_track(second.id, bob.id)->user_has_voted);
    const auto for_bob = store_->list_tracks(room.id, bob.id);
    ASSERT_EQ(for_bob.size(), 2U);
    EXPECT_TRUE(for_bob[0].user_has_voted);
    EXPECT_FALSE(for_bob[1].user_has_voted);
    for (const auto& track : store_->list_tracks(room.id, alice.id)) EXPECT_FALSE(track.user_has_voted);
}

TEST_P(store_contract, deleting_the_current_track_resets_playback)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    const auto current = add_track(room, alice);
    ASSERT_TRUE(store_->add_vote(current.id, alice.id, util::new_uuid(), k_t0).changed);
    ASSERT_TRUE(store_->update_playback(room.id, {}, {current.id, false, k_t0, k_t0 + 50}, k_t0));

    const auto outcome = store_->delete_track(current.id, k_t0 + 99);
    EXPECT_TRUE(outcome.deleted);
    EXPECT_TRUE(outcome.was_current);
    const auto found = store_->find_room(room.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->playback, playback_columns{});
    EXPECT_EQ(found->updated_at, k_t0 + 99);
    EXPECT_FALSE(store_->find_track(current.id, ""));
    EXPECT_EQ(store_->count_tracks(room.id), 0);
}

TEST_P(store_contract, deleting_another_track_keeps_playback)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    const auto current = add_track(room, alice);
    const auto other = add_track(room, alice, k_t0 + 1);
    const playback_columns playing{current.id, true, k_t0, std::nullopt};
    ASSERT_TRUE(store_->update_playback(room.id, {}, playing, k_t0 + 3));

    const auto outcome = store_->delete_track(other.id, k_t0 + 99);
    EXPECT_TRUE(outcome.deleted);
    EXPECT_FALSE(outcome.was_current);
    const auto found = store_->find_room(room.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->playback, playing);
    EXPECT_EQ(found->updated_at, k_t0 + 3);
    EXPECT_EQ(store_->count_tracks(room.id), 1);

    const auto missing = store_->delete_track(other.id, k_t0 + 100);
    EXPECT_FALSE(missing.deleted);
    EXPECT_FALSE(missing.was_current);
}

TEST_P(store_contract, votes_are_one_per_user_and_score_equals_count)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    const auto track = add_track(room, alice);

    auto outcome = store_->add_vote(track.id, alice.id, util::new_uuid(), k_t0);
    EXPECT_TRUE(outcome.found);
    EXPECT_TRUE(outcome.changed);
    EXPECT_EQ(outcome.vote_score, 1);
    outcome = store_->add_vote(track.id, alice.id, util::new_uuid(), k_t0 + 1);
    EXPECT_FALSE(outcome.changed);
    EXPECT_EQ(outcome.vote_score, 1);
    outcome = store_->add_vote(track.id, bob.id, util::new_uuid(), k_t0 + 2);
    EXPECT_TRUE(outcome.changed);
    EXPECT_EQ(outcome.vote_score, 2);
    EXPECT_EQ(store_->find_track(track.id, "")->vote_score, 2);

    outcome = store_->remove_vote(track.id, alice.id);
    EXPECT_TRUE(outcome.changed);
    EXPECT_EQ(outcome.vote_score, 1);
    outcome = store_->remove_vote(track.id, alice.id);
    EXPECT_TRUE(outcome.found);
    EXPECT_FALSE(outcome.changed);
    EXPECT_EQ(outcome.vote_score, 1);
    EXPECT_EQ(store_->find_track(track.id, "")->vote_score, 1);
    EXPECT_FALSE(store_->find_track(track.id, alice.id)->user_has_voted);
    EXPECT_TRUE(store_->find_track(track.id, bob.id)->user_has_voted);
}

TEST_P(store_contract, votes_on_a_missing_track_change_nothing)
{
    const auto alice = add_user("alice");
    const auto ghost = util::new_uuid();
    const auto added = store_->add_vote(ghost, alice.id, util::new_uuid(), k_t0);
    EXPECT_FALSE(added.found);
    EXPECT_FALSE(added.changed);
    EXPECT_EQ(added.vote_score, 0);
    const auto removed = store_->remove_vote(ghost, alice.id);
    EXPECT_FALSE(removed.found);
    EXPECT_FALSE(removed.changed);
    EXPECT_EQ(removed.vote_score, 0);
}

TEST_P(store_contract, concurrent_votes_are_never_lost_or_doubled)
{
    constexpr int k_threads = 50;
    const auto admin = add_user("admin");
    const auto room = add_room(admin);
    std::vector<track_record> tracks;
    tracks.reserve(3);
    for (int i = 0; i < 3; ++i) tracks.push_back(add_track(room, admin, k_t0 + i));
    std::vector<user_record> voters;
    voters.reserve(k_threads);
    for (int i = 0; i < k_threads; ++i) voters.push_back(add_user("voter" + std::to_string(i)));

    std::atomic<int> failures{0};
    std::atomic<int> changed{0};
    auto vote_all = [&](const user_record& voter, bool remove) {
        try {
            for (const auto& track : tracks) {
                // Each voter votes twice: only the first may count. Odd voters then take it back.
                for (int twice = 0; twice < 2; ++twice) {
                    if (store_->add_vote(track.id, voter.id, util::new_uuid(), k_t0).changed) ++changed;
                }
                if (remove && store_->remove_vote(track.id, voter.id).changed) --changed;
            }
        } catch (...) {
            ++failures;
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(k_threads);
    for (int i = 0; i < k_threads; ++i) threads.emplace_back(vote_all, std::cref(voters[i]), i % 2 == 1);
    for (auto& thread : threads) thread.join();

    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(changed.load(), 3 * k_threads / 2);
    for (const auto& track : store_->list_tracks(room.id, voters[0].id)) {
        EXPECT_EQ(track.vote_score, k_threads / 2);
        EXPECT_TRUE(track.user_has_voted);
    }
    for (int i = 0; i < k_threads; ++i) {
        EXPECT_EQ(store_->find_track(tracks[0].id, voters[i].id)->user_has_voted, i % 2 == 0);
    }
}

// Votes racing their room's deletion: every call returns (a vote on a track already gone is
// no vote) and the deletion succeeds. In PostgreSQL a vote that took its vote row before the
// track's row deadlocked against the cascade, which takes them the other way round.
TEST_P(store_contract, votes_racing_the_rooms_deletion_never_fail)
{
    const auto alice = add_user("alice");
    std::vector<user_record> voters;
    for (int i = 0; i < 4; ++i) voters.push_back(add_user("voter" + std::to_string(i)));
    for (int round = 0; round < 4; ++round) {
        const auto room = add_room(alice, k_t0 + round);
        std::vector<track_record> tracks;
        for (int i = 0; i < 3; ++i) tracks.push_back(add_track(room, alice, k_t0 + i));
        std::atomic<bool> deleted{false};
        std::atomic<int> failures{0};
        auto vote_on = [&](const user_record& voter) {
            for (int n = 0; n < 8 || !deleted; ++n) {
                const auto& track = tracks[std::size_t(n) % tracks.size()];
                try {
                    store_->add_vote(track.id, voter.id, util::new_uuid(), k_t0);
                    store_->remove_vote(track.id, voter.id);
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        };
        std::vector<std::thread> threads;
        for (const auto& voter : voters) threads.emplace_back(vote_on, std::cref(voter));
        std::this_thread::sleep_for(std::chrono::milliseconds(2 + round));
        std::optional<std::vector<track_file>> gone;
        EXPECT_NO_THROW(gone = store_->delete_room(room.id)) << "round " << round;
        deleted = true;
        for (auto& thread : threads) thread.join();
        EXPECT_TRUE(gone) << "round " << round;
        EXPECT_EQ(failures.load(), 0) << "round " << round;
        EXPECT_FALSE(store_->find_room(room.id));
    }
}

}  // namespace spotik::storage

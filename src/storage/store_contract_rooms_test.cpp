// Storage contract suite, part 2: rooms (create, list order, update, cascading delete,
// all-or-nothing create), membership and the playback compare-and-set.
#include "storage/store_contract_test.hpp"

#include "util/ids.hpp"

namespace spotik::storage {

TEST_P(store_contract, creates_room_with_its_admin_as_participant)
{
    const auto alice = add_user("alice");
    room_record room;
    room.id = util::new_uuid();
    room.name = "Friday 'mix' ; --";
    room.description = "Zoë's 🎵 room";
    room.administrator_id = alice.id;
    room.created_at = k_t0;
    room.updated_at = k_t0 + 1;
    store_->create_room(room, {util::new_uuid(), room.id, alice.id, k_t0, {}});

    const auto found = store_->find_room(room.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, room.name);
    EXPECT_EQ(found->description, room.description);
    EXPECT_EQ(found->administrator_id, alice.id);
    EXPECT_EQ(found->playback, playback_columns{});
    EXPECT_EQ(found->created_at, k_t0);
    EXPECT_EQ(found->updated_at, k_t0 + 1);
    EXPECT_TRUE(store_->is_participant(room.id, alice.id));
    EXPECT_EQ(store_->count_participants(room.id), 1);
    EXPECT_FALSE(store_->find_room(util::new_uuid()));
}

TEST_P(store_contract, failed_create_room_leaves_no_rows)
{
    const auto alice = add_user("alice");
    room_record room;
    room.id = util::new_uuid();
    room.name = "Doomed";
    room.administrator_id = alice.id;
    // The participant row names a user that does not exist: the whole create must fail.
    participant_record ghost{util::new_uuid(), room.id, util::new_uuid(), k_t0, {}};
    EXPECT_THROW(store_->create_room(room, ghost), storage_error);
    EXPECT_FALSE(store_->find_room(room.id));
    EXPECT_TRUE(store_->list_rooms().empty());
    EXPECT_EQ(store_->count_participants(room.id), 0);
    // The store is still usable afterwards.
    const auto ok = add_room(alice);
    EXPECT_TRUE(store_->find_room(ok.id));
}

TEST_P(store_contract, lists_rooms_newest_first_then_by_id)
{
    const auto alice = add_user("alice");
    const auto oldest = add_room(alice, k_t0);
    const auto tie_a = add_room(alice, k_t0 + 10);
    const auto tie_b = add_room(alice, k_t0 + 10);
    const auto newest = add_room(alice, k_t0 + 20);
    const auto rooms = store_->list_rooms();
    ASSERT_EQ(rooms.size(), 4U);
    const auto [first_tie, second_tie] = std::minmax(tie_a.id, tie_b.id);
    EXPECT_EQ(rooms[0].id, newest.id);
    EXPECT_EQ(rooms[1].id, first_tie);
    EXPECT_EQ(rooms[2].id, second_tie);
    EXPECT_EQ(rooms[3].id, oldest.id);
}

TEST_P(store_contract, updates_and_touches_rooms)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    EXPECT_TRUE(store_->update_room(room.id, "Renamed", std::string("About"), k_t0 + 5));
    auto found = store_->find_room(room.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, "Renamed");
    EXPECT_EQ(found->description, std::optional<std::string>("About"));
    EXPECT_EQ(found->updated_at, k_t0 + 5);
    EXPECT_EQ(found->created_at, k_t0);

    EXPECT_TRUE(store_->update_room(room.id, "Renamed", std::nullopt, k_t0 + 6));
    EXPECT_TRUE(store_->touch_room(room.id, k_t0 + 9));
    found = store_->find_room(room.id);
    ASSERT_TRUE(found);
    EXPECT_FALSE(found->description);
    EXPECT_EQ(found->updated_at, k_t0 + 9);
    EXPECT_FALSE(store_->update_room(util::new_uuid(), "x", std::nullopt, k_t0));
    EXPECT_FALSE(store_->touch_room(util::new_uuid(), k_t0));  // no row: false, no error
    EXPECT_FALSE(store_->touch_room("not-a-uuid", k_t0));
}

TEST_P(store_contract, deleting_a_room_cascades)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    const auto other = add_room(bob);
    join(room, bob, k_t0 + 1);
    const auto track = add_track(room, bob);
    const auto kept = add_track(other, bob);
    // Votes reference the tracks: the delete only succeeds if they cascade too.
    ASSERT_TRUE(store_->add_vote(track.id, alice.id, util::new_uuid(), k_t0).changed);
    ASSERT_TRUE(store_->add_vote(kept.id, alice.id, util::new_uuid(), k_t0).changed);
    ASSERT_TRUE(store_->update_playback(room.id, {}, {track.id, true, k_t0, std::nullopt}, k_t0));

    const auto gone = store_->delete_room(room.id);
    ASSERT_TRUE(gone);
    ASSERT_EQ(gone->size(), 1u) << "the deleted tracks, for their files";
    EXPECT_EQ(gone->front().track_id, track.id);
    EXPECT_EQ(gone->front().file_path, track.file_path);
    EXPECT_FALSE(store_->find_room(room.id));
    EXPECT_FALSE(store_->find_track(track.id, ""));
    EXPECT_EQ(store_->count_tracks(room.id), 0);
    EXPECT_EQ(store_->count_participants(room.id), 0);
    EXPECT_TRUE(store_->list_participants(room.id).empty());
    EXPECT_FALSE(store_->delete_room(room.id));
    // Nothing outside the room is touched.
    EXPECT_TRUE(store_->find_user(alice.id));
    const auto survivor = store_->find_track(kept.id, alice.id);
    ASSERT_TRUE(survivor);
    EXPECT_EQ(survivor->vote_score, 1);
    EXPECT_TRUE(store_->is_participant(other.id, bob.id));
}

// A join or an upload that lost the race with the room's deletion: a typed failure the
// services answer with 404, not a generic storage error (500), and nothing written.
TEST_P(store_contract, joining_or_uploading_to_a_deleted_room_is_room_gone)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    ASSERT_TRUE(store_->delete_room(room.id));
    EXPECT_THROW(join(room, bob, k_t0 + 1), room_gone);
    EXPECT_THROW(add_track(room, alice), room_gone);
    EXPECT_EQ(store_->count_participants(room.id), 0);
    EXPECT_EQ(store_->count_tracks(room.id), 0);
    EXPECT_TRUE(store_->list_track_files().empty());
}

TEST_P(store_contract, join_is_idempotent)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    const participant_record first{util::new_uuid(), room.id, bob.id, k_t0 + 1, {}};
    const auto joined = store_->add_participant(first);
    EXPECT_TRUE(joined.inserted);
    EXPECT_EQ(joined.participant.id, first.id);
    EXPECT_EQ(joined.participant.joined_at, k_t0 + 1);
    EXPECT_EQ(joined.participant.user.username, "bob");

    const auto again = store_->add_participant({util::new_uuid(), room.id, bob.id, k_t0 + 50, {}});
    EXPECT_FALSE(again.inserted);
    EXPECT_EQ(again.participant.id, first.id);
    EXPECT_EQ(again.participant.joined_at, k_t0 + 1);
    EXPECT_EQ(store_->count_participants(room.id), 2);
}

TEST_P(store_contract, leaves_and_checks_membership)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    EXPECT_FALSE(store_->is_participant(room.id, bob.id));
    join(room, bob, k_t0 + 1);
    EXPECT_TRUE(store_->is_participant(room.id, bob.id));
    EXPECT_TRUE(store_->remove_participant(room.id, bob.id));
    EXPECT_FALSE(store_->remove_participant(room.id, bob.id));
    EXPECT_FALSE(store_->is_participant(room.id, bob.id));
    EXPECT_TRUE(store_->is_participant(room.id, alice.id));
    EXPECT_EQ(store_->count_participants(room.id), 1);
    EXPECT_EQ(store_->count_participants(util::new_uuid()), 0);
}

TEST_P(store_contract, lists_participants_by_join_time_then_id_with_users)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto carol = add_user("carol");
    const auto dave = add_user("dave");
    const auto room = add_room(alice, k_t0);
    const auto late = join(room, bob, k_t0 + 20);
    const auto tie_a = join(room, carol, k_t0 + 10);
    const auto tie_b = join(room, dave, k_t0 + 10);
    const auto rows = store_->list_participants(room.id);
    ASSERT_EQ(rows.size(), 4U);
    const auto [first_tie, second_tie] = std::minmax(tie_a.id, tie_b.id);
    EXPECT_EQ(rows[0].user_id, alice.id);
    EXPECT_EQ(rows[1].id, first_tie);
    EXPECT_EQ(rows[2].id, second_tie);
    EXPECT_EQ(rows[3].id, late.id);
    EXPECT_EQ(rows[3].user.id, bob.id);
    EXPECT_EQ(rows[3].user.username, "bob");
    EXPECT_EQ(rows[3].user.email, "bob@example.com");
    EXPECT_EQ(rows[3].room_id, room.id);
    for (const auto& row : rows) EXPECT_TRUE(row.user.password_hash.empty());
}

TEST_P(store_contract, playback_is_compare_and_set)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    const auto track = add_track(room, alice);
    const playback_columns playing{track.id, true, k_t0 + 100, std::nullopt};
    const playback_columns paused{track.id, false, k_t0 + 100, k_t0 + 400};

    EXPECT_TRUE(store_->update_playback(room.id, {}, playing, k_t0 + 100));
    // A writer still holding the idle state loses.
    EXPECT_FALSE(store_->update_playback(room.id, {}, paused, k_t0 + 200));
    EXPECT_EQ(store_->find_room(room.id)->playback, playing);
    EXPECT_TRUE(store_->update_playback(room.id, playing, paused, k_t0 + 400));
    const auto found = store_->find_room(room.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->playback, paused);
    EXPECT_EQ(found->updated_at, k_t0 + 400);
    // Every column takes part in the comparison.
    auto stale = paused;
    stale.paused_at = k_t0 + 401;
    EXPECT_FALSE(store_->update_playback(room.id, stale, {}, k_t0 + 500));
    EXPECT_FALSE(store_->update_playback(util::new_uuid(), {}, playing, k_t0));
    EXPECT_TRUE(store_->update_playback(room.id, paused, {}, k_t0 + 600));
    EXPECT_EQ(store_->find_room(room.id)->playback, playback_columns{});
}

// A skip or an auto-advance that chose a track deleted since: no change (the caller reads
// again and chooses another), not a foreign key failure.
TEST_P(store_contract, playback_to_a_deleted_track_is_no_change)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    const auto track = add_track(room, alice);
    ASSERT_TRUE(store_->delete_track(track.id, k_t0).deleted);
    EXPECT_FALSE(store_->update_playback(room.id, {}, {track.id, true, k_t0, std::nullopt}, k_t0));
    EXPECT_EQ(store_->find_room(room.id)->playback, playback_columns{});
}

TEST_P(store_contract, lists_playing_rooms)
{
    const auto alice = add_user("alice");
    const auto idle = add_room(alice);
    const auto playing = add_room(alice);
    const auto paused = add_room(alice);
    const auto t1 = add_track(playing, alice);
    const auto t2 = add_track(paused, alice);
    ASSERT_TRUE(store_->update_playback(playing.id, {}, {t1.id, true, k_t0, std::nullopt}, k_t0));
    ASSERT_TRUE(store_->update_playback(paused.id, {}, {t2.id, false, k_t0, k_t0 + 5}, k_t0));
    const auto rooms = store_->list_playing_rooms();
    ASSERT_EQ(rooms.size(), 1U);
    EXPECT_EQ(rooms[0].id, playing.id);
    EXPECT_EQ(rooms[0].playback.current_track_id, t1.id);
    EXPECT_TRUE(store_->find_room(idle.id));
}

}  // namespace spotik::storage

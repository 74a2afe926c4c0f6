// Storage contract suite, part 1: the fixture helpers, migrations, users, token revocation,
// durability across reopen and error hygiene. Instantiated per driver (see the header).
#include "storage/store_contract_test.hpp"

#include "util/ids.hpp"

#include <algorithm>

namespace spotik::storage {

void store_contract::SetUp()
{
    harness_ = GetParam()();
    store_ = harness_->open(harness_->embedded_migrations());
    store_->migrate();
}

void store_contract::TearDown()
{
    store_.reset();
    harness_.reset();
}

std::unique_ptr<store> store_contract::reopen()
{
    return harness_->open(harness_->embedded_migrations());
}

user_record store_contract::add_user(const std::string& username, std::int64_t at)
{
    user_record user{util::new_uuid(), username, username + "@example.com", "$2y$12$hash", at, at};
    EXPECT_EQ(store_->create_user(user), create_user_outcome::created);
    return user;
}

room_record store_contract::add_room(const user_record& admin, std::int64_t created_at, const std::string& name)
{
    room_record room;
    room.id = util::new_uuid();
    room.name = name;
    room.administrator_id = admin.id;
    room.created_at = created_at;
    room.updated_at = created_at;
    participant_record row{util::new_uuid(), room.id, admin.id, created_at, {}};
    store_->create_room(room, row);
    return room;
}

track_record store_contract::add_track(const room_record& room, const user_record& uploader, std::int64_t created_at,
                                       const std::string& id)
{
    track_record track;
    track.id = id.empty() ? util::new_uuid() : id;
    track.room_id = room.id;
    track.uploader_id = uploader.id;
    track.filename = track.id + ".mp3";
    track.original_name = "My Song.mp3";
    track.file_path = "tracks/" + track.filename;
    track.duration_seconds = 180;
    track.file_size_bytes = 3'000'000;
    track.mime_type = "audio/mpeg";
    track.created_at = created_at;
    track.updated_at = created_at;
    store_->insert_track(track);
    return track;
}

participant_record store_contract::join(const room_record& room, const user_record& user, std::int64_t at)
{
    return store_->add_participant({util::new_uuid(), room.id, user.id, at, {}}).participant;
}

namespace {

bool same_user(const user_record& a, const user_record& b)
{
    return a.id == b.id && a.username == b.username && a.email == b.email && a.password_hash == b.password_hash &&
           a.created_at == b.created_at && a.updated_at == b.updated_at;
}

}  // namespace

TEST_P(store_contract, migrate_is_idempotent)
{
    store_->migrate();
    store_->migrate();
    const auto user = add_user("alice");
    store_->ping();
    EXPECT_FALSE(store_->driver().empty());
    EXPECT_TRUE(store_->find_user(user.id).has_value());
}

TEST_P(store_contract, migrate_refuses_a_newer_database)
{
    auto list = harness_->embedded_migrations();
    list.push_back({9999, "9999_future", "CREATE TABLE future_feature (id INTEGER PRIMARY KEY)"});
    auto newer = harness_->open(list);
    newer->migrate();
    newer.reset();
    auto older = reopen();
    EXPECT_THROW(older->migrate(), storage_error);
}

TEST_P(store_contract, creates_and_finds_users)
{
    const auto user = add_user("alice");
    const auto by_id = store_->find_user(user.id);
    const auto by_email = store_->find_user_by_email("alice@example.com");
    ASSERT_TRUE(by_id && by_email);
    EXPECT_TRUE(same_user(*by_id, user));
    EXPECT_TRUE(same_user(*by_email, user));
    EXPECT_FALSE(store_->find_user(util::new_uuid()));
    EXPECT_FALSE(store_->find_user_by_email("nobody@example.com"));
}

TEST_P(store_contract, duplicate_username_and_email_are_outcomes)
{
    const auto alice = add_user("alice");
    user_record same_name{util::new_uuid(), "alice", "other@example.com", "h", k_t0, k_t0};
    user_record same_email{util::new_uuid(), "alice2", "alice@example.com", "h", k_t0, k_t0};
    EXPECT_EQ(store_->create_user(same_name), create_user_outcome::username_taken);
    EXPECT_EQ(store_->create_user(same_email), create_user_outcome::email_taken);
    EXPECT_FALSE(store_->find_user(same_name.id));
    EXPECT_FALSE(store_->find_user(same_email.id));
    EXPECT_FALSE(store_->find_user_by_email("other@example.com"));
    // Usernames are compared exactly: a different case is a different name.
    user_record upper{util::new_uuid(), "ALICE", "upper@example.com", "h", k_t0, k_t0};
    EXPECT_EQ(store_->create_user(upper), create_user_outcome::created);
}

TEST_P(store_contract, text_round_trips_exactly_and_is_never_sql)
{
    const std::string name = "Robert'); DROP TABLE users;-- \"%_\\ Zoë 🎵 日本語";
    user_record user{util::new_uuid(), name, "o'hara+%_@exämple.com", "$2y$12$a/b.c", k_t0, k_t0 + 1};
    ASSERT_EQ(store_->create_user(user), create_user_outcome::created);
    const auto found = store_->find_user_by_email(user.email);
    ASSERT_TRUE(found);
    EXPECT_TRUE(same_user(*found, user));
    EXPECT_FALSE(store_->find_user("' OR '1'='1"));
    EXPECT_FALSE(store_->find_user_by_email("%"));
    EXPECT_FALSE(store_->find_room("x' OR 1=1 --"));
    EXPECT_FALSE(store_->find_track("'; DELETE FROM tracks; --", "' OR 1=1 --"));
    EXPECT_FALSE(store_->find_user(""));
    EXPECT_TRUE(store_->find_user(user.id));
}

TEST_P(store_contract, revokes_and_purges_tokens)
{
    store_->revoke_token("jti-1", k_t0 + 1000, k_t0);
    store_->revoke_token("jti-1", k_t0 + 1000, k_t0);  // twice is fine
    store_->revoke_token("jti-2", k_t0 + 5000, k_t0);
    store_->revoke_token("jti-3", k_t0 + 5000, k_t0 + 100);  // a grace period of 100 ms
    EXPECT_TRUE(store_->is_token_revoked("jti-1", k_t0));
    EXPECT_FALSE(store_->is_token_revoked("unknown", k_t0));
    EXPECT_FALSE(store_->is_token_revoked("jti-3", k_t0 + 99));
    EXPECT_TRUE(store_->is_token_revoked("jti-3", k_t0 + 100));
    // A second revocation can only make it effective earlier, never later.
    store_->revoke_token("jti-3", k_t0 + 5000, k_t0 + 50);
    store_->revoke_token("jti-3", k_t0 + 5000, k_t0 + 900);
    EXPECT_TRUE(store_->is_token_revoked("jti-3", k_t0 + 50));
    EXPECT_EQ(store_->purge_expired_tokens(k_t0 + 1000), 0);  // expires_at == now is kept
    EXPECT_EQ(store_->purge_expired_tokens(k_t0 + 1001), 1);
    EXPECT_FALSE(store_->is_token_revoked("jti-1", k_t0 + 1001));
    EXPECT_TRUE(store_->is_token_revoked("jti-2", k_t0 + 1001));
    EXPECT_EQ(store_->purge_expired_tokens(k_t0 + 10'000), 2);
    EXPECT_FALSE(store_->is_token_revoked("jti-2", k_t0 + 10'000));
}

TEST_P(store_contract, finds_a_token_s_holder_and_its_revocation_in_one_call)
{
    const auto alice = add_user("alice");
    auto holder = store_->find_token_holder("jti-h", alice.id, k_t0);
    EXPECT_FALSE(holder.revoked);
    ASSERT_TRUE(holder.user);
    EXPECT_TRUE(same_user(*holder.user, alice));
    // Unknown, malformed and hostile ids name nobody.
    for (const std::string id : {util::new_uuid(), std::string("not-a-uuid"), std::string("' OR 1=1 --")}) {
        holder = store_->find_token_holder("jti-h", id, k_t0);
        EXPECT_FALSE(holder.revoked) << id;
        EXPECT_FALSE(holder.user) << id;
    }
    EXPECT_FALSE(store_->find_token_holder(std::string("jti\0h", 5), alice.id, k_t0).revoked);
    // Revoked from k_t0 + 100: the grace period still counts, then the flag is set whether or
    // not the user exists.
    store_->revoke_token("jti-h", k_t0 + 5000, k_t0 + 100);
    EXPECT_FALSE(store_->find_token_holder("jti-h", alice.id, k_t0 + 99).revoked);
    holder = store_->find_token_holder("jti-h", alice.id, k_t0 + 100);
    EXPECT_TRUE(holder.revoked);
    EXPECT_TRUE(holder.user);
    EXPECT_TRUE(store_->find_token_holder("jti-h", util::new_uuid(), k_t0 + 100).revoked);
}

TEST_P(store_contract, lists_the_revocations_that_took_effect_in_a_stretch)
{
    store_->revoke_token("logout", k_t0 + 5000, k_t0 + 10);
    store_->revoke_token("refresh", k_t0 + 5000, k_t0 + 30'000);  // after a grace period
    store_->revoke_token("early", k_t0 + 5000, k_t0);
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    using list = std::vector<std::string>;
    EXPECT_EQ(sorted(store_->tokens_revoked_between(k_t0, k_t0 + 10)), list{"logout"});  // (after, until]
    EXPECT_EQ(sorted(store_->tokens_revoked_between(k_t0 - 1, k_t0 + 29'999)), (list{"early", "logout"}));
    EXPECT_EQ(sorted(store_->tokens_revoked_between(k_t0 + 10, k_t0 + 29'999)), list{});
    EXPECT_EQ(sorted(store_->tokens_revoked_between(k_t0 + 10, k_t0 + 30'000)), list{"refresh"});
}

TEST_P(store_contract, reopened_store_keeps_its_data)
{
    const auto alice = add_user("alice");
    const auto room = add_room(alice);
    const auto track = add_track(room, alice);
    ASSERT_TRUE(store_->add_vote(track.id, alice.id, util::new_uuid(), k_t0).changed);
    store_->revoke_token("jti", k_t0 + 1000, k_t0);
    store_.reset();

    auto again = reopen();
    again->migrate();
    ASSERT_TRUE(again->find_user(alice.id));
    ASSERT_TRUE(again->find_room(room.id));
    const auto found = again->find_track(track.id, alice.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->vote_score, 1);
    EXPECT_TRUE(found->user_has_voted);
    EXPECT_TRUE(again->is_participant(room.id, alice.id));
    EXPECT_TRUE(again->is_token_revoked("jti", k_t0));
}

TEST_P(store_contract, errors_do_not_reveal_parameter_values)
{
    const auto alice = add_user("alice");
    track_record orphan;
    orphan.id = util::new_uuid();
    orphan.room_id = "secret-room-value";
    orphan.uploader_id = alice.id;
    orphan.original_name = "secret-name-value";
    try {
        store_->insert_track(orphan);
        ADD_FAILURE() << "a track without its room was stored";
    } catch (const storage_error& failure) {
        const std::string message = failure.what();
        EXPECT_EQ(message.find("secret-room-value"), std::string::npos) << message;
        EXPECT_EQ(message.find("secret-name-value"), std::string::npos) << message;
    }
    EXPECT_FALSE(store_->find_track(orphan.id, ""));
}

TEST_P(store_contract, erase_all_data_empties_every_table_and_keeps_the_schema)
{
    const auto alice = add_user("alice");
    const auto bob = add_user("bob");
    const auto room = add_room(alice);
    join(room, bob, k_t0 + 1);
    const auto track = add_track(room, bob);
    store_->add_vote(track.id, alice.id, util::new_uuid(), k_t0 + 2);
    ASSERT_TRUE(store_->update_playback(room.id, {}, {track.id, true, k_t0 + 3, std::nullopt}, k_t0 + 3));
    store_->revoke_token("jti-erase", k_t0 + 1000, k_t0);

    store_->erase_all_data();

    EXPECT_FALSE(store_->find_user(alice.id));
    EXPECT_FALSE(store_->find_user_by_email("bob@example.com"));
    EXPECT_TRUE(store_->list_rooms().empty());
    EXPECT_FALSE(store_->find_track(track.id, ""));
    EXPECT_TRUE(store_->list_participants(room.id).empty());
    EXPECT_TRUE(store_->list_playing_rooms().empty());
    EXPECT_FALSE(store_->is_token_revoked("jti-erase", k_t0 + 10));
    // The schema is still there and needs no new migration: the same names can be reused.
    store_->migrate();
    const auto again = add_user("alice");
    const auto room2 = add_room(again);
    EXPECT_EQ(store_->list_rooms().size(), 1u);
    EXPECT_EQ(store_->count_participants(room2.id), 1);
}

}  // namespace spotik::storage

// The storage contract suite: every driver runs the same TEST_P cases (store_contract_*_test.cpp)
// by instantiating store_contract with a factory of harnesses, each owning one fresh private
// database (see sqlite/sqlite_store_test.cpp). Helpers throw what the store throws.
#pragma once
#include "storage/migration.hpp"
#include "storage/store.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spotik::storage {

// One private, initially empty database for the length of one test.
class store_harness {
public:
    virtual ~store_harness() = default;
    // A new store on this harness's database that knows `migrations` (not yet migrated).
    virtual std::unique_ptr<store> open(std::vector<migration> migrations) = 0;
    // The driver's embedded migrations.
    virtual std::vector<migration> embedded_migrations() const = 0;
};

using harness_factory = std::function<std::unique_ptr<store_harness>()>;

class store_contract : public ::testing::TestWithParam<harness_factory> {
protected:
    static constexpr std::int64_t k_t0 = 1'700'000'000'000;

    // Opens store_ on a fresh database and migrates it.
    void SetUp() override;
    void TearDown() override;

    // A store on the same database with the embedded migrations (not yet migrated).
    std::unique_ptr<store> reopen();

    // Each helper writes one row through store_ and returns it as written.
    user_record add_user(const std::string& username, std::int64_t at = k_t0);
    // The room's administrator joins at the room's creation instant.
    room_record add_room(const user_record& admin, std::int64_t created_at = k_t0, const std::string& name = "Room");
    track_record add_track(const room_record& room, const user_record& uploader, std::int64_t created_at = k_t0,
                           const std::string& id = "");
    participant_record join(const room_record& room, const user_record& user, std::int64_t at);

    std::unique_ptr<store_harness> harness_;
    std::unique_ptr<store> store_;
};

}  // namespace spotik::storage

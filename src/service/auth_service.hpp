// Authentication use cases (CONTRACT §4): register, login, token checks, refresh within
// JWT_REFRESH_TTL of the original iat, and logout through the jwt_blacklist table.
// Blocking (bcrypt, database): call on the blocking pool. Storage failures propagate.
#pragma once
#include "auth/jwt.hpp"
#include "config/config.hpp"
#include "storage/store.hpp"
#include "util/clock.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace spotik::service {

enum class auth_failure { absent, invalid, expired, revoked, user_missing };

struct authenticated {
    storage::user_record user;
    auth::jwt_claims claims;
};

struct issued_session {
    storage::user_record user;
    std::string token;
};

struct register_outcome {
    storage::create_user_outcome outcome;
    std::optional<issued_session> session;
};

class auth_service {
public:
    auth_service(storage::store& store, const auth::jwt_codec& codec, const config::auth_settings& settings,
                 const util::clock& clock);

    register_outcome register_user(std::string username, std::string email, std::string_view password);
    // nullopt for an unknown email and for a wrong password alike.
    std::optional<issued_session> login(std::string_view email, std::string_view password);
    boost::system::result<authenticated, auth_failure> authenticate(std::string_view token);
    // A token whose signature was verified before (a WebSocket's handshake token), named by its
    // subject, id and expiry: checked again as authenticate() checks one (expiry, revocation,
    // the user), without keeping the token itself.
    boost::system::result<authenticated, auth_failure> authenticate_verified(std::string_view user_id,
                                                                             std::string_view token_id,
                                                                             std::int64_t expires_at);
    boost::system::result<std::string, auth_failure> refresh(std::string_view token);
    void logout(std::string_view token);
    std::int64_t expires_in_s() const { return std::int64_t(settings_.jwt_ttl_min) * 60; }
    // Deletes revocation rows that can no longer matter.
    std::int64_t purge_revocations();

private:
    std::string issue(const storage::user_record& user, std::int64_t iat);
    std::int64_t refresh_deadline_ms(const auth::jwt_claims& c) const;
    // The checks every kind of token ends with: not revoked, and its user still there.
    boost::system::result<storage::user_record, auth_failure> holder(std::string_view token_id,
                                                                     std::string_view user_id, std::int64_t now_ms);

    storage::store& store_;
    const auth::jwt_codec& codec_;
    const config::auth_settings& settings_;
    const util::clock& clock_;
    std::string dummy_hash_;
};

[[noreturn]] void throw_exception_from_error(const auth_failure& f, const boost::source_location& loc);

}  // namespace spotik::service

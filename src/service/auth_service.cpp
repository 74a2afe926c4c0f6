// Authentication use cases.
#include "service/auth_service.hpp"

#include "auth/password.hpp"
#include "util/ids.hpp"

#include <algorithm>
#include <stdexcept>

namespace spotik::service {

void throw_exception_from_error(const auth_failure&, const boost::source_location&)
{
    throw std::logic_error("unchecked authentication failure");
}

auth_service::auth_service(storage::store& store, const auth::jwt_codec& codec, const config::auth_settings& settings,
                           const util::clock& clock)
    : store_(store),
      codec_(codec),
      settings_(settings),
      clock_(clock),
      dummy_hash_(auth::hash_password(util::random_hex(16), settings.bcrypt_cost))
{
}

std::string auth_service::issue(const storage::user_record& user, std::int64_t iat)
{
    auth::jwt_claims c;
    c.sub = user.id;
    c.jti = auth::new_jti();
    c.iat = iat;
    c.nbf = clock_.now_s();
    c.exp = c.nbf + expires_in_s();
    c.username = user.username;
    c.email = user.email;
    return codec_.sign(c);
}

std::int64_t auth_service::refresh_deadline_ms(const auth::jwt_claims& c) const
{
    std::int64_t window_end = c.iat + std::int64_t(settings_.jwt_refresh_ttl_min) * 60;
    return std::max(window_end, c.exp) * 1000;
}

register_outcome auth_service::register_user(std::string username, std::string email, std::string_view password)
{
    storage::user_record u;
    u.id = util::new_uuid();
    u.username = std::move(username);
    u.email = std::move(email);
    u.password_hash = auth::hash_password(password, settings_.bcrypt_cost);
    u.created_at = u.updated_at = clock_.now_ms();
    auto outcome = store_.create_user(u);
    if (outcome != storage::create_user_outcome::created) return {outcome, std::nullopt};
    std::string token = issue(u, clock_.now_s());
    return {outcome, issued_session{std::move(u), std::move(token)}};
}

std::optional<issued_session> auth_service::login(std::string_view email, std::string_view password)
{
    auto user = store_.find_user_by_email(email);
    if (!user) {
        // Spend the same bcrypt time as a real check so response timing reveals nothing.
        (void)auth::verify_password(password, dummy_hash_);
        return std::nullopt;
    }
    if (!auth::verify_password(password, user->password_hash)) return std::nullopt;
    std::string token = issue(*user, clock_.now_s());
    return issued_session{std::move(*user), std::move(token)};
}

boost::system::result<authenticated, auth_failure> auth_service::authenticate(std::string_view token)
{
    if (token.empty()) return auth_failure::absent;
    auto claims = codec_.verify(token);
    if (!claims) return claims.error() == auth::jwt_error::expired ? auth_failure::expired : auth_failure::invalid;
    auto user = holder(claims->jti, claims->sub, clock_.now_ms());
    if (!user) return user.error();
    return authenticated{std::move(*user), std::move(*claims)};
}

boost::system::result<authenticated, auth_failure> auth_service::authenticate_verified(std::string_view user_id,
                                                                                       std::string_view token_id,
                                                                                       std::int64_t expires_at)
{
    std::int64_t now_ms = clock_.now_ms();
    if (expires_at <= now_ms / 1000) return auth_failure::expired;
    auto user = holder(token_id, user_id, now_ms);
    if (!user) return user.error();
    auth::jwt_claims claims;
    claims.sub = user->id;
    claims.jti = token_id;
    claims.exp = expires_at;
    return authenticated{std::move(*user), std::move(claims)};
}

boost::system::result<std::string, auth_failure> auth_service::refresh(std::string_view token)
{
    if (token.empty()) return auth_failure::absent;
    auto claims = codec_.decode_for_refresh(token);
    if (!claims) return auth_failure::invalid;
    std::int64_t now_ms = clock_.now_ms();
    if (now_ms >= (claims->iat + std::int64_t(settings_.jwt_refresh_ttl_min) * 60) * 1000) return auth_failure::expired;
    auto user = holder(claims->jti, claims->sub, now_ms);
    if (!user) return user.error();
    // The old token keeps working for the grace period: requests and audio streams that
    // V started with it may still be in flight.
    store_.revoke_token(claims->jti, refresh_deadline_ms(*claims),
                        now_ms + std::int64_t(settings_.jwt_blacklist_grace_s) * 1000);
    return issue(*user, claims->iat);
}

boost::system::result<storage::user_record, auth_failure> auth_service::holder(std::string_view token_id,
                                                                               std::string_view user_id,
                                                                               std::int64_t now_ms)
{
    auto found = store_.find_token_holder(token_id, user_id, now_ms);
    if (found.revoked) return auth_failure::revoked;
    if (!found.user) return auth_failure::user_missing;
    return std::move(*found.user);
}

void auth_service::logout(std::string_view token)
{
    if (token.empty()) return;
    auto claims = codec_.decode_for_refresh(token);
    if (!claims) return;
    std::int64_t now_ms = clock_.now_ms();
    store_.revoke_token(claims->jti, refresh_deadline_ms(*claims), now_ms);
}

std::int64_t auth_service::purge_revocations()
{
    return store_.purge_expired_tokens(clock_.now_ms());
}

}  // namespace spotik::service

// Property tests for the header decoders (RapidCheck): arbitrary bytes behind a PNG, JPEG, WebP,
// RIFF, ftyp, ID3 or MPEG prefix never crash probe_image_bytes or sniff_audio, and every image
// accepted has positive dimensions and a format matching its signature.
#include "media/audio_format.hpp"
#include "media/image_probe.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace spotik::media {
namespace {

using namespace std::string_literals;

rc::Gen<std::string> gen_prefix()
{
    return rc::gen::element("\x89PNG\r\n\x1a\n"s, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"s, "\xFF\xD8\xFF"s,
                            "\xFF\xD8\xFF\xC0"s, "RIFF\0\0\0\0WEBPVP8 "s, "RIFF\0\0\0\0WEBPVP8L"s,
                            "RIFF\0\0\0\0WEBPVP8X"s, "RIFF\0\0\0\0WAVE"s,
                            "\0\0\0\x18"
                            "ftypM4A "s,
                            "ID3"s, "\xFF\xFB"s, ""s);
}

RC_GTEST_PROP(media_image_probe_property, arbitrary_headers_are_safe, (const std::string& tail))
{
    const auto bytes = *gen_prefix() + tail;
    const auto result = probe_image_bytes(bytes);
    if (const auto* info = std::get_if<image_info>(&result)) {
        RC_ASSERT(info->width > 0);
        RC_ASSERT(info->height > 0);
        const auto expected = bytes.starts_with("\x89PNG")    ? image_format::png
                              : bytes.starts_with("\xFF\xD8") ? image_format::jpeg
                                                              : image_format::webp;
        RC_ASSERT(info->format == expected);
    }
    (void)sniff_audio(bytes);
}

RC_GTEST_PROP(media_image_probe_property, jpeg_marker_walk_terminates, (const std::vector<std::string>& segments))
{
    std::string bytes = "\xFF\xD8"s;
    for (const auto& s : segments) bytes += "\xFF"s + s;
    const auto result = probe_image_bytes(bytes);
    if (const auto* info = std::get_if<image_info>(&result)) RC_ASSERT(info->format == image_format::jpeg);
}

}  // namespace
}  // namespace spotik::media

// multipart/form-data encoding as browsers do it (RFC 7578): quoted names with '"', CR and LF
// percent-encoded, CRLF line endings. Throws std::invalid_argument when content contains the
// boundary line, std::runtime_error when read_file_bytes cannot read its file.
#include "support/multipart.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace spotik::test {
namespace {

std::string random_boundary() {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
    std::string out = "----spotik-test-";
    for (int i = 0; i < 24; ++i) out += alphabet[pick(device)];
    return out;
}

// Quoted-string value for Content-Disposition parameters, as the HTML standard encodes them.
std::string quote(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"') {
            out += "%22";
        } else if (c == '\r') {
            out += "%0D";
        } else if (c == '\n') {
            out += "%0A";
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace

multipart_builder::multipart_builder(std::string boundary)
    : boundary_(boundary.empty() ? random_boundary() : std::move(boundary)) {}

multipart_builder& multipart_builder::add_field(std::string name, std::string value) {
    check_content(value);
    parts_.push_back({"Content-Disposition: form-data; name=" + quote(name) + "\r\n", std::move(value)});
    return *this;
}

multipart_builder& multipart_builder::add_file(std::string name, std::string filename,
                                               std::string content_type, std::string content) {
    check_content(content);
    std::string headers = "Content-Disposition: form-data; name=" + quote(name) +
                          "; filename=" + quote(filename) + "\r\n";
    if (!content_type.empty()) headers += "Content-Type: " + content_type + "\r\n";
    parts_.push_back({std::move(headers), std::move(content)});
    return *this;
}

const std::string& multipart_builder::boundary() const { return boundary_; }

std::string multipart_builder::content_type() const { return "multipart/form-data; boundary=" + boundary_; }

std::string multipart_builder::body() const {
    std::size_t size = boundary_.size() + 8;
    for (const auto& p : parts_) size += boundary_.size() + p.headers.size() + p.content.size() + 8;
    std::string out;
    out.reserve(size);
    for (const auto& p : parts_) {
        out += "--" + boundary_ + "\r\n";
        out += p.headers;
        out += "\r\n";
        out += p.content;
        out += "\r\n";
    }
    out += "--" + boundary_ + "--\r\n";
    return out;
}

void multipart_builder::check_content(const std::string& content) const {
    if (content.find("--" + boundary_) != std::string::npos) {
        throw std::invalid_argument("multipart_builder: content contains the boundary " + boundary_);
    }
}

std::string read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("read_file_bytes: cannot open " + path);
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) throw std::runtime_error("read_file_bytes: cannot read " + path);
    return out.str();
}

}  // namespace spotik::test

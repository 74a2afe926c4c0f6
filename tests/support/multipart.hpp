// Builds multipart/form-data request bodies (the upload endpoints' format) and reads fixture
// files into memory. add_* throws std::invalid_argument if content contains the boundary;
// read_file_bytes throws std::runtime_error when the file cannot be read.
#pragma once
#include <string>
#include <vector>

namespace spotik::test {

class multipart_builder {
public:
    // An empty boundary means a random one.
    explicit multipart_builder(std::string boundary = {});

    multipart_builder& add_field(std::string name, std::string value);
    multipart_builder& add_file(std::string name, std::string filename, std::string content_type,
                                std::string content);

    const std::string& boundary() const;
    // "multipart/form-data; boundary=<boundary>"
    std::string content_type() const;
    // The parts, each framed by "--<boundary>\r\n", and the closing "--<boundary>--\r\n".
    std::string body() const;

private:
    struct part {
        std::string headers;  // the part's header lines, each ending in CRLF
        std::string content;
    };
    void check_content(const std::string& content) const;

    std::string boundary_;
    std::vector<part> parts_;
};

// The whole file as bytes.
std::string read_file_bytes(const std::string& path);

}  // namespace spotik::test

// encoder_roundtrip_fuzz — arguments of any bytes, encoded with detail::encode_command and
// read back with detail::reply_reader.
//
// Input: 1 header byte, then the arguments, each a length byte and that many bytes (the last
// may be cut short by the end of the input). A length byte with its top bit set means
// (byte & 0x7f) * 16 bytes, so arguments past the encoder's 100-byte short path are cheap.
//   [0] bits 0-1: the command is encoded 1 to 4 times into the same buffer;
//       bits 2-7: where the encoded bytes are split in two feeds
//
// Oracles: the bytes are exactly `*N\r\n` then `$len\r\n<arg>\r\n` per argument (built here
// independently), as many bytes as encoded_size() says and within short_command_bound() when
// that applies; read back, each copy is one array of bulk strings equal to the arguments, in
// order, and nothing is left buffered.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/protocol/protocol.hpp"
#include "lib/protocol/write_buffer.hpp"
#include "redpool/detail/encode.hpp"
#include "redpool/error.hpp"
#include "redpool/reply.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using redpool::reply;
using redpool::detail::reply_limits;
using redpool::detail::reply_reader;
using redpool::detail::write_buffer;
using namespace redpool::fuzz;

// Large enough for any argument an input can hold.
constexpr reply_limits roomy_limits{std::size_t{1} << 30, std::size_t{1} << 20, 8};

std::vector<std::string_view> read_arguments(input_reader& in) {
    std::vector<std::string_view> args;
    while (in.remaining() > 0) {
        const std::uint8_t length = in.byte();
        const std::size_t n = (length & 0x80) != 0 ? std::size_t{length & 0x7fu} * 16 : length;
        args.push_back(in.take(n));
    }
    return args;
}

// RESP's array of bulk strings, written the plain way.
std::string expected_encoding(const std::vector<std::string_view>& args) {
    std::string out = fmt::format("*{}\r\n", args.size());
    for (std::string_view arg : args) {
        out += fmt::format("${}\r\n", arg.size());
        out += arg;
        out += "\r\n";
    }
    return out;
}

void check_encoding(const std::vector<std::string_view>& args, std::string_view encoded, const std::string& expected) {
    if (encoded != expected) {
        fail("{} arguments encoded as {} bytes, expected {}", args.size(), encoded.size(), expected.size());
    }
    if (redpool::detail::encoded_size(args) != expected.size()) {
        fail("encoded_size {} for {} bytes", redpool::detail::encoded_size(args), expected.size());
    }
    const std::size_t bound = redpool::detail::short_command_bound(args);
    if (bound != 0 && bound < expected.size()) fail("short_command_bound {} below {} bytes", bound, expected.size());
}

void check_reply(const reply& r, const std::vector<std::string_view>& args) {
    if (!r.is_array() || r.size() != args.size()) {
        fail("{} arguments read back as {}", args.size(), describe(r));
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        const reply& e = r.elements()[i];
        if (!e.is_string() || e.as_string() != args[i]) {
            fail("argument {} ({} bytes) read back as {}", i, args[i].size(), describe(e));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    input_reader in(data, size);
    const std::uint8_t flags = in.byte();
    const std::size_t copies = 1 + (flags & 3);
    const std::vector<std::string_view> args = read_arguments(in);

    // Encoded after a prefix too, so that reserve_tail is exercised on a buffer in use.
    write_buffer buffer;
    const std::string expected = expected_encoding(args);
    for (std::size_t c = 0; c < copies; ++c) {
        const std::size_t before = buffer.size();
        redpool::detail::encode_command(buffer, args);
        check_encoding(args, std::string_view(buffer.data() + before, buffer.size() - before), expected);
    }

    reply_reader reader(roomy_limits);
    const std::size_t split = buffer.size() == 0 ? 0 : (std::size_t{flags} >> 2) * 37 % buffer.size();
    try {
        reader.feed(buffer.data(), split);
        reader.feed(buffer.data() + split, buffer.size() - split);
        reply r;
        for (std::size_t c = 0; c < copies; ++c) {
            if (!reader.next(r)) fail("copy {} of {} arguments did not read back", c, args.size());
            check_reply(r, args);
        }
        if (reader.next(r)) fail("an extra reply after the commands: {}", describe(r));
        if (reader.has_buffered_bytes()) fail("bytes left buffered after the commands");
    } catch (const redpool::error& e) {
        fail("reading {} encoded arguments threw errc {}: {}", args.size(), number(code_of(e)), e.what());
    }
    return 0;
}

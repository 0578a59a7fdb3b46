// The bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
#include "redpool/cmd/bitmaps.hpp"

#include <deque>
#include <string>

#include <fmt/format.h>

#include "lib/commands/command_args.hpp"
#include "lib/commands/registry.hpp"
#include "redpool/error.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using detail::view;

void require_offset(std::string_view name, long long offset) {
    if (offset < 0) throw error(errc::invalid_argument, fmt::format("{}: negative bit offset", name));
}

// BITCOUNT and BITPOS take BYTE or BIT after a range; BYTE is the default, so it is left out
// and servers older than 7.0 understand the command too.
void add_unit(args_builder& args, bit_unit unit) {
    if (unit == bit_unit::bit) args.add("BIT");
}

std::string_view operation_name(bit_operation op) {
    switch (op) {
        case bit_operation::and_: return "AND";
        case bit_operation::or_: return "OR";
        case bit_operation::xor_: return "XOR";
        case bit_operation::not_: return "NOT";
    }
    throw error(errc::invalid_argument, "BITOP: unknown operation");
}

std::string_view overflow_name(bitfield_overflow overflow) {
    switch (overflow) {
        case bitfield_overflow::wrap: return "WRAP";
        case bitfield_overflow::sat: return "SAT";
        case bitfield_overflow::fail: return "FAIL";
    }
    throw error(errc::invalid_argument, "BITFIELD: unknown overflow behaviour");
}

// The texts of BITFIELD's types ("u8") and field offsets ("#2"), kept while the arguments
// that view them are built; a deque never moves its elements.
class bitfield_args {
public:
    explicit bitfield_args(std::string_view name) : name_(name), args_(name) {}

    args_builder& args() { return args_; }

    // TYPE OFFSET, as every BITFIELD operation ends.
    void add_field(bitfield_type type, bitfield_offset offset) {
        const int max_bits = type.is_signed ? 64 : 63;
        if (type.bits < 1 || type.bits > max_bits)
            throw error(errc::invalid_argument,
                        fmt::format("{}: a {} field has 1 to {} bits, not {}", name_,
                                    type.is_signed ? "signed" : "unsigned", max_bits, type.bits));
        require_offset(name_, offset.value);
        args_.add(texts_.emplace_back(fmt::format("{}{}", type.is_signed ? 'i' : 'u', type.bits)));
        if (offset.in_fields)
            args_.add(texts_.emplace_back(fmt::format("#{}", offset.value)));
        else
            args_.add_integer(offset.value);
    }

private:
    std::string_view name_;
    args_builder args_;
    std::deque<std::string> texts_;
};

}  // namespace

command<bool> setbit(std::string_view key, long long offset, bool value) {
    require_offset("SETBIT", offset);
    fmt::format_int at(offset);
    return {"SETBIT", key, view(at), value ? "1" : "0"};
}

command<bool> getbit(std::string_view key, long long offset) {
    require_offset("GETBIT", offset);
    fmt::format_int at(offset);
    return {"GETBIT", key, view(at)};
}

command<long long> bitcount(std::string_view key) { return {"BITCOUNT", key}; }

command<long long> bitcount(std::string_view key, long long start, long long end, bit_unit unit) {
    args_builder args("BITCOUNT");
    args.add(key).add_integer(start).add_integer(end);
    add_unit(args, unit);
    return args.build<long long>();
}

command<long long> bitpos(std::string_view key, bool bit) { return {"BITPOS", key, bit ? "1" : "0"}; }

command<long long> bitpos(std::string_view key, bool bit, long long start) {
    fmt::format_int from(start);
    return {"BITPOS", key, bit ? "1" : "0", view(from)};
}

command<long long> bitpos(std::string_view key, bool bit, long long start, long long end, bit_unit unit) {
    args_builder args("BITPOS");
    args.add(key).add(bit ? "1" : "0").add_integer(start).add_integer(end);
    add_unit(args, unit);
    return args.build<long long>();
}

command<long long> bitop(bit_operation op, std::string_view destination, std::span<const std::string_view> keys) {
    if (keys.empty()) throw error(errc::invalid_argument, "BITOP: no source keys");
    if (op == bit_operation::not_ && keys.size() != 1)
        throw error(errc::invalid_argument, "BITOP: NOT takes exactly one source key");
    return args_builder("BITOP").add(operation_name(op)).add(destination).add_all(keys).build<long long>();
}

command<long long> bitop(bit_operation op, std::string_view destination,
                         std::initializer_list<std::string_view> keys) {
    return bitop(op, destination, as_span(keys));
}

command<std::vector<std::optional<long long>>> bitfield(std::string_view key, std::span<const bitfield_op> ops) {
    bitfield_args b("BITFIELD");
    b.args().add(key);
    // OVERFLOW applies to every later SET and INCRBY, so it is sent only where an operation's
    // behaviour differs from the one in force (WRAP at first).
    bitfield_overflow in_force = bitfield_overflow::wrap;
    for (const bitfield_op& op : ops) {
        if (op.what != bitfield_op::kind::get && op.overflow != in_force) {
            b.args().add("OVERFLOW").add(overflow_name(op.overflow));
            in_force = op.overflow;
        }
        switch (op.what) {
            case bitfield_op::kind::get: b.args().add("GET"); break;
            case bitfield_op::kind::set: b.args().add("SET"); break;
            case bitfield_op::kind::incrby: b.args().add("INCRBY"); break;
        }
        b.add_field(op.type, op.offset);
        if (op.what != bitfield_op::kind::get) b.args().add_integer(op.value);
    }
    return b.args().build<std::vector<std::optional<long long>>>();
}

command<std::vector<std::optional<long long>>> bitfield(std::string_view key,
                                                        std::initializer_list<bitfield_op> ops) {
    return bitfield(key, as_span(ops));
}

command<std::vector<long long>> bitfield_ro(std::string_view key, std::span<const bitfield_get> fields) {
    bitfield_args b("BITFIELD_RO");
    b.args().add(key);
    for (const bitfield_get& field : fields) {
        b.args().add("GET");
        b.add_field(field.type, field.offset);
    }
    return b.args().build<std::vector<long long>>();
}

command<std::vector<long long>> bitfield_ro(std::string_view key, std::initializer_list<bitfield_get> fields) {
    return bitfield_ro(key, as_span(fields));
}

}  // namespace redpool::cmd

namespace redpool::detail {

void register_bitmap_commands(command_registry& r) {
    r.add(cmd::setbit("k", 0, true));
    r.add(cmd::getbit("k", 0));
    r.add(cmd::bitcount("k"));
    r.add(cmd::bitpos("k", true));
    r.add(cmd::bitop(bit_operation::and_, "d", {"k"}));
    r.add(cmd::bitfield("k", {bitfield_op::get(bitfield_type::u(8), 0)}));
    r.add(cmd::bitfield_ro("k", {{bitfield_type::u(8), 0}}));
}

}  // namespace redpool::detail

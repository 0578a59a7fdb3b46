// cluster_core::run_batch — a pipeline across slots. Each command is routed on its own; then,
// round after round, every node's share goes out on one connection of that node (all nodes'
// requests written before any reply is read, so the nodes work at once), and the replies are
// read back into their commands' places. MOVED and ASK replies send their command to the node
// named in the next round (ASKING first for ASK), up to max_redirects rounds. Shares are cut
// into chunks, so a huge batch never has both directions of a socket full at once.
#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "lib/cluster/cluster_core.hpp"
#include "lib/cluster/redirect.hpp"
#include "lib/commands/command_table.hpp"
#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

// Requests per node written before their replies are read: far below what fills a socket's
// buffers for ordinary commands.
constexpr std::size_t chunk = 256;

struct pending {
    std::size_t index;
    node_address target;
    bool asking = false;
};

}  // namespace

void cluster_core::run_batch(std::span<const batch_item> items, std::vector<reply>& replies,
                             std::vector<std::exception_ptr>& failures) {
    replies.assign(items.size(), reply());
    failures.assign(items.size(), nullptr);
    if (items.empty()) return;
    if (since_refresh() > refresh_period) refresh_soon();
    const routed_map& map = current_routed();

    std::vector<char> settled(items.size(), 0);  // answered, or sent on to another node
    std::vector<pending> todo;
    std::vector<std::size_t> fanned_out;  // DBSIZE, KEYS...: one at a time, as exec runs them
    for (std::size_t i = 0; i < items.size(); ++i) {
        const route r = route_of(items[i].args);
        if (r.where == route::kind::all_masters || r.where == route::kind::all_nodes) {
            fanned_out.push_back(i);
        } else {
            try {
                todo.push_back({i, *pick(r, map).second});
            } catch (...) {
                failures[i] = std::current_exception();  // no node serves its slot
            }
        }
    }

    for (int round = 0; !todo.empty(); ++round) {
        std::map<std::string, std::vector<pending>> by_node;
        for (pending& p : todo) by_node[p.target.name].push_back(std::move(p));
        todo.clear();
        bool moved = false;

        struct share {
            std::shared_ptr<node> n;
            std::vector<pending> items;
            connection_pool::lease conn;
            std::exception_ptr failure;
        };
        std::vector<share> shares;
        for (auto& [name, list] : by_node) shares.push_back({node_for(list.front().target), std::move(list), {}, nullptr});

        const std::size_t longest = std::max_element(shares.begin(), shares.end(), [](const share& a, const share& b) {
                                        return a.items.size() < b.items.size();
                                    })->items.size();
        for (std::size_t from = 0; from < longest; from += chunk) {
            // Write every node's chunk first...
            for (share& s : shares) {
                if (s.failure || from >= s.items.size()) continue;
                try {
                    if (!s.conn) s.conn = s.n->core->pool().get();
                    static constexpr std::string_view asking[] = {"ASKING"};
                    for (std::size_t k = from; k < std::min(from + chunk, s.items.size()); ++k) {
                        const batch_item& item = items[s.items[k].index];
                        if (s.items[k].asking) s.conn->append(asking);
                        s.conn->append(item.args, item.wire_bytes);
                    }
                    s.conn->flush();
                } catch (...) {
                    s.failure = std::current_exception();
                }
            }
            // ...then read them back, node by node.
            for (share& s : shares) {
                if (s.failure || from >= s.items.size()) continue;
                for (std::size_t k = from; k < std::min(from + chunk, s.items.size()); ++k) {
                    const pending& p = s.items[k];
                    const batch_item& item = items[p.index];
                    try {
                        const auto timeout = read_timeout_for(command_info_of(item.args), item.args,
                                                              s.n->core->settings().read_timeout);
                        if (p.asking) {
                            reply asked;
                            s.conn->read_reply(asked, timeout);
                        }
                        reply out;
                        s.conn->read_reply(out, timeout);
                        std::optional<redirect> to;
                        if (out.is_error()) to = parse_redirect(out.as_string(), p.target.host);
                        if (to && round < opts_.max_redirects) {
                            moved = moved || to->what == redirect::kind::moved;
                            todo.push_back({p.index, to->to, to->what == redirect::kind::ask});
                        } else {
                            replies[p.index] = std::move(out);
                        }
                        settled[p.index] = 1;
                    } catch (...) {
                        s.failure = std::current_exception();
                        break;
                    }
                }
            }
        }
        for (share& s : shares) {
            if (!s.failure) continue;
            // Every command of this share not answered yet fails with it (written ones may
            // have run). The lease, with replies left unread, closes its connection.
            for (const pending& p : s.items) {
                if (!settled[p.index]) failures[p.index] = s.failure;
            }
            refresh_soon();
        }
        shares.clear();  // the leases go back (or are closed) before the next round
        if (moved) refresh_soon();
    }

    for (std::size_t i : fanned_out) {
        try {
            replies[i] = run_routed(route_of(items[i].args), items[i].args, items[i].wire_bytes);
        } catch (...) {
            failures[i] = std::current_exception();
        }
    }
}

}  // namespace redpool::detail

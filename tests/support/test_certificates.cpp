#include "tests/support/test_certificates.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "tests/support/redis_server.hpp"

namespace redpool::test {
namespace {

void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("test certificates: failed: " + command);
}

// A P-256 key and a certificate signed by the CA in `dir`, with the extensions in `extensions`.
void make_signed(const std::string& dir, const std::string& name, const std::string& subject,
                 const std::string& extensions) {
    run(fmt::format("cd '{0}' && printf '{3}\\n' > {1}.ext && "
                    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {1}.key "
                    "-out {1}.csr -subj '{2}' 2>/dev/null && "
                    "openssl x509 -req -in {1}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out {1}.crt "
                    "-days 2 -extfile {1}.ext 2>/dev/null",
                    dir, name, subject, extensions));
}

test_certificates make_in(const std::string& dir) {
    run(fmt::format("mkdir -p '{}'", dir));
    for (const char* ca : {"ca", "other_ca"}) {
        run(fmt::format("cd '{0}' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                        "-keyout {1}.key -out {1}.crt -days 2 -subj '/CN=redpool test {1}' 2>/dev/null",
                        dir, ca));
    }
    make_signed(dir, "server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    make_signed(dir, "client", "/CN=redpool test client", "extendedKeyUsage=clientAuth");
    return {dir + "/ca.crt",     dir + "/other_ca.crt", dir + "/server.crt",
            dir + "/server.key", dir + "/client.crt",   dir + "/client.key"};
}

}  // namespace

std::vector<std::string> test_certificates::server_config(int tls_port, bool require_client_cert) const {
    return {fmt::format("tls-port {}", tls_port), "tls-cert-file " + server_cert_file,
            "tls-key-file " + server_key_file, "tls-ca-cert-file " + ca_file,
            fmt::format("tls-auth-clients {}", require_client_cert ? "yes" : "no")};
}

const test_certificates& make_test_certificates() {
    static const test_certificates made = make_in(fmt::format("{}/tls-{}", test_tmpdir(), ::getpid()));
    return made;
}

}  // namespace redpool::test

// Certificates for TLS tests, made at test time with the openssl command-line tool (nothing
// secret is checked in, and nothing expires between runs): a test CA, a server certificate for
// `localhost` and 127.0.0.1 signed by it, a client certificate signed by it, and a second CA
// that signed nothing here (the "wrong CA").
#pragma once

#include <string>
#include <vector>

namespace redpool::test {

struct test_certificates {
    std::string ca_file;           ///< the CA that signed the server and client certificates
    std::string other_ca_file;     ///< a CA that signed neither
    std::string server_cert_file;  ///< CN=localhost, SANs DNS:localhost and IP:127.0.0.1
    std::string server_key_file;
    std::string client_cert_file;  ///< for mutual TLS
    std::string client_key_file;

    /// redis.conf lines serving TLS on `tls_port` with these files; `require_client_cert`
    /// sets `tls-auth-clients yes` (mutual TLS).
    std::vector<std::string> server_config(int tls_port, bool require_client_cert) const;
};

/// Makes the files in a new directory under the test's temporary directory, once per test
/// binary (later calls return the same files). Throws std::runtime_error if openssl fails.
const test_certificates& make_test_certificates();

}  // namespace redpool::test

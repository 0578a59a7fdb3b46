// A scripted RESP server for what a real redis-server cannot be made to send: malformed or
// hostile replies, dripped bytes, unsolicited data. It accepts connections on a free loopback
// port; on each, it answers the dial's PING, waits for the next request, then writes its
// script (optionally in
// small chunks with a pause between them) and keeps the connection open until stopped.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

namespace redpool::test {

class fake_server {
public:
    struct script {
        std::string bytes;                  // what to send after the first command arrives
        std::size_t chunk = 0;              // send in pieces of this size; 0: all at once
        std::chrono::milliseconds gap{0};   // pause between pieces
        bool send_before_request = false;   // send at once on accept, unasked
        bool close_after = false;           // close the connection once the script is sent
        std::string handshake_reply = "+PONG\r\n";  // answer to the client's dial PING
    };

    explicit fake_server(script s);
    ~fake_server();
    fake_server(const fake_server&) = delete;
    fake_server& operator=(const fake_server&) = delete;

    int port() const { return port_; }

private:
    void serve();
    void serve_one(int client);
    void send_script(int client);
    bool await_request(int client);
    bool stopping(int timeout_ms) const;

    script script_;
    int listener_ = -1;
    int port_ = 0;
    int stop_pipe_[2] = {-1, -1};
    std::thread thread_;
};

}  // namespace redpool::test

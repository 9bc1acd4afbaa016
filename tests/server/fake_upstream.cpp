// fake_upstream: one io_context on one thread of its own; sessions are Beast do_x()/on_x(ec)
// pairs, each with a concurrent one-byte read that notices the client leaving at any time.
// The shared record is guarded by one mutex. Also the self-signed identity and the counting
// operator new (see fake_upstream.hpp).
#include "fake_upstream.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <netinet/in.h>
#include <new>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace palaver::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// ---- the record shared with the test thread ---------------------------------------------

struct record {
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<recorded_request> requests;
  std::size_t connections = 0;
  std::size_t client_closes = 0;

  void add_request(const http::request<http::string_body>& request) {
    recorded_request r;
    r.method = std::string(request.method_string());
    r.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      r.headers[name] = std::string(field.value());
    }
    r.body = request.body();
    std::lock_guard lock(mutex);
    requests.push_back(std::move(r));
    changed.notify_all();
  }
  void add_connection() {
    std::lock_guard lock(mutex);
    ++connections;
  }
  void add_client_close() {
    std::lock_guard lock(mutex);
    ++client_closes;
    changed.notify_all();
  }
};

// ---- one connection ---------------------------------------------------------------------

template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
 public:
  session(Stream stream, const fake_response& response, std::shared_ptr<record> rec)
      : stream_(std::move(stream)),
        response_(response),
        record_(std::move(rec)),
        timer_(stream_.get_executor()) {}

  void run() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      do_read_request();
    } else {
      stream_.async_handshake(ssl::stream_base::server,
                              beast::bind_front_handler(&session::on_handshake, self()));
    }
  }

 private:
  std::shared_ptr<session> self() { return this->shared_from_this(); }
  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  void on_handshake(beast::error_code ec) {
    if (ec) return;  // e.g. a client that refused the certificate
    do_read_request();
  }

  void do_read_request() {
    http::async_read(stream_, buffer_, request_,
                     beast::bind_front_handler(&session::on_read_request, self()));
  }

  void on_read_request(beast::error_code ec, std::size_t) {
    if (ec) return;
    record_->add_request(request_);
    do_watch();
    if (response_.send_headers) return do_write_header();
    if (response_.end == fake_response::ending::close) close();
  }

  // Reads whatever the client sends next; an end or an error means the client left.
  void do_watch() {
    stream_.async_read_some(asio::buffer(probe_),
                            beast::bind_front_handler(&session::on_watch, self()));
  }

  void on_watch(beast::error_code ec, std::size_t) {
    if (!ec) return do_watch();
    if (!closed_by_us_) record_->add_client_close();
    closed_ = true;
    timer_.cancel();
  }

  void do_write_header() {
    header_.result(response_.status);
    header_.version(11);
    header_.set(http::field::content_type, response_.content_type);
    switch (response_.body_framing) {
      case fake_response::framing::chunked:
        header_.chunked(true);
        break;
      case fake_response::framing::content_length: {
        std::size_t total = response_.missing_bytes;
        for (const auto& piece : response_.pieces)
          total += piece.size();
        header_.content_length(total);
        break;
      }
      case fake_response::framing::until_close:
        header_.keep_alive(false);
        break;
    }
    serializer_.emplace(header_);
    http::async_write_header(stream_, *serializer_,
                             beast::bind_front_handler(&session::on_write_header, self()));
  }

  void on_write_header(beast::error_code ec, std::size_t) {
    if (ec || closed_) return;
    do_write_piece();
  }

  void do_write_piece() {
    if (next_piece_ == response_.pieces.size()) return on_pieces_written();
    const std::string& piece = response_.pieces[next_piece_++];
    if (piece.empty()) return do_write_piece();  // an empty chunk would end a chunked body
    if (response_.body_framing == fake_response::framing::chunked) {
      asio::async_write(stream_, http::make_chunk(asio::buffer(piece)),
                        beast::bind_front_handler(&session::on_write_piece, self()));
    } else {
      asio::async_write(stream_, asio::buffer(piece),
                        beast::bind_front_handler(&session::on_write_piece, self()));
    }
  }

  void on_write_piece(beast::error_code ec, std::size_t) {
    if (ec || closed_) return;
    if (response_.gap.count() == 0 || next_piece_ == response_.pieces.size()) {
      return do_write_piece();
    }
    timer_.expires_after(response_.gap);
    timer_.async_wait(beast::bind_front_handler(&session::on_gap, self()));
  }

  void on_gap(beast::error_code ec) {
    if (ec || closed_) return;
    do_write_piece();
  }

  void on_pieces_written() {
    switch (response_.end) {
      case fake_response::ending::complete:
        if (response_.body_framing == fake_response::framing::chunked) {
          asio::async_write(stream_, http::make_chunk_last(),
                            beast::bind_front_handler(&session::on_write_last, self()));
        } else if (response_.body_framing == fake_response::framing::until_close) {
          close();
        }
        break;
      case fake_response::ending::close:
        close();
        break;
      case fake_response::ending::stall:
        break;
    }
  }

  void on_write_last(beast::error_code, std::size_t) {}

  void close() {
    closed_by_us_ = true;
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  Stream stream_;
  const fake_response& response_;
  std::shared_ptr<record> record_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::empty_body> header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::size_t next_piece_ = 0;
  char probe_[64];
  bool closed_ = false;
  bool closed_by_us_ = false;
};

}  // namespace

// ---- fake_upstream ----------------------------------------------------------------------

struct fake_upstream::impl {
  fake_response response;
  std::shared_ptr<record> rec = std::make_shared<record>();
  std::optional<ssl::context> tls;  // outlives the io_context: streams refer to it
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  void do_accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      rec->add_connection();
      socket.set_option(tcp::no_delay(true), ec);  // each piece goes out when written
      if (tls) {
        std::make_shared<session<ssl::stream<tcp::socket>>>(
            ssl::stream<tcp::socket>(std::move(socket), *tls), response, rec)
            ->run();
      } else {
        std::make_shared<session<tcp::socket>>(std::move(socket), response, rec)->run();
      }
      do_accept();
    });
  }
};

fake_upstream::fake_upstream(fake_response response, std::optional<tls_identity> identity)
    : impl_(std::make_unique<impl>()) {
  impl_->response = std::move(response);
  if (identity) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->use_certificate_chain(asio::buffer(identity->certificate_pem));
    impl_->tls->use_private_key(asio::buffer(identity->private_key_pem), ssl::context::pem);
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->do_accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

fake_upstream::~fake_upstream() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t fake_upstream::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string fake_upstream::base_url(std::string_view host) const {
  return std::string(impl_->tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(port()) + "/v1";
}

std::vector<recorded_request> fake_upstream::requests() const {
  std::lock_guard lock(impl_->rec->mutex);
  return impl_->rec->requests;
}

std::size_t fake_upstream::connections() const {
  std::lock_guard lock(impl_->rec->mutex);
  return impl_->rec->connections;
}

bool fake_upstream::wait_for_client_close(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->rec->mutex);
  return impl_->rec->changed.wait_for(lock, timeout, [&] { return impl_->rec->client_closes > 0; });
}

// ---- refused_port -----------------------------------------------------------------------

refused_port::refused_port() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("refused_port: cannot bind 127.0.0.1:0");
  }
  port_ = ntohs(address.sin_port);
}

refused_port::~refused_port() {
  if (fd_ >= 0) ::close(fd_);
}

// ---- a self-signed identity -------------------------------------------------------------

tls_identity make_self_signed_identity(std::string_view dns_name) {
  auto fail = [](const char* what) { throw std::runtime_error(what); };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) fail("EVP_EC_gen");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  const std::string name(dns_name);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::string san = "DNS:" + name;
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) fail("X509V3_EXT_conf_nid");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("X509_sign");

  auto to_pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  tls_identity identity;
  identity.certificate_pem = to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert.get()); });
  identity.private_key_pem = to_pem([&](BIO* bio) {
    PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return identity;
}

}  // namespace palaver::test

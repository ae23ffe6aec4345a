#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace quiver::server {
namespace {

arrow::Result<std::string> ReadPemFile(const std::string& setting, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return arrow::Status::IOError("cannot read ", setting, " '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "not valid PEM";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
}

}  // namespace

arrow::Status ApplyTls(const TlsConfig& tls, arrow::flight::FlightServerOptions* options) {
  if (!tls.enabled) return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto cert_pem, ReadPemFile("tls.cert_file", tls.cert_file));
  ARROW_ASSIGN_OR_RAISE(auto key_pem, ReadPemFile("tls.key_file", tls.key_file));

  X509Ptr cert(PEM_read_bio_X509(MemoryBio(cert_pem).get(), nullptr, nullptr, nullptr),
               &X509_free);
  if (!cert) {
    return arrow::Status::Invalid("tls.cert_file '", tls.cert_file,
                                  "' holds no certificate: ", OpenSslError());
  }
  KeyPtr key(PEM_read_bio_PrivateKey(MemoryBio(key_pem).get(), nullptr, nullptr, nullptr),
             &EVP_PKEY_free);
  if (!key) {
    return arrow::Status::Invalid("tls.key_file '", tls.key_file,
                                  "' holds no private key: ", OpenSslError());
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return arrow::Status::Invalid("tls.key_file '", tls.key_file,
                                  "' does not belong to the certificate in tls.cert_file '",
                                  tls.cert_file, "'");
  }
  options->tls_certificates.push_back({cert_pem, key_pem});

  if (!tls.client_ca_file.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto ca_pem, ReadPemFile("tls.client_ca_file", tls.client_ca_file));
    X509Ptr ca(PEM_read_bio_X509(MemoryBio(ca_pem).get(), nullptr, nullptr, nullptr), &X509_free);
    if (!ca) {
      return arrow::Status::Invalid("tls.client_ca_file '", tls.client_ca_file,
                                    "' holds no certificate: ", OpenSslError());
    }
    options->verify_client = true;
    options->root_certificates = ca_pem;
  }
  return arrow::Status::OK();
}

}  // namespace quiver::server

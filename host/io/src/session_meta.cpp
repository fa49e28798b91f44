#include "rollrig/io/session_meta.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>
#include <utility>

#include "rollrig/core/calibration_json.h"
#include "rollrig/io/calibration_store.h"

namespace rollrig::io {

namespace {

using json = nlohmann::ordered_json;  // keeps the documented key order

constexpr char kFormatName[] = "rollrig session metadata";

std::string hex(uint32_t v) {
  return core::serialHex(v);
}

template <typename T>
T numberOr(const json& j, const char* key, T fallback) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number()) return fallback;
  const json& v = j.at(key);
  if constexpr (std::is_floating_point_v<T>) {
    return v.get<T>();
  } else {
    // A whole number in T's range, else the fallback, as for a missing key: converting anything
    // else (-1 or 1e300 for a count) would be undefined (found by fuzzing). The bounds are exact
    // in a double: T's lowest and max + 1 are powers of two or small.
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max()) + 1.0;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      return u <= static_cast<uint64_t>(std::numeric_limits<T>::max()) ? static_cast<T>(u)
                                                                       : fallback;
    }
    if (v.is_number_integer()) {
      const int64_t i = v.get<int64_t>();
      return static_cast<double>(i) >= lo && static_cast<double>(i) < hi ? static_cast<T>(i)
                                                                         : fallback;
    }
    const double d = v.get<double>();
    return d >= lo && d < hi && d == std::floor(d) ? static_cast<T>(d) : fallback;
  }
}

std::string stringOr(const json& j, const char* key, const std::string& fallback) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_string()) return fallback;
  return j.at(key).get<std::string>();
}

// Every decoder counter under its sidecar name (docs/CSV_FORMAT.md), in the documented order; the
// one list both writing and reading use.
using DecoderCounter = uint64_t core::DecoderStats::*;
constexpr std::pair<const char*, DecoderCounter> kDecoderCounters[] = {
    {"bytes", &core::DecoderStats::bytes},
    {"frames_ok", &core::DecoderStats::frames_ok},
    {"samples", &core::DecoderStats::samples},
    {"crc_errors", &core::DecoderStats::crc_errors},
    {"malformed", &core::DecoderStats::malformed},
    {"oversized", &core::DecoderStats::oversized},
    {"unknown_types", &core::DecoderStats::unknown_types},
    {"seq_gaps", &core::DecoderStats::seq_gaps},
    {"frames_lost", &core::DecoderStats::frames_lost},
    {"duplicates", &core::DecoderStats::duplicates},
    {"out_of_order", &core::DecoderStats::out_of_order},
    {"time_wraps", &core::DecoderStats::time_wraps},
    {"device_resets", &core::DecoderStats::device_resets},
    {"wrong_channel_count", &core::DecoderStats::wrong_channel_count},
    {"implausible", &core::DecoderStats::implausible},
};
static_assert(sizeof(kDecoderCounters) / sizeof(kDecoderCounters[0]) * sizeof(uint64_t) ==
                  sizeof(core::DecoderStats),
              "a DecoderStats counter is missing from the sidecar: add it to kDecoderCounters and "
              "to docs/CSV_FORMAT.md");

// Room kept beyond the end of a sidecar written at the start of a recording: the final version
// (row count, stop reason, re-zeros) is a little longer and must fit even on a full disk.
constexpr size_t kReserveBytes = 16 * 1024;

bool writeAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Allocates blocks up to `bytes` without changing the file's size (best effort: not every file
// system can).
void reserve(const std::string& path, size_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
#ifdef FALLOC_FL_KEEP_SIZE
  (void)::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes));
#else
  (void)bytes;
#endif
  ::close(fd);
}

// Overwrites an existing file from the start and cuts it to the new length. Uses the file's own
// (and reserved) blocks, so it works when no new file can be created.
bool rewriteInPlace(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = writeAll(fd, text) && ::ftruncate(fd, static_cast<off_t>(text.size())) == 0;
  if (::close(fd) != 0) ok = false;
  return ok;
}

}  // namespace

std::string sessionMetaPath(const std::string& csv_path) {
  return csv_path + ".meta.json";
}

std::string isoUtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

bool writeSessionMeta(const std::string& path, const SessionMeta& m, IoError* err) {
  json device = {
      {"source", m.source},
      {"serial", hex(m.info.device_serial)},
      {"firmware", std::to_string(m.info.fw_major) + "." + std::to_string(m.info.fw_minor) + "." +
                       std::to_string(m.info.fw_patch)},
      {"build_id", hex(m.info.build_id)},
      {"protocol", std::to_string(m.info.proto_major) + "." + std::to_string(m.info.proto_minor)},
      {"channels", m.info.channel_count},
      {"rate_hz", m.info.rate_hz},
      {"reset_cause", m.info.reset_cause},
      {"status_flags", m.info.status_flags}};
  json rezeros = json::array();
  for (const core::ReZero& z : m.rezeros) {
    rezeros.push_back({{"time_s", static_cast<double>(z.t_us - m.t0_us) / 1e6},
                       {"samples", z.samples},
                       {"change_counts", z.change_counts},
                       {"change_N", z.change_n}});
  }
  json decoder = json::object();
  for (const auto& [name, counter] : kDecoderCounters) decoder[name] = m.stats.*counter;
  json j;
  j["format"] = kFormatName;
  j["version"] = kSessionMetaFormatVersion;
  j["csv"] = m.csv_file;
  j["started"] = m.started;
  j["device"] = device;
  j["calibration"] = json::parse(core::calibrationToJson(m.calibration));
  j["auto_zero"] = {{"enabled", m.auto_zero},
                    {"max_load_N", m.auto_zero_options.max_load_n},
                    {"settle_s", m.auto_zero_options.settle_s},
                    {"steady_s", m.auto_zero_options.steady_s},
                    {"max_sd_N", m.auto_zero_options.max_sd_n},
                    {"min_change_N", m.auto_zero_options.min_change_n},
                    {"rezeros", rezeros}};
  j["decoder"] = decoder;
  j["recording"] = {{"rows", m.rows},
                    {"duration_s", m.duration_s},
                    {"stop_reason", m.stop_reason.empty() ? json() : json(m.stop_reason)}};

  const std::string text = j.dump(2) + "\n";
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int e = 0;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    e = errno;
  } else {
    if (!writeAll(fd, text)) e = errno;
    if (::close(fd) != 0 && e == 0) e = errno;
    if (e == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) e = errno;
    if (e != 0) ::unlink(tmp.c_str());
  }
  if (e == 0) {
    // While recording, keep room beyond the end for the final version (see rewriteInPlace).
    if (m.stop_reason.empty()) reserve(path, text.size() + kReserveBytes);
    return true;
  }
  // No room for a second copy (disk full), or the directory refuses new files: overwrite the
  // existing sidecar where it stands, so the final row count still lands next to the rows.
  if (rewriteInPlace(path, text)) return true;
  *err = makeError(IoErrorKind::kSystem,
                   "cannot write the session metadata " + path + ": " + std::strerror(e), e);
  return false;
}

bool readSessionMeta(const std::string& path, SessionMeta* out, IoError* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    *err = makeError(e == ENOENT ? IoErrorKind::kNotFound : IoErrorKind::kSystem,
                     "cannot read the session metadata " + path + ": " + std::strerror(e), e);
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number overflow
    *err = makeError(IoErrorKind::kMalformed, path + " is not valid JSON: " + e.what());
    return false;
  }
  if (!j.is_object() || stringOr(j, "format", "") != kFormatName) {
    *err = makeError(IoErrorKind::kMalformed,
                     path + ": not a rollrig session sidecar (no \"format\": \"" +
                         std::string(kFormatName) + "\")");
    return false;
  }
  SessionMeta m;
  m.csv_file = stringOr(j, "csv", "");
  m.started = stringOr(j, "started", "");
  if (j.contains("device") && j.at("device").is_object()) {
    const json& d = j.at("device");
    m.source = stringOr(d, "source", "");
    const std::string serial = stringOr(d, "serial", "0");
    m.info.device_serial = static_cast<uint32_t>(std::strtoul(serial.c_str(), nullptr, 16));
    m.info.build_id =
        static_cast<uint32_t>(std::strtoul(stringOr(d, "build_id", "0").c_str(), nullptr, 16));
    unsigned a = 0, b = 0, c = 0;
    if (std::sscanf(stringOr(d, "firmware", "").c_str(), "%u.%u.%u", &a, &b, &c) == 3) {
      m.info.fw_major = static_cast<uint8_t>(a);
      m.info.fw_minor = static_cast<uint8_t>(b);
      m.info.fw_patch = static_cast<uint8_t>(c);
    }
    if (std::sscanf(stringOr(d, "protocol", "").c_str(), "%u.%u", &a, &b) == 2) {
      m.info.proto_major = static_cast<uint8_t>(a);
      m.info.proto_minor = static_cast<uint8_t>(b);
    }
    m.info.channel_count = numberOr<uint8_t>(d, "channels", 0);
    m.info.rate_hz = numberOr<uint16_t>(d, "rate_hz", 0);
  }
  if (j.contains("calibration")) {
    std::string why;
    if (!core::calibrationFromJson(j.at("calibration").dump(), path + " (calibration)",
                                   &m.calibration, &why)) {
      *err = makeError(IoErrorKind::kMalformed, why);
      return false;
    }
  }
  if (j.contains("auto_zero") && j.at("auto_zero").is_object()) {
    const json& a = j.at("auto_zero");
    m.auto_zero =
        a.contains("enabled") && a.at("enabled").is_boolean() && a.at("enabled").get<bool>();
    if (a.contains("rezeros") && a.at("rezeros").is_array()) {
      for (const json& z : a.at("rezeros")) {
        core::ReZero r;
        r.t_us = static_cast<uint64_t>(std::llround(numberOr<double>(z, "time_s", 0) * 1e6));
        r.samples = numberOr<size_t>(z, "samples", 0);
        if (z.contains("change_counts") && z.at("change_counts").is_array() &&
            z.at("change_counts").size() == static_cast<size_t>(core::kCellCount)) {
          for (int i = 0; i < core::kCellCount; ++i) {
            const json& v = z.at("change_counts")[i];
            r.change_counts[i] = v.is_number() ? v.get<double>() : 0.0;
          }
        }
        m.rezeros.push_back(r);
      }
    }
  }
  if (j.contains("decoder") && j.at("decoder").is_object()) {
    for (const auto& [name, counter] : kDecoderCounters)
      m.stats.*counter = numberOr<uint64_t>(j.at("decoder"), name, 0);
  }
  if (j.contains("recording") && j.at("recording").is_object()) {
    const json& r = j.at("recording");
    m.rows = numberOr<uint64_t>(r, "rows", 0);
    m.duration_s = numberOr<double>(r, "duration_s", 0);
    m.stop_reason = stringOr(r, "stop_reason", "");
  }
  *out = std::move(m);
  return true;
}

}  // namespace rollrig::io

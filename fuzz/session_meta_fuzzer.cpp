// Fuzz target: a recording's sidecar, FILE.csv.meta.json (host/io session_meta.h), which
// `rollrig calibrate --from` and the library's import read. The input is the file's text; it is
// read from a file in a scratch directory (on /dev/shm when there is one), as rollrig reads it.
//
// Invariants, beyond "no crash, no sanitizer report, no exception (errors are values)":
//  - a refusal is a kMalformed error that names the file;
//  - what it accepts, it writes back (writeSessionMeta) as a sidecar that reads again, and writing
//    that once more gives the same text: nothing re-processing needs is lost or changed.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz_check.h"
#include "rollrig/io/session_meta.h"

namespace {

namespace fs = std::filesystem;

const fs::path& scratch() {
  static const fs::path dir = [] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path d = base / ("rollrig-fuzz-session-meta-" + std::to_string(getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path input = scratch() / "input.csv.meta.json";
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  rollrig::io::SessionMeta meta;
  rollrig::io::IoError err;
  if (!rollrig::io::readSessionMeta(input.string(), &meta, &err)) {
    FUZZ_CHECK(err.kind == rollrig::io::IoErrorKind::kMalformed, "refused with kind %d: %s",
               static_cast<int>(err.kind), err.message.c_str());
    FUZZ_CHECK(err.message.find(input.string()) != std::string::npos,
               "the message does not name the file: %s", err.message.c_str());
    return 0;
  }
  const fs::path first = scratch() / "first.csv.meta.json";
  const fs::path second = scratch() / "second.csv.meta.json";
  FUZZ_CHECK(rollrig::io::writeSessionMeta(first.string(), meta, &err), "cannot write it back: %s",
             err.message.c_str());
  rollrig::io::SessionMeta again;
  FUZZ_CHECK(rollrig::io::readSessionMeta(first.string(), &again, &err),
             "a sidecar it read, written back, does not read: %s\n%s", err.message.c_str(),
             slurp(first).c_str());
  FUZZ_CHECK(rollrig::io::writeSessionMeta(second.string(), again, &err),
             "cannot write it back again: %s", err.message.c_str());
  const std::string a = slurp(first), b = slurp(second);
  FUZZ_CHECK(a == b, "the round trip changed the sidecar:\n%s\n--- became ---\n%s", a.c_str(),
             b.c_str());
  return 0;
}

// resident_memory.h: giving back the clean pages of a library's read-only mappings, and never a
// page the process changed.
#include "resident_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using rollrig::gui::cleanReadOnlyMappings;
using rollrig::gui::MappingRange;
using rollrig::gui::releaseCleanLibraryPages;

namespace {

std::string readSmaps() {
  std::ifstream in("/proc/self/smaps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The resident bytes of this process's mappings of `path_part`, clean read-only or not.
size_t residentBytes(const std::string& path_part) {
  std::istringstream in(readSmaps());
  std::string line;
  bool in_it = false;
  size_t rss = 0;
  while (std::getline(in, line)) {
    unsigned long long a = 0, b = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx ", &a, &b) == 2 && line.find(' ') < 40)
      in_it = line.find(path_part) != std::string::npos;
    else if (in_it && line.rfind("Rss:", 0) == 0)
      rss += std::stoull(line.substr(4)) * 1024;
  }
  return rss;
}

// A file of `bytes` with a pattern, mapped private; removed with the fixture.
class MappedFile : public ::testing::Test {
 protected:
  void SetUp() override {
    m_path = std::filesystem::temp_directory_path() /
             ("rollrig-resident-memory-" + std::to_string(getpid()) + ".bin");
    std::vector<unsigned char> data(kBytes);
    for (size_t i = 0; i < kBytes; ++i) data[i] = static_cast<unsigned char>(i * 131 + i / 4096);
    std::ofstream(m_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), kBytes);
    m_expected = data;
    // Written back, so its page-cache pages are clean as an installed library's are.
    const int fd = open(m_path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(fsync(fd), 0);
    close(fd);
  }
  void TearDown() override {
    if (m_map) munmap(m_map, kBytes);
    std::filesystem::remove(m_path);
  }
  unsigned char* map(int prot) {
    const int fd = open(m_path.c_str(), O_RDONLY);
    EXPECT_GE(fd, 0);
    void* p = mmap(nullptr, kBytes, prot, MAP_PRIVATE, fd, 0);
    close(fd);
    EXPECT_NE(p, MAP_FAILED);
    m_map = static_cast<unsigned char*>(p);
    return m_map;
  }
  static unsigned touch(const unsigned char* p) {
    unsigned sum = 0;
    for (size_t i = 0; i < kBytes; i += 4096)
      sum += *static_cast<const volatile unsigned char*>(p + i);
    return sum;
  }
  static constexpr size_t kBytes = 2 << 20;
  std::filesystem::path m_path;
  std::vector<unsigned char> m_expected;
  unsigned char* m_map = nullptr;
};

}  // namespace

TEST(ResidentMemory, PicksOnlyCleanReadOnlyFileMappingsOfTheLibrary) {
  const std::string smaps =
      "7f0000000000-7f0000100000 r-xp 00000000 fd:01 42                         "
      "/usr/lib/libLLVM-15.so.1\n"
      "Size:               1024 kB\nRss:                 512 kB\nPrivate_Dirty:         0 kB\n"
      "Anonymous:             0 kB\n"
      // RELRO: read-only now, but relocated (private dirty, anonymous): never released.
      "7f0000100000-7f0000180000 r--p 00100000 fd:01 42                         "
      "/usr/lib/libLLVM-15.so.1\n"
      "Rss:                 512 kB\nPrivate_Dirty:       512 kB\nAnonymous:           512 kB\n"
      "7f0000180000-7f0000190000 rw-p 00180000 fd:01 42                         "
      "/usr/lib/libLLVM-15.so.1\n"
      "Rss:                  64 kB\nPrivate_Dirty:         0 kB\nAnonymous:             0 kB\n"
      "7f0000190000-7f00001a0000 r--p 00000000 fd:01 43                         "
      "/usr/lib/libc.so.6\n"
      "Rss:                  64 kB\nPrivate_Dirty:         0 kB\n"
      "7f00001a0000-7f00001b0000 r--p 00000000 00:00 0 \n"  // anonymous, no file
      "Rss:                  64 kB\n"
      "7f00001b0000-7f00001c0000 r--p 00190000 fd:01 42                         "
      "/usr/lib/libLLVM-15.so.1\n"
      "Rss:                  64 kB\nPrivate_Clean:        64 kB\nPrivate_Dirty:         0 kB\n";
  const std::vector<MappingRange> m = cleanReadOnlyMappings(smaps, "libLLVM");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].begin, 0x7f0000000000u);
  EXPECT_EQ(m[0].end, 0x7f0000100000u);
  EXPECT_EQ(m[0].rss_bytes, 512u * 1024);
  EXPECT_EQ(m[1].begin, 0x7f00001b0000u);
  EXPECT_TRUE(cleanReadOnlyMappings(smaps, "libnothing").empty());
  EXPECT_TRUE(cleanReadOnlyMappings(smaps, "").empty());
}

TEST_F(MappedFile, ReleasesAReadOnlyMappingsPagesAndItStillReadsTheSame) {
  const unsigned char* p = map(PROT_READ);
  touch(p);
  const std::string name = m_path.filename().string();
  ASSERT_GE(residentBytes(name), kBytes / 2);
  const auto r = releaseCleanLibraryPages(name);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.mappings, 1u);
  EXPECT_GE(r.rss_bytes, kBytes / 2);
  EXPECT_EQ(residentBytes(name), 0u);
  // The pages come back from the file on the next touch, unchanged.
  EXPECT_EQ(std::memcmp(p, m_expected.data(), kBytes), 0);
  EXPECT_GE(residentBytes(name), kBytes / 2);
}

TEST_F(MappedFile, NeverReleasesAPrivateMappingTheProcessChanged) {
  unsigned char* p = map(PROT_READ | PROT_WRITE);
  p[4096 * 3] ^= 0xFF;  // a private (copy-on-write) change, as a relocation is
  touch(p);
  ASSERT_EQ(mprotect(p, kBytes, PROT_READ), 0);  // read-only again, as RELRO is
  const std::string name = m_path.filename().string();
  const auto r = releaseCleanLibraryPages(name);
  EXPECT_EQ(r.mappings, 0u);
  EXPECT_GE(residentBytes(name), kBytes / 2);
  EXPECT_EQ(p[4096 * 3], static_cast<unsigned char>(m_expected[4096 * 3] ^ 0xFF));  // kept
}

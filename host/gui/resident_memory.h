// Giving back resident memory that a shared library no longer needs (docs/GUI.md "Measured").
//
// Why: under Mesa's llvmpipe (software OpenGL), libLLVM is the largest part of rollrig-gui's
// resident set. Loading it runs static initialisers all over its 100 MB of code, and compiling
// the few shaders ImGui needs touches more: about 47 MB of LLVM code stays resident for the
// whole session although, once the shaders are compiled, nothing runs it again. Those pages are
// clean, read-only copies of the library file (the page cache keeps them); dropping them from the
// process (madvise MADV_DONTNEED) costs nothing but a minor fault if LLVM runs again (a new
// shader variant), when the kernel maps them back from the page cache.
//
// Only mappings that are file-backed, not writable, and hold no private (modified) page are
// touched: never a relocated table (RELRO), data, or anything a debugger patched.
//
// Thread safety: releaseCleanLibraryPages() may run while other threads execute the library's
// code (they fault the pages back in); call it from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rollrig::gui {

struct MappingRange {
  uintptr_t begin = 0, end = 0;  // [begin, end), page-aligned
  size_t rss_bytes = 0;          // resident when the smaps text was read
};

// From the text of /proc/<pid>/smaps: the mappings whose path contains `path_part`, that are
// not writable, and have no private dirty and no anonymous pages.
std::vector<MappingRange> cleanReadOnlyMappings(const std::string& smaps_text,
                                                std::string_view path_part);

struct ReleasedPages {
  size_t mappings = 0;   // mappings released
  size_t rss_bytes = 0;  // what they had resident before
  std::string error;     // empty, or why nothing was released (/proc unreadable, madvise failed)
};

// Drops the resident pages of this process's clean read-only mappings of files whose path
// contains `path_part` (e.g. "libLLVM"). Linux only; elsewhere it reports an error and does
// nothing.
ReleasedPages releaseCleanLibraryPages(std::string_view path_part);

}  // namespace rollrig::gui

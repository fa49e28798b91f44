// Opening a CSV the user named (`analyze FILE`, `calibrate --from FILE`) and reporting what the
// session CSV reader (core/session_csv_reader.h) made of it, the same way in every subcommand:
// a message that says what happened and what to do, the first rows skipped by line, and how many
// more. Messages go to stderr, prefixed with the subcommand ("rollrig analyze: ").
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

namespace rollrig::cli {

// "it holds a.csv, b.csv": what a directory given as the file holds, to suggest a file in it.
inline std::string csvFilesIn(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".csv") names.push_back(e.path().filename().string());
  }
  if (names.empty()) return "it holds no .csv file";
  std::sort(names.begin(), names.end());
  std::string out = "it holds ";
  for (size_t i = 0; i < names.size() && i < 3; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 3) out += " and " + std::to_string(names.size() - 3) + " more";
  return out;
}

// Opens `path` for reading. False with *why (a complete sentence) when it is a directory, does not
// exist, or cannot be read.
inline bool openInputFile(const std::string& path, std::ifstream& in, std::string* why) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *why = path + " is a directory, not a file; give the path of a session CSV in it (" +
           csvFilesIn(path) + ")";
    return false;
  }
  in.open(path, std::ios::binary);
  if (in) return true;
  const int e = errno;
  if (e == ENOENT)
    *why = path + " does not exist; check the path (a session CSV that `rollrig record --out` " +
           "wrote)";
  else if (e == EACCES)
    *why = "cannot read " + path + ": permission denied; check the file's permissions (ls -l)";
  else
    *why = "cannot open " + path + ": " + std::strerror(e);
  return false;
}

// The first skipped rows (each naming its line), then how many more.
inline void printSkippedRows(const char* me, const std::string& path,
                             const std::vector<std::string>& warnings, size_t omitted) {
  for (const auto& w : warnings) std::cerr << me << path << ": " << w << "\n";
  if (omitted) std::cerr << me << path << ": ... and " << omitted << " more rows skipped\n";
}

}  // namespace rollrig::cli

// Child processes and pseudo-terminals for the CLI tests, the kill trials and the pty rigs: one
// fork/exec with its output to a log, and one raw, non-blocking pty pair.
#pragma once

#include <fcntl.h>
#include <pty.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace rollrig::testing {

// `bin <args>` started in the background: stdin is /dev/null unless `stdin_fd` is given; stdout
// and stderr go to `log_path` (truncated); `env` is added to the environment; `nice_value`, unless
// kInheritNice, is the child's nice value (lowering it needs root). Returns the pid (or -1).
inline constexpr int kInheritNice = -100;
inline pid_t spawnLogged(const std::string& bin, const std::vector<std::string>& args,
                         const std::string& log_path,
                         const std::vector<std::pair<std::string, std::string>>& env = {},
                         int stdin_fd = -1, int nice_value = kInheritNice) {
  std::vector<std::string> argv_text{bin};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  if (nice_value != kInheritNice) setpriority(PRIO_PROCESS, 0, nice_value);
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  const int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
  const int out = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) _exit(127);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  execv(bin.c_str(), argv.data());
  _exit(127);
}

// A pty pair in raw mode, the master non-blocking: a serial port as rollrig opens it. Returns the
// slave's path ("" when openpty failed, with both fds left at -1).
inline std::string openRawPty(int* master, int* slave) {
  char name[256];
  if (openpty(master, slave, name, nullptr, nullptr) != 0) {
    *master = *slave = -1;
    return "";
  }
  termios tio{};
  tcgetattr(*slave, &tio);
  cfmakeraw(&tio);
  tcsetattr(*slave, TCSANOW, &tio);
  fcntl(*master, F_SETFL, fcntl(*master, F_GETFL) | O_NONBLOCK);
  return name;
}

}  // namespace rollrig::testing

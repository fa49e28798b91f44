#include "twin_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

namespace rollrig::gui {

namespace fs = std::filesystem;

TwinPaths findTwin(const std::string& exe_dir) {
  TwinPaths p;
  std::error_code ec;
  fs::path dir = exe_dir;
  if (dir.empty()) dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec || dir.empty()) {
    p.missing = "cannot find rollrig-gui's own directory (/proc/self/exe)";
    return p;
  }
  p.twin_exe = (dir / "rollrig-twin").string();
  p.firmware_elf = (dir.parent_path() / "firmware" / "rollrig.elf").lexically_normal().string();
  if (::access(p.twin_exe.c_str(), X_OK) != 0)
    p.missing = "no rollrig-twin next to rollrig-gui (" + p.twin_exe +
                "): build it with cmake --build build -t rollrig-twin (needs simavr)";
  else if (!fs::exists(p.firmware_elf, ec))
    p.missing = "no firmware ELF at " + p.firmware_elf +
                ": build it with cmake --build build -t firmware (needs gcc-avr)";
  return p;
}

std::vector<std::string> twinCommand(const TwinPaths& paths, int seed) {
  return {paths.twin_exe, "--firmware", paths.firmware_elf, "--seed", std::to_string(seed), "-q"};
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::start(const std::vector<std::string>& argv) {
  stop();
  m_out_buf.clear(), m_err_buf.clear(), m_first_line.clear(), m_error.clear();
  if (argv.empty()) {
    m_error = "nothing to start";
    return false;
  }
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    m_error = std::string("cannot make a pipe: ") + std::strerror(errno);
    return false;
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    m_error = std::string("cannot make a pipe: ") + std::strerror(errno);
    ::close(out[0]), ::close(out[1]);
    return false;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    m_error = std::string("cannot start a process: ") + std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    return false;
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the app died: the twin goes too
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execv(args[0], args.data());
    const char msg[] = "cannot run the program\n";
    (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(out[1]), ::close(err[1]);
  m_out = out[0], m_err = err[0];
  ::fcntl(m_out, F_SETFL, O_NONBLOCK);
  ::fcntl(m_err, F_SETFL, O_NONBLOCK);
  m_pid = pid;
  m_state = State::kStarting;
  return true;
}

ChildProcess::State ChildProcess::poll() {
  if (m_pid < 0) return m_state;
  const auto drain = [](int& fd, std::string& buf) {
    if (fd < 0) return;
    char b[4096];
    for (;;) {
      const ssize_t n = ::read(fd, b, sizeof(b));
      if (n > 0) {
        if (buf.size() < 65536) buf.append(b, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) ::close(fd), fd = -1;  // end of file
      return;                            // EAGAIN or an error: later
    }
  };
  drain(m_out, m_out_buf);
  drain(m_err, m_err_buf);
  if (m_state == State::kStarting) {
    const size_t nl = m_out_buf.find('\n');
    if (nl != std::string::npos) {
      m_first_line = m_out_buf.substr(0, nl);
      m_state = State::kReady;
    }
  }
  int status = 0;
  if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
    drain(m_out, m_out_buf);
    drain(m_err, m_err_buf);
    std::string why = WIFEXITED(status) ? "exited with code " + std::to_string(WEXITSTATUS(status))
                      : WIFSIGNALED(status)
                          ? std::string("was killed by signal ") + std::to_string(WTERMSIG(status))
                          : "ended";
    while (!m_err_buf.empty() && (m_err_buf.back() == '\n' || m_err_buf.back() == '\r'))
      m_err_buf.pop_back();
    if (!m_err_buf.empty()) why += ": " + m_err_buf.substr(m_err_buf.rfind('\n') + 1);
    m_error = why;
    m_pid = -1;
    m_state = State::kExited;
    closePipes();
  }
  return m_state;
}

void ChildProcess::stop(int grace_ms) {
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    int status = 0;
    bool reaped = false;
    for (int waited = 0; waited <= grace_ms; waited += 10) {
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reaped) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, &status, 0);
    }
    m_pid = -1;
    if (m_state != State::kIdle) m_state = State::kExited;
    if (m_error.empty()) m_error = "stopped";
  }
  closePipes();
}

void ChildProcess::closePipes() {
  if (m_out >= 0) ::close(m_out), m_out = -1;
  if (m_err >= 0) ::close(m_err), m_err = -1;
}

}  // namespace rollrig::gui

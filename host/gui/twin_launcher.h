// The connection bar's "firmware twin" entry: starts rollrig-twin (the real firmware in simavr,
// host/twin) as a child process, reads the pty it announces on its first line of stdout, and hands
// that path to the bar, which connects to it as to any serial port. The child is stopped when the
// session it feeds stops, when a new one is picked, and when the app exits (and, should the app
// die, by the kernel: PR_SET_PDEATHSIG).
//
// Where things are: rollrig-twin next to the running executable (/proc/self/exe's directory,
// build/bin), the firmware ELF as scripts/demo finds it, `<that
// directory>/../firmware/rollrig.elf`. A missing one is reported as state with what to build, never
// as a modal.
//
// Nothing here blocks: poll() reads what the child wrote so far (non-blocking pipes) and reaps it
// once it exited. UI thread only; not copyable (owns the child).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rollrig::gui {

struct TwinPaths {
  std::string twin_exe;      // rollrig-twin
  std::string firmware_elf;  // rollrig.elf
  std::string missing;       // "" or what is missing and how to get it
};
// Looks for both relative to `exe_dir` (the directory of rollrig-gui; "" = /proc/self/exe's).
TwinPaths findTwin(const std::string& exe_dir = "");

class ChildProcess {
 public:
  enum class State { kIdle, kStarting, kReady, kExited };

  ChildProcess() = default;
  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] (a path) with argv; its stdout and stderr are read by poll(). False with
  // error() when it could not even be started (a child that fails later shows up as kExited).
  bool start(const std::vector<std::string>& argv);
  // Reads what the child wrote; kStarting until its first stdout line (announced()), kExited once
  // it ended (error() then says why, with what it wrote on stderr).
  State poll();
  // SIGTERM, then SIGKILL if it has not ended within `grace_ms`; reaps it. Idempotent.
  void stop(int grace_ms = 2000);

  State state() const { return m_state; }
  const std::string& announced() const { return m_first_line; }  // the first stdout line
  const std::string& error() const { return m_error; }
  pid_t pid() const { return m_pid; }

 private:
  void closePipes();
  pid_t m_pid = -1;
  int m_out = -1, m_err = -1;
  std::string m_out_buf, m_err_buf, m_first_line, m_error;
  State m_state = State::kIdle;
};

// The firmware twin: ChildProcess running `rollrig-twin --firmware ELF --seed N -q`.
std::vector<std::string> twinCommand(const TwinPaths& paths, int seed);

}  // namespace rollrig::gui

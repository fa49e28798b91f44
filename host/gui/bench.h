// `rollrig-gui --bench SECONDS` / `--bench-idle SECONDS`: what the window costs the machine. The
// app runs for SECONDS of wall time (the virtual rig in real time, or nothing connected), then
// measureBench() reads the process's own figures (getrusage: user + sys CPU of every thread,
// peak RSS) and formatBench() prints them as one line, or as one JSON object.
//
// Figures only: nothing here judges them (the goals are in docs/GUI.md), so a slow machine gives
// slow figures, not a failure. Not thread-safe with itself; call once, at the end of the run.
#pragma once

#include <cstdint>
#include <string>

namespace rollrig::gui {

struct BenchFigures {
  bool idle = false;       // nothing connected (else the virtual rig in real time)
  double wall_s = 0;       // wall time the frame loop ran
  double device_s = 0;     // the session's device time (0 idle)
  uint64_t frames = 0;     // frames drawn (buffer swaps)
  double fps = 0;          // frames / wall_s
  double user_s = 0;       // CPU time of the whole process since it started, user mode
  double sys_s = 0;        //   ... and kernel mode
  double cpu_s = 0;        // user_s + sys_s
  double peak_rss_mb = 0;  // ru_maxrss in MiB (2^20 bytes)
};

// Reads getrusage(RUSAGE_SELF) now and fills the figures around the caller's counts.
BenchFigures measureBench(bool idle, double wall_s, uint64_t frames, double device_s);

// The process's resident memory now, from /proc/self/status (Linux): VmHWM is the peak resident
// set since start (what issue 11's "under 100 MB after two hours" is measured by), VmRSS the
// resident set now. Zero when /proc cannot be read.
struct MemoryFigures {
  double peak_rss_mb = 0;  // VmHWM in MiB
  double rss_mb = 0;       // VmRSS in MiB
};
MemoryFigures measureMemory();
// Parses the text of a /proc/<pid>/status file (split out to be testable).
MemoryFigures parseProcStatus(const std::string& status_text);

// The --print-stats memory line (no newline), e.g.
//   rollrig-gui: memory: peak RSS 97.1 MB (VmHWM), RSS now 90.2 MB; session samples 19.7 MB
//   (576000 samples, 34.2 bytes a sample)
std::string formatMemory(const MemoryFigures& m, size_t store_bytes, size_t store_samples);

// One line without a newline, e.g.
//   rollrig-gui bench streaming: 60.0 s wall, 59.8 s device time, 3540 frames, 59.0 fps,
//   11.42 CPU-s (user 9.80, sys 1.62), peak RSS 111.2 MB
// or, with json, {"mode":"streaming","wall_s":60.0,...} with the same fields.
std::string formatBench(const BenchFigures& f, bool json);

}  // namespace rollrig::gui

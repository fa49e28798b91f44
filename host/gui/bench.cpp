#include "bench.h"

#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace rollrig::gui {

namespace {
double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}
}  // namespace

BenchFigures measureBench(bool idle, double wall_s, uint64_t frames, double device_s) {
  BenchFigures f;
  f.idle = idle;
  f.wall_s = wall_s;
  f.device_s = device_s;
  f.frames = frames;
  f.fps = wall_s > 0 ? static_cast<double>(frames) / wall_s : 0.0;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    f.user_s = seconds(ru.ru_utime);
    f.sys_s = seconds(ru.ru_stime);
    f.cpu_s = f.user_s + f.sys_s;
    f.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
  }
  return f;
}

MemoryFigures parseProcStatus(const std::string& status_text) {
  MemoryFigures m;
  std::istringstream in(status_text);
  std::string line;
  while (std::getline(in, line)) {
    double kb = 0;
    if (std::sscanf(line.c_str(), "VmHWM: %lf kB", &kb) == 1) m.peak_rss_mb = kb / 1024.0;
    if (std::sscanf(line.c_str(), "VmRSS: %lf kB", &kb) == 1) m.rss_mb = kb / 1024.0;
  }
  return m;
}

MemoryFigures measureMemory() {
  std::ifstream in("/proc/self/status");
  std::stringstream text;
  text << in.rdbuf();
  return parseProcStatus(text.str());
}

std::string formatMemory(const MemoryFigures& m, size_t store_bytes, size_t store_samples) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "rollrig-gui: memory: peak RSS %.1f MB (VmHWM), RSS now %.1f MB; session samples "
                "%.1f MB (%zu samples, %.1f bytes a sample)",
                m.peak_rss_mb, m.rss_mb, static_cast<double>(store_bytes) / (1024.0 * 1024.0),
                store_samples,
                store_samples ? static_cast<double>(store_bytes) / store_samples : 0.0);
  return buf;
}

std::string formatBench(const BenchFigures& f, bool json) {
  const char* mode = f.idle ? "idle" : "streaming";
  char buf[512];
  if (json) {
    std::snprintf(buf, sizeof buf,
                  "{\"mode\":\"%s\",\"wall_s\":%.2f,\"device_s\":%.2f,\"frames\":%llu,"
                  "\"fps\":%.2f,\"cpu_s\":%.3f,\"user_s\":%.3f,\"sys_s\":%.3f,"
                  "\"peak_rss_mb\":%.1f}",
                  mode, f.wall_s, f.device_s, static_cast<unsigned long long>(f.frames), f.fps,
                  f.cpu_s, f.user_s, f.sys_s, f.peak_rss_mb);
  } else {
    std::snprintf(buf, sizeof buf,
                  "rollrig-gui bench %s: %.1f s wall, %.1f s device time, %llu frames, %.1f fps, "
                  "%.2f CPU-s (user %.2f, sys %.2f), peak RSS %.1f MB",
                  mode, f.wall_s, f.device_s, static_cast<unsigned long long>(f.frames), f.fps,
                  f.cpu_s, f.user_s, f.sys_s, f.peak_rss_mb);
  }
  return buf;
}

}  // namespace rollrig::gui

// The process's time zone for one test (a POSIX TZ string, so no tzdata is needed, e.g. "CET-1"),
// restored after. For the GUI tests that show local dates and times.
#pragma once

#include <stdlib.h>
#include <time.h>

#include <string>

namespace rollrig::testing {

class WithTimeZone {
 public:
  explicit WithTimeZone(const char* tz) {
    const char* old = std::getenv("TZ");
    m_had = old != nullptr;
    if (old) m_old = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~WithTimeZone() {
    if (m_had)
      setenv("TZ", m_old.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  WithTimeZone(const WithTimeZone&) = delete;
  WithTimeZone& operator=(const WithTimeZone&) = delete;

 private:
  bool m_had = false;
  std::string m_old;
};

}  // namespace rollrig::testing

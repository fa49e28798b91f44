// A comma-decimal locale for the core's tests: writers must print '.' decimals whatever the
// user's locale (de_DE and the like), and these tests prove it on any machine.
#pragma once

#include <locale>
#include <sstream>
#include <string>

namespace rollrig::testing {

// A locale whose decimal point is a comma (as de_DE has), whatever this machine has installed.
struct CommaDecimals : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

// Sets a comma-decimal global locale for the life of the object; `active` says it is in force.
class CommaLocale {
 public:
  CommaLocale()
      : m_previous(std::locale::global(std::locale(std::locale::classic(), new CommaDecimals))) {
    std::ostringstream probe;
    probe << 1.5;
    active = probe.str() == "1,5";
  }
  ~CommaLocale() { std::locale::global(m_previous); }
  CommaLocale(const CommaLocale&) = delete;
  CommaLocale& operator=(const CommaLocale&) = delete;
  bool active = false;

 private:
  std::locale m_previous;
};

}  // namespace rollrig::testing

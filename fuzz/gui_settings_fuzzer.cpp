// Fuzz target: the GUI's settings file, gui.json (host/gui settings.h settingsFromJson: what
// loadSettings() does with the file's text; no ImGui, no window). The input is the file's text.
//
// Invariants, beyond "no crash, no sanitizer report, no exception":
//  - a file it refuses gives exactly the defaults and a message naming the file;
//  - settings it accepts are valid (settingsProblems is empty);
//  - what it accepts, written back (settingsToJson, what saveSettings writes), reads back equal:
//    saving never loses or changes a setting, and never writes a file the next start refuses.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "settings.h"

using namespace rollrig::gui;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const SettingsLoad load = settingsFromJson(text, "/config/gui.json");
  FUZZ_CHECK(load.found, "found is false for a file's text");
  if (!load.error.empty()) {
    FUZZ_CHECK(load.settings == GuiSettings{}, "refused, but not the defaults: %s",
               load.error.c_str());
    FUZZ_CHECK(load.error.find("/config/gui.json") != std::string::npos,
               "the message does not name the file: %s", load.error.c_str());
    return 0;
  }
  FUZZ_CHECK(settingsProblems(load.settings).empty(), "accepted invalid settings: %s",
             validateSettings(load.settings).c_str());
  const std::string written = settingsToJson(load.settings);
  const SettingsLoad again = settingsFromJson(written, "/config/gui.json");
  FUZZ_CHECK(again.error.empty(), "settings it accepted, saved, are refused: %s\n%s",
             again.error.c_str(), written.c_str());
  FUZZ_CHECK(again.settings == load.settings, "saving changed the settings:\n%s", written.c_str());
  return 0;
}

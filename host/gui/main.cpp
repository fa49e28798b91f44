// rollrig-gui: the live view the user watches from the floor while rolling (docs/GUI.md). A thin
// shell: options in, GuiApp (gui_app.h) runs the window on the session engine.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gui_app.h"

int main(int argc, char** argv) {
  rollrig::gui::GuiOptions opt;
  CLI::App app{"rollrig-gui: the live view of a rollrig session (docs/GUI.md)", "rollrig-gui"};
  auto* demo = app.add_flag("--demo", opt.demo, "Start on the built-in virtual rig");
  auto* port = app.add_option("--port", opt.port, "Start on this serial port (or the twin's pty)");
  demo->excludes(port);
  app.add_option("--baud", opt.baud, "Baud rate (default 250000, the firmware's)")
      ->check(CLI::Range(0, 4000000));
  app.add_option("--seed", opt.seed, "Virtual rig: body-model seed (default 1)");
  app.add_flag("--fast", opt.fast,
               "Virtual rig: advance about a second of device time per drawn frame instead of "
               "running in real time");
  app.add_option("--db", opt.db,
                 "The session library (default: $ROLLRIG_DB, else "
                 "$XDG_DATA_HOME/rollrig/sessions.db)");
  std::string size;
  app.add_option("--size", size, "Window size WxH in pixels (default 1260x720)");
  app.add_option("--screenshot", opt.screenshot,
                 "Render, write what the window shows to this PNG file, and exit");
  app.add_option("--frames", opt.frames,
                 "With --screenshot: frames to render before writing it (default 3)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--screenshot-when-hold-s", opt.screenshot_when_hold_s,
                 "With --screenshot: first wait (on device time) for an open hold at least this "
                 "many seconds long, then render --frames frames of that moment")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--screenshot-when-rolling-s", opt.screenshot_when_rolling_s,
                 "With --screenshot: first wait (on device time) until the session has run this "
                 "many seconds and the ball is rolling, not held, then render --frames frames")
      ->check(CLI::Range(0.0, 3600.0));
  std::string plot_window;
  app.add_option("--plot-window", plot_window,
                 "The force plot's first view: 'whole' (the whole session) or SECONDS to follow "
                 "live (default 30)");
  app.add_option("--screenshot-of", opt.screenshot_of,
                 "With --screenshot: the whole window, or only the force plot or the plate view")
      ->check(CLI::IsMember({"window", "plot", "plate"}));
  app.add_option("--screenshot-scale", opt.screenshot_scale,
                 "With --screenshot: 2 draws it for print, at twice the window's pixels with "
                 "every font and size doubled (default 1: as on screen)")
      ->check(CLI::IsMember({1, 2}));
  app.add_option("--view", opt.view,
                 "The view shown first: live, sessions, history, calibrate or settings")
      ->check(CLI::IsMember({"live", "sessions", "history", "calibrate", "settings"}));
  app.add_flag("--calibrate-demo", opt.calibrate_demo,
               "Open the Calibrate view and run the virtual rig's calibration (10 kg, --seed, "
               "--fast) by itself; with --screenshot, wait for its result");
  app.add_option("--calibrate-demo-placement", opt.calibrate_demo_placement,
                 "With --calibrate-demo --screenshot: wait for placement N's capture instead")
      ->check(CLI::Range(1, 99))
      ->needs("--calibrate-demo");
  app.add_option("--calibrate-demo-mass", opt.calibrate_demo_mass_kg,
                 "With --calibrate-demo: the mass typed in, in kg (the rig still sets down 10 kg; "
                 "e.g. 50 shows a refused run)")
      ->check(CLI::Range(0.1, 1000.0))
      ->needs("--calibrate-demo");
  app.add_option("--theme", opt.theme,
                 "dark or light: the theme instead of the setting's (kept in the settings only "
                 "when a setting is changed and saved)")
      ->check(CLI::IsMember({"dark", "light"}));
  app.add_option("--cues", opt.cues,
                 "off, tones or voice: the cues for the person on the ball instead of the "
                 "setting's (kept in the settings only when a setting is changed and saved)")
      ->check(CLI::IsMember({"off", "tones", "voice"}));
  app.add_option("--replay", opt.replay_id,
                 "Open this session of the library (its id, as `rollrig sessions` lists) in the "
                 "replay")
      ->check(CLI::PositiveNumber);
  app.add_option("--replay-at", opt.replay_at_s,
                 "With --replay: the cursor's first position, in seconds of the session")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--replay-marks", opt.replay_marks,
               "With --replay: show the session's marks (pain, notes, ...) instead of its holds");
  app.add_flag("--full-redraw", opt.full_redraw,
               "Draw every frame whole and swap buffers, instead of redrawing only what changed");
  app.add_flag("--check-redraw", opt.check_redraw,
               "Compare every partial redraw with a whole one; the differing pixels are printed "
               "with --print-stats (slow; for tests)");
  app.add_flag("--print-stats", opt.print_stats,
               "On exit, print the frames drawn and the frame rate (to check that it draws only "
               "when something changed)");
  // --bench / --bench-idle (bench.h, docs/GUI.md "Measured").
  app.add_option("--bench", opt.bench_s,
                 "Run the virtual rig in real time for this many seconds of wall time, then print "
                 "CPU seconds, frames drawn, fps and peak RSS")
      ->check(CLI::Range(0.1, 86400.0));
  double bench_idle_s = 0;
  app.add_option("--bench-idle", bench_idle_s,
                 "As --bench, with the window open and nothing connected")
      ->check(CLI::Range(0.1, 86400.0))
      ->excludes("--bench");
  app.add_flag("--json", opt.bench_json, "With --bench or --bench-idle: print the figures as JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints what was wrong
    return 2;     // a bad command line, as rollrig's own exit code 2 (CLI11's own codes vary)
  }
  if (bench_idle_s > 0) opt.bench_s = bench_idle_s, opt.bench_idle = true;
  std::filesystem::path bench_dir;  // the bench's throwaway library, when --db is not given
  if (opt.bench_s > 0) {
    if (opt.demo || !opt.port.empty() || opt.fast || !opt.screenshot.empty()) {
      std::fprintf(stderr,
                   "rollrig-gui: --bench runs the virtual rig in real time and --bench-idle runs "
                   "with nothing connected; they take no --demo, --port, --fast or "
                   "--screenshot.\n");
      return 2;
    }
    opt.demo = !opt.bench_idle;
    if (opt.db.empty()) {
      std::error_code ec;
      const std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
      if (!ec) bench_dir = tmp / ("rollrig-gui-bench-" + std::to_string(getpid()));
      if (ec || (std::filesystem::create_directories(bench_dir, ec), ec)) {
        std::fprintf(stderr,
                     "rollrig-gui: --bench: cannot make a throwaway library in the temporary "
                     "directory (%s); set TMPDIR or give --db PATH.\n",
                     ec.message().c_str());
        return 1;
      }
      opt.db = (bench_dir / "sessions.db").string();
    }
  } else if (opt.bench_json) {
    std::fprintf(stderr, "rollrig-gui: --json goes with --bench or --bench-idle.\n");
    return 2;
  }
  if (!size.empty()) {
    int w = 0, h = 0;
    char extra = 0;
    if (std::sscanf(size.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 ||
        w > 16384 || h > 16384) {
      std::fprintf(stderr,
                   "rollrig-gui: --size: must be WxH in pixels, e.g. 1260x720 (from 320x240 to "
                   "16384x16384), not \"%s\".\n",
                   size.c_str());
      return 2;
    }
    opt.width_px = w;
    opt.height_px = h;
  }
  if (plot_window == "whole") {
    opt.plot_window_s = -1;
  } else if (!plot_window.empty()) {
    char* end = nullptr;
    const double v = std::strtod(plot_window.c_str(), &end);
    if (end == plot_window.c_str() || *end != 0 || !(v >= 2 && v <= 86400)) {
      std::fprintf(stderr,
                   "rollrig-gui: --plot-window: must be 'whole' or seconds from 2 to 86400, not "
                   "\"%s\".\n",
                   plot_window.c_str());
      return 2;
    }
    opt.plot_window_s = v;
  }
  if (!opt.demo && !opt.calibrate_demo && (opt.fast || app.count("--seed"))) {
    std::fprintf(stderr,
                 "rollrig-gui: --seed and --fast only apply to --demo and --calibrate-demo.\n");
    return 2;
  }
  if (opt.screenshot.empty() && (app.count("--frames") || opt.screenshot_when_hold_s > 0 ||
                                 opt.screenshot_when_rolling_s > 0)) {
    std::fprintf(stderr,
                 "rollrig-gui: --frames, --screenshot-when-hold-s and --screenshot-when-rolling-s "
                 "go with --screenshot FILE.png.\n");
    return 2;
  }
  const int rc = rollrig::gui::runGui(opt);
  if (!bench_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(bench_dir, ec);
  }
  return rc;
}

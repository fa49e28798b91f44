// GuiApp: the window (GLFW + OpenGL 3 + Dear ImGui 1.86), the fonts, the frame loop, the keys and
// the screenshot mode. Each frame: take the engine's snapshot once (SessionController::update()),
// compute every panel's model, then draw the panels (one file each: connection_bar, hold_panel,
// force_plot, plate_view).
//
// Renders on demand: it sleeps in glfwWaitEventsTimeout() until input arrives or the engine's
// on_update wakes it (glfwPostEmptyEvent()), and draws only when something changed, at most at
// the display's refresh rate. A --fast demo draws every display slot (each frame grants the rig
// its next step); the screenshot mode draws flat out.
#pragma once

#include <cstdint>
#include <string>

namespace rollrig::gui {

struct GuiOptions {
  bool demo = false;  // start on the virtual rig
  uint64_t seed = 1;
  bool fast = false;  // virtual rig: one step of device time a frame (stepped_stream.h)
  std::string port;   // start on this port
  int baud = 0;
  std::string db;  // the session library ("" : store::defaultLibraryPath())
  // 0: the size saved in the settings (settings.h), else 1260x720. A screenshot ignores the saved
  // size.
  int width_px = 0, height_px = 0;
  // Screenshot mode: render `frames` frames, write the PNG, exit. Frames count from the session's
  // first sample or its end (at once with nothing connected), or from the hold condition.
  // screenshot_when_hold_s > 0: first wait until the snapshot shows an open hold at least this long
  // (device time), then freeze the view on that snapshot.
  std::string screenshot;
  std::string screenshot_of = "window";  // or "plot" / "plate": only that panel, as on screen
  // 2: the screenshot drawn for print, at twice the window's pixels (fonts and sizes at twice the
  // content scale), as the export strip's "2× for print" does.
  int screenshot_scale = 1;
  int frames = 3;
  double screenshot_when_hold_s = 0;
  // screenshot_when_rolling_s > 0: first wait until the session has run this long (device time)
  // and the ball is rolling (no open hold, a rolling speed), then freeze the view on that snapshot
  // (the coaching gauges mid-roll).
  double screenshot_when_rolling_s = 0;
  // Screenshot mode gives up (exit 1) when the session's device time passes this without the
  // hold (or rolling) condition.
  double screenshot_give_up_s = 4 * 3600.0;
  // The force plot's first view: 0 follow-live over the last 30 s; > 0 follow-live over this many
  // seconds; < 0 the whole session (e.g. for a screenshot of a long session zoomed out).
  double plot_window_s = 0;
  // The view shown first: "live" (default), "sessions", "history", "calibrate" or "settings".
  // replay_id > 0 opens that session of the library in the replay instead, its cursor at
  // replay_at_s (session seconds).
  std::string view = "live";
  // "dark" or "light": the theme for this run instead of the setting's ("": the setting).
  std::string theme;
  // "off", "tones" or "voice": the cues for this run instead of the setting's ("": the setting).
  std::string cues;
  int64_t replay_id = 0;
  double replay_at_s = 0;
  bool replay_marks = false;  // the replay's table panel shows the marks, not the holds
  // --calibrate-demo: the Calibrate view runs the virtual rig's calibration (seed, fast) by itself;
  // a screenshot waits for its result, or with calibrate_demo_placement N > 0 for placement N's
  // capture window half full (calibrate_view.h, calibrateDemoReached()).
  bool calibrate_demo = false;
  int calibrate_demo_placement = 0;
  double calibrate_demo_mass_kg = 0;  // > 0: the mass typed in (the rig still sets down 10 kg)
  // On exit, print to stderr how many frames were drawn in how long (render-on-demand check) and
  // how much of the window was redrawn (frame_renderer.h).
  bool print_stats = false;
  // Draw every frame whole and swap, as before partial redraws (frame_renderer.h); for comparing.
  bool full_redraw = false;
  // Compare every partially redrawn frame with a whole redraw and print the differing pixels
  // (with print_stats); for tests.
  bool check_redraw = false;
  // --bench / --bench-idle (bench.h): stop after this much wall time (0: run until closed) and
  // print the figures (CPU, frames, fps, peak RSS) to stdout, as JSON with bench_json.
  double bench_s = 0;
  bool bench_idle = false;
  bool bench_json = false;
};

// Runs the window until it is closed (or the screenshot was written). Returns the exit code:
// 0 fine, 1 the window or the screenshot failed (the reason on stderr).
int runGui(const GuiOptions& options);

}  // namespace rollrig::gui

// Calibrate view: the calibration wizard. It shows the engine's calibration procedure step by step
// (engine::CalibrationProcedure, run by CalibrationController on the device the user picks) and
// holds no calibration logic of its own: every step, wait, verdict and number comes from the
// procedure's status and results.
//
//   +------------------ source picker (the connection bar's), then the device -----------------+
//   | the steps (Tare 1 2 3 4 5 Result)              | the plate to scale: the cells, where the |
//   | what to do now, large                          | mass goes next (a marker), the positions |
//   | steady… 62 % (the capture window) / captured ✓ | done, the load now where it stands, the  |
//   | the load now; what was refused and why         | cell that leans                          |
//   | ACCEPTED / REFUSED, the residuals per placement|                                          |
//   | the buttons                                    |                                          |
//   +------------------------------------------------+------------------------------------------+
//
// computeCalibrateView() is pure (the controller's CalibrationSnapshot and the panel's rectangle
// in; words, colours and positions out), so each step's model is tested from hand-built
// snapshots. drawCalibrateView() only draws the model and the widgets and returns what the user
// asked for; errors (no device, a busy port, a refused device, a mass left on too long) are lines
// in the view, never a modal.
//
// UI thread only.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "calibration_controller.h"
#include "connection_bar.h"
#include "draw_util.h"
#include "layout.h"

namespace rollrig::gui {

// What the view is showing (from the snapshot).
enum class CalibrateStage {
  kNoDevice,    // nothing connected (or the link failed: `error`)
  kConnecting,  // opening and the handshake (or the virtual rig made again for a run)
  kReady,       // a device, no run yet (or the last run cancelled): the settings and Start
  kTare,        // the tare step
  kPlacement,   // a placement of the known mass
  kResult,      // accepted or refused
};

struct CalibrateText {
  std::string s;
  Rgb colour = kAxisText;
  bool large = false;  // the large font (else the normal one)
  float px = 0;        // its size
  ImVec2 at;           // top-left
};

struct CalibrateChip {
  std::string label;  // "Tare", "1" ... "5", "Result"
  enum class State { kDone, kCurrent, kPending, kSkipped } state = State::kPending;
  Rect box;
};

// A position for the mass on the plate drawing.
struct CalibrateMarker {
  enum class State { kDone, kNext, kPending } state = State::kPending;
  ImVec2 at;
  std::string label;  // "1" ...
  Rgb colour = kPlateEdge;
};

// One row of the residual report.
struct ResidualRow {
  std::string placement, position, force_error, cop_error;  // "2", "(-200, +120)", "+0.03 %", ...
  bool bad = false;  // beyond 1 % or 5 mm: drawn in the warning colour
};

struct CalibrateViewModel {
  Rect bar, left, right;  // the picker row, the steps panel, the plate panel
  CalibrateStage stage = CalibrateStage::kNoDevice;
  std::vector<CalibrateChip> chips;
  // The left panel's words, placed from the top (headline, what to do, the indicator's line, the
  // load, what was refused and why, the result's lines). Tests read them by content.
  std::vector<CalibrateText> texts;
  std::string headline;        // the large line: what to do now (also in `texts`)
  std::string problem;         // what was refused and why, or why the window is not steady; "" none
  std::string error;           // the link failed (no device, busy port, refused device); "" none
  std::string source, device;  // the picker row: "virtual rig seed 1", "device 0000D3E0 · 80 Hz"

  // The live "steady… captured" indicator: a bar filled by the capture window's progress.
  bool show_indicator = false;
  Rect indicator;
  float progress = 0;  // 0..1
  Rgb indicator_colour = kWarning;
  std::string indicator_text;  // "steady… 62 %", "waiting for the mass", "captured ✓"

  // The result: a solid field, ACCEPTED (green) or REFUSED (red), readable from a few metres.
  bool show_result = false;
  bool accepted = false;
  Rect result_field;
  Rgb result_colour = kCalRefusedField;
  std::string verdict;  // "ACCEPTED" / "REFUSED"
  float verdict_px = 0;
  ImVec2 verdict_at;
  std::vector<ResidualRow> residuals;
  std::string conditioning;  // "condition number 1.51 (limit 20) · rank 4 of 4 · spread ..."

  // The widgets' row (ImGui draws them there) and which show.
  float controls_y = 0;
  bool show_setup = false;         // mass, hands-free, ignore last tare, Calibrate, Re-tare only
  bool show_ready = false;         // the user's "ready" click
  std::string ready_label;         // "The plate is clear: tare" / "The mass is in place"
  bool show_skip = false;          // skip this placement
  bool show_cancel = false;        // cancel the run
  bool show_save = false;          // accepted and not saved yet
  std::string save_label;          // "Accept and save for device 0000D3E0"
  bool show_again = false;         // a finished run: start again / re-tare
  bool hands_free_locked = false;  // the virtual rig: always hands-free

  // The plate, to scale (as plate_view.h), with the cells, the positions and the load now.
  Rect plate;
  float px_per_mm = 0;
  struct Cell {
    Rect square;
    std::string name;   // "FL" ...
    std::string label;  // "12.3 N" or "–"
    ImVec2 name_at, label_at;
    bool leaning = false;  // the cell the procedure named as unsteady or saturated
  };
  std::array<Cell, core::kCellCount> cells;
  float cell_label_px = 0;
  std::vector<CalibrateMarker> markers;
  int next_marker = -1;       // index into markers: where the mass goes next
  bool has_load_dot = false;  // where the load on the plate stands now (its centre of pressure)
  ImVec2 load_dot;
  std::string plate_title;  // "Plate (head ↑) · the 10 kg goes on the magenta mark"
};

// The view's own state (UI thread): the picker's, and the run's settings.
struct CalibrateViewState {
  ConnectionBarState picker;
  double mass_kg = 10;
  bool hands_free = false;
  bool ignore_last_tare = false;
};

CalibrateViewModel computeCalibrateView(const CalibrationSnapshot& snap, const Rect& body,
                                        const Fonts& fonts);

struct CalibrateViewAction {
  enum class Kind {
    kNone,
    kConnect,     // `source`
    kDisconnect,  // the picker's Stop
    kCalibrate,   // `request`
    kProceed,
    kSkip,
    kCancel,
    kSave,
    kHandsFree,  // `hands_free`
  } kind = Kind::kNone;
  SourceChoice source;
  CalibrationRequest request;
  bool hands_free = false;
};

CalibrateViewAction drawCalibrateView(const CalibrateViewModel& m, CalibrateViewState& state,
                                      const Fonts& fonts, SolidFills& fills);

// The point `rollrig-gui --calibrate-demo` waits for before its screenshot: with placement 0,
// the run's end (accepted, refused or cancelled) or a failed link; with placement N > 0, the
// capture window of placement N (1-based) half full (or the run's end, should it come first).
bool calibrateDemoReached(const CalibrationSnapshot& snap, int placement);

// Applies an action to the controller (the app's one call after drawing).
void applyCalibrateAction(const CalibrateViewAction& a, CalibrationController& ctl);

}  // namespace rollrig::gui

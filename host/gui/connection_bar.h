// Connection bar: across the top. With nothing connected it is the source picker (the virtual rig
// with its seed, or a serial port from io::listPorts with its description, or a path typed in,
// e.g. the twin's pty); with a session it shows the source, the device serial and firmware, the
// sample rate measured from device time (amber when it is not ~80 Hz), frames lost, CRC errors,
// `reconnecting…` while the device is away. What went wrong (a busy port, a refused device, a
// library that cannot be written) is computed here and shown large in the hold panel — state in
// the window, never a modal.
//
// computeConnectionBar() is pure (snapshot in, coloured items out); drawConnectionBar() draws it
// and the picker's widgets, and returns what the user asked for.
#pragma once

#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/io/serial_port.h"
#include "session_controller.h"

namespace rollrig::gui {

// The measured rate is "not ~80 Hz" when it is off the nominal rate by more than this fraction.
inline constexpr double kRateTolerance = 0.05;

// The picker's own state (UI thread).
struct ConnectionBarState {
  int seed = 1;
  bool fast = false;
  std::vector<io::PortInfo> ports;
  int port_index = -1;  // into ports; -1: the typed path
  char typed_path[256] = "";
  std::string list_error;
  bool listed = false;
};

struct BarItem {
  std::string text;
  Rgb colour = kAxisText;
};

struct ConnectionBarModel {
  bool picker = true;          // nothing connected (or the session ended): show the picker
  std::vector<BarItem> items;  // the session's status, left to right
  std::string error;           // what went wrong (the hold panel shows it, large)
  std::string notice;          // e.g. sessions recovered
};

ConnectionBarModel computeConnectionBar(const engine::LiveSnapshot& snap, bool has_session,
                                        bool running, const std::string& controller_error,
                                        const std::string& notice);

struct ConnectionBarAction {
  enum class Kind { kNone, kConnect, kStop } kind = Kind::kNone;
  SourceChoice source;
};

// Fills state.ports on first use (and on "refresh").
void refreshPorts(ConnectionBarState& state);

ConnectionBarAction drawConnectionBar(const ConnectionBarModel& m, ConnectionBarState& state,
                                      const Rect& r, const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

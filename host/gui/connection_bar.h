// Connection bar: across the top. With nothing connected it is the source picker: one list of
// sources — the virtual rig (with its seed), the firmware twin (rollrig-twin started as a child
// process on the same seed, twin_launcher.h; the bar connects to the pty it announces), a serial
// port from io::listPorts with its description, or a path typed in — then Connect. With a
// session it shows the source, the device serial and firmware, the
// sample rate measured from device time (amber when it is not ~80 Hz), frames lost, CRC errors,
// `reconnecting…` while the device is away. What went wrong (a busy port, a refused device, a
// library that cannot be written) is computed here and shown large in the hold panel — state in
// the window, never a modal.
//
// computeConnectionBar() is pure (snapshot in, coloured items out) and layoutConnectionBar() places
// the items in the bar (shrinking the text, then leaving out the device line, so the row fits);
// drawConnectionBar() draws it and the picker's widgets, and returns what the user asked for.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/engine/live_session.h"
#include "rollrig/io/serial_port.h"
#include "session_controller.h"
#include "twin_launcher.h"

namespace rollrig::gui {

// The measured rate is "not ~80 Hz" when it is off the nominal rate by more than this fraction.
inline constexpr double kRateTolerance = 0.05;

// The picker's own state (UI thread). Owns the firmware twin's process while there is one: it is
// stopped when the session it feeds is no longer running, and when this state is destroyed.
struct ConnectionBarState {
  enum class Pick { kVirtualRig, kTwin, kPort, kTyped } pick = Pick::kVirtualRig;
  int seed = 1;
  bool fast = false;
  std::vector<io::PortInfo> ports;
  int port_index = -1;  // into ports (Pick::kPort)
  char typed_path[256] = "";
  std::string list_error;
  bool listed = false;
  // The firmware twin.
  std::string exe_dir;  // where to look for rollrig-twin ("": this executable's directory)
  std::unique_ptr<ChildProcess> twin;
  bool twin_connected = false;  // its pty was handed to the session
  std::string twin_status;      // "" or the twin's state in words ("starting…", what is missing)
  bool twin_failed = false;     // twin_status is an error
};

struct BarItem {
  std::string text;
  Rgb colour = kAxisText;
  bool optional = false;  // left out when the row does not fit (the device's serial / firmware)
  float x = 0;            // layoutConnectionBar(): left edge, or < 0 when left out
};

struct ConnectionBarModel {
  bool picker = true;          // nothing connected (or the session ended): show the picker
  std::vector<BarItem> items;  // the session's status, left to right
  std::string error;           // what went wrong (the hold panel shows it, large)
  std::string notice;          // e.g. sessions recovered
  // layoutConnectionBar(): the Stop button's box and the items' font size and top.
  Rect stop_button;
  float text_px = 0, text_y = 0;
};

ConnectionBarModel computeConnectionBar(const engine::LiveSnapshot& snap, bool has_session,
                                        bool running, const std::string& controller_error,
                                        const std::string& notice);
// Places the session's items after the Stop button in `r`: at the normal size if they fit, else
// smaller (down to 70 %), else without the optional ones. Every placed item ends inside r.
void layoutConnectionBar(ConnectionBarModel& m, const Rect& r, const Fonts& fonts);

struct ConnectionBarAction {
  enum class Kind { kNone, kConnect, kStop } kind = Kind::kNone;
  SourceChoice source;
};

// Fills state.ports on first use (and on "refresh").
void refreshPorts(ConnectionBarState& state);

// The firmware twin. startTwin() starts it (ending one that runs); a missing rollrig-twin or
// firmware ELF, or a process that cannot start, is left in st.twin_status. updateTwin(), once a
// frame (drawConnectionBar calls it), reads the twin's output: when it announced its pty it
// returns a kConnect action for that pty (once); when the session it fed is no longer running, or
// the twin exited, the twin is stopped and twin_status says so. twinStarting(): the app keeps
// drawing until the twin announced its pty or failed.
void startTwin(ConnectionBarState& st);
ConnectionBarAction updateTwin(ConnectionBarState& st, bool session_running);
bool twinStarting(const ConnectionBarState& st);

ConnectionBarAction drawConnectionBar(const ConnectionBarModel& m, ConnectionBarState& state,
                                      const Rect& r, const Fonts& fonts, SolidFills& fills);

}  // namespace rollrig::gui

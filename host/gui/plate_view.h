// Plate view: the plate to scale (plate coordinates of plate_geometry.h: +x to the user's right,
// +y toward the head, drawn up), its four cells with their live loads (a fill for the cell's share
// and the load in N), the ball's position (the centre of pressure) with a short fading trail, and
// the spots where this session's holds were. Computed before drawing (computePlateView(), pure).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "draw_util.h"
#include "layout.h"
#include "rollrig/core/plate_geometry.h"
#include "rollrig/engine/live_session.h"
#include "sample_store.h"

namespace rollrig::gui {

inline constexpr double kBallTrail_s = 3.0;

// The cells' short names, in cell order (plate_geometry.h): front (head side) left and right,
// rear left and right. The plate view writes them by the cells in the cells' colours
// (theme.h kCellTrace), and the force plot's per-cell legend uses the same.
inline constexpr const char* kCellNames[core::kCellCount] = {"FL", "FR", "RL", "RR"};

struct PlateViewModel {
  Rect plate;  // the plate, to scale, centred in the panel
  float px_per_mm = 0;
  struct Cell {
    ImVec2 centre;
    float load_n = 0;
    float share = 0;    // of the total, 0..1 (the fill)
    std::string label;  // "123 N"
    std::string name;   // kCellNames[i], in kCellTrace[i]
    // Where they go: inside the plate, beside the cell's square toward the plate's middle (below
    // the front cells, above the rear ones), the name small and the load large, sized so that the
    // four never touch each other or leave the plate.
    Rect square;
    ImVec2 name_at, label_at;
    float name_px = 0, label_px = 0;
    Rect box;  // name and load together
  };
  std::array<Cell, core::kCellCount> cells;
  bool has_ball = false;
  ImVec2 ball;
  std::vector<ImVec2> trail;  // oldest first
  // This session's closed holds where they were, coloured by time to release: released within
  // the protocol window's minimum (kReleaseMark), within the window (kInWindowField), later
  // (kPastWindowField), or no release (kPlateEdge, hollow).
  struct Spot {
    ImVec2 at;
    Rgb colour;
    bool released = false;
  };
  std::vector<Spot> hold_spots;
  std::string total_text;  // "total 612 N"
  ImVec2 title_at, total_at, keys_at;
  float total_px = 0, keys_px = 0;
  std::string keys = "keys: space released \u00b7 0\u20139 pain \u00b7 L / R side";
};

// The colour of a hold's spot (see PlateViewModel::hold_spots).
Rgb holdSpotColour(const core::Hold& h, double protocol_min_s = 30, double protocol_max_s = 90);

// Where plate point (x_mm, y_mm) lands in a plate rectangle drawn `px_per_mm` to scale.
ImVec2 platePoint(const Rect& plate, float px_per_mm, double x_mm, double y_mm);

PlateViewModel computePlateView(const SampleStore& samples, const engine::LiveSnapshot& snap,
                                const Rect& panel, const Fonts& fonts,
                                const core::PlateGeometry& geometry = {});

void drawPlateView(const PlateViewModel& m, const Rect& panel, const Fonts& fonts,
                   SolidFills& fills);

}  // namespace rollrig::gui

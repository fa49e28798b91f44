// FrameDamage: which parts of the window changed between two frames, worked out from what was
// drawn, so the renderer (frame_renderer.h) redraws only those parts.
//
// Why: under software OpenGL (Mesa's llvmpipe, what Xvfb and many GPU-less machines have) every
// pixel drawn costs CPU, and while a session streams most of the window (the panels' backgrounds,
// the hold field, the big timer) is the same from one frame to the next. A frame that redraws only
// the plot's newest column, the ball's trail and a changed number costs a fraction of one that
// redraws 1260 x 720 pixels.
//
// How: every primitive of a frame — an ImGui triangle (its three vertices with their positions,
// texture coordinates and colours, its clip rectangle and its texture) or one of the panels'
// solid fills (draw_util.h) — is reduced to a 64-bit fingerprint and the box of pixels it can
// touch. Two frames are compared as multisets of fingerprints: a primitive found in one frame and
// not in the other damages its box (the old one must be erased, the new one drawn). If the
// renderer then redraws, inside the damage, every primitive of the new frame in order over the
// background, the window is pixel for pixel what a full redraw gives (the frame_renderer check
// compares the two). The boxes are gathered on a grid of tiles (kTile_px logical pixels) and
// merged into a few rectangles, since each rectangle costs the renderer a pass. It assumes the
// app draws in a fixed order (an unchanged primitive never moves in front of another unchanged
// one it overlaps), which the panels do.
//
// Units: logical pixels (ImGui's DisplaySize), y down, like Rect (layout.h).
// Thread safety: none; the UI thread's.
#pragma once

#include <cstdint>
#include <vector>

#include "draw_util.h"
#include "layout.h"

struct ImDrawData;

namespace rollrig::gui {

struct DrawnPrimitive {
  uint64_t key = 0;  // the fingerprint: equal primitives draw equal pixels
  Rect box;          // the pixels it may touch (already clipped by its clip rectangle)
};

// Every primitive of a frame: the fills first (they are drawn first), then ImGui's triangles in
// draw order. Triangles wholly clipped away are left out.
std::vector<DrawnPrimitive> collectPrimitives(const ImDrawData& draw, const SolidFills& fills);

struct DamageParams {
  float tile_px = 16;       // the grid the damage is gathered on (logical px)
  size_t max_rects = 6;     // more rectangles than this are merged (each is a render pass)
  double full_share = 0.6;  // damage over this share of the window: redraw it all
};

struct Damage {
  bool full = false;  // redraw the whole window (`rects` is then empty)
  // Else these: tile-aligned (their far edges may pass the window's), possibly overlapping after
  // merging (redrawing a pixel twice gives the same pixel).
  std::vector<Rect> rects;
  double area_px = 0;  // the logical pixels to redraw (w * h when full)
};

// What changed from `before` to `now` (each in draw order, as collectPrimitives() gives them) on a
// window of w x h logical pixels. Leaves both as they were.
Damage diffFrames(const std::vector<DrawnPrimitive>& before, const std::vector<DrawnPrimitive>& now,
                  float w, float h, const DamageParams& params = {});

// Gathers boxes into tile-aligned rectangles (at most params.max_rects), as diffFrames does.
// Exposed for tests.
Damage damageFromBoxes(const std::vector<Rect>& boxes, float w, float h,
                       const DamageParams& params = {});

}  // namespace rollrig::gui

// FrameRenderer: draws each frame (the panels' solid fills, then ImGui's draw data) into the
// window's back buffer, redrawing only what changed since the last frame (frame_damage.h), and
// shows it.
//
// Partial redraws need a back buffer that still holds the last frame and a way to show part of
// it. On X11 with GLX_MESA_copy_sub_buffer (Mesa's drivers, llvmpipe under Xvfb included) the app
// never swaps: it draws into the back buffer, which therefore always holds the last frame, and
// copies the changed rectangles to the window with glXCopySubBufferMESA. Elsewhere (no such
// extension, Wayland, or --full-redraw) every frame is drawn whole and swapped, as any ImGui app
// does. A window whose content was lost (an expose) or whose size changed is drawn whole once.
//
// Thread safety: the UI thread's, with the window's GL context current.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "draw_util.h"
#include "frame_damage.h"
#include "theme.h"

struct GLFWwindow;
struct ImDrawData;

namespace rollrig::gui {

struct RedrawStats {
  uint64_t frames = 0;        // frames drawn
  uint64_t whole_frames = 0;  // ... of them drawn whole
  double redrawn_px = 0;      // logical pixels redrawn, summed over the frames
  double window_px = 0;       // the window's logical pixels, summed over the frames
  // Only with the check on (setCheck): frames compared with a whole redraw, pixels that differed.
  uint64_t checked_frames = 0;
  uint64_t differing_px = 0;
};

class FrameRenderer {
 public:
  // `allow_partial` false: every frame whole (the --full-redraw option).
  FrameRenderer(GLFWwindow* window, Rgb background, bool allow_partial);

  bool partial() const { return m_copy_sub_buffer != nullptr; }
  // The check: after every frame not drawn whole (also one where nothing was redrawn), read the
  // back buffer, draw the frame whole, read again
  // and count the pixels that differ (the stats). Costly; for tests.
  void setCheck(bool on) { m_check = on; }

  // Draws the frame ImGui::Render() produced, with the panels' fills under it.
  void draw(ImDrawData* draw, const SolidFills& fills);
  // Draws the frame whole into an offscreen framebuffer of its own size (DisplaySize times
  // FramebufferScale: larger than the window for a print-size frame, see gui_app.cpp) and reads
  // it back as RGB rows, top-down, into *rgb (w x h). The window's back buffer is not touched,
  // but the next frame is drawn whole. False with *why when GL cannot make such a framebuffer.
  bool drawOffscreen(ImDrawData* draw, const SolidFills& fills, std::vector<unsigned char>* rgb,
                     int* w, int* h, std::string* why);
  // Shows what draw() drew (the changed rectangles, or the whole frame).
  void present();
  // The window's content was lost: the next frame is drawn and shown whole.
  void invalidate() { m_invalid = true; }
  // The window's colour under the fills (the theme's, theme.h); the next frame is drawn whole.
  void setBackground(Rgb c) { m_background = c, m_invalid = true; }

  const RedrawStats& stats() const { return m_stats; }

 private:
  using CopySubBufferFn = void (*)(void*, unsigned long, int, int, int, int);

  void drawWhole(ImDrawData* draw, const SolidFills& fills, int fb_w, int fb_h);
  void drawRect(ImDrawData* draw, const SolidFills& fills, const Rect& r, int fb_w, int fb_h);

  GLFWwindow* m_window;
  Rgb m_background;
  CopySubBufferFn m_copy_sub_buffer = nullptr;
  void* m_display = nullptr;
  unsigned long m_drawable = 0;
  bool m_check = false;
  bool m_invalid = true;
  int m_fb_w = 0, m_fb_h = 0;
  float m_scale = 0;
  std::vector<DrawnPrimitive> m_before, m_now;
  std::vector<Rect> m_shown_fb;  // what present() copies, framebuffer px, GL's y up
  RedrawStats m_stats;
};

}  // namespace rollrig::gui

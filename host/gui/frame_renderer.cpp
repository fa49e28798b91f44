#include "frame_renderer.h"

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <GL/glx.h>
#include <GLFW/glfw3.h>

// GLFW's native access (glfw3native.h, GLFW 3.3), declared here: that header with
// GLFW_EXPOSE_NATIVE_X11 also includes Xrandr's headers, a dev package for two declarations.
extern "C" {
Display* glfwGetX11Display(void);
GLXWindow glfwGetGLXWindow(GLFWwindow* window);
}
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace rollrig::gui {

namespace {

struct FbRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // framebuffer px, y down
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  bool contains(const FbRect& o) const {
    return x0 <= o.x0 && y0 <= o.y0 && x1 >= o.x1 && y1 >= o.y1;
  }
};

FbRect intersect(const FbRect& a, const FbRect& b) {
  return {std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
}

// A fill's pixels, rounded as clearFill rounds them.
FbRect fillPixels(const Rect& r, float scale) {
  return {static_cast<int>(r.x0 * scale + 0.5f), static_cast<int>(r.y0 * scale + 0.5f),
          static_cast<int>(r.x1 * scale + 0.5f), static_cast<int>(r.y1 * scale + 0.5f)};
}

void clearPixels(const FbRect& r, Rgb c, int fb_h) {
  if (r.empty()) return;
  glScissor(r.x0, fb_h - r.y1, r.x1 - r.x0, r.y1 - r.y0);  // GL's y runs up
  glClearColor(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
}

// The pixels ImGui's OpenGL 3 backend lets a command draw: its glScissor box, computed as the
// backend computes it (imgui_impl_opengl3.cpp, 1.86: truncating casts of the scaled clip
// rectangle, y flipped), in framebuffer px with y down.
FbRect scissorOf(const ImVec4& clip, ImVec2 origin, float scale, int fb_h) {
  const float min_x = (clip.x - origin.x) * scale, min_y = (clip.y - origin.y) * scale;
  const float max_x = (clip.z - origin.x) * scale, max_y = (clip.w - origin.y) * scale;
  if (max_x <= min_x || max_y <= min_y) return {};
  const int x = static_cast<int>(min_x);
  const int y_up = static_cast<int>(static_cast<float>(fb_h) - max_y);
  const int w = static_cast<int>(max_x - min_x);
  const int h = static_cast<int>(max_y - min_y);
  return {x, fb_h - (y_up + h), x + w, fb_h - y_up};
}

std::vector<unsigned char> readPixels(int w, int h) {
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
  return px;
}

}  // namespace

FrameRenderer::FrameRenderer(GLFWwindow* window, Rgb background, bool allow_partial)
    : m_window(window), m_background(background) {
  if (!allow_partial) return;
  Display* dpy = glfwGetX11Display();
  const GLXWindow drawable = glfwGetGLXWindow(window);
  if (!dpy || !drawable) return;  // not X11 / GLX (e.g. EGL): whole frames
  const char* ext = glXQueryExtensionsString(dpy, DefaultScreen(dpy));
  if (!ext || !std::strstr(ext, "GLX_MESA_copy_sub_buffer")) return;
  auto fn = reinterpret_cast<void (*)(Display*, GLXDrawable, int, int, int, int)>(
      glXGetProcAddressARB(reinterpret_cast<const GLubyte*>("glXCopySubBufferMESA")));
  if (!fn) return;
  m_copy_sub_buffer = reinterpret_cast<CopySubBufferFn>(fn);
  m_display = dpy;
  m_drawable = drawable;
}

void FrameRenderer::drawWhole(ImDrawData* draw, const SolidFills& fills, int fb_w, int fb_h) {
  glViewport(0, 0, fb_w, fb_h);
  glDisable(GL_SCISSOR_TEST);
  glClearColor(m_background.r / 255.0f, m_background.g / 255.0f, m_background.b / 255.0f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  glEnable(GL_SCISSOR_TEST);
  for (const SolidFill& f : fills) clearPixels(fillPixels(f.r, m_scale), f.c, fb_h);
  glDisable(GL_SCISSOR_TEST);
  ImGui_ImplOpenGL3_RenderDrawData(draw);
}

// One damaged rectangle: its background (the last fill that covers all of it, else the window's),
// the fills after that one, then every draw list that reaches into it with its clip rectangles
// cut to it, in ImGui's order. Tile edges are whole framebuffer pixels (diffFrames' tiles times a
// scale that keeps them whole), so ImGui's scissor and the clears agree to the pixel.
void FrameRenderer::drawRect(ImDrawData* draw, const SolidFills& fills, const Rect& r, int fb_w,
                             int fb_h) {
  const FbRect px = intersect(
      {static_cast<int>(std::lround(r.x0 * m_scale)), static_cast<int>(std::lround(r.y0 * m_scale)),
       static_cast<int>(std::lround(r.x1 * m_scale)),
       static_cast<int>(std::lround(r.y1 * m_scale))},
      {0, 0, fb_w, fb_h});
  if (px.empty()) return;
  m_shown_fb.push_back({static_cast<float>(px.x0), static_cast<float>(fb_h - px.y1),
                        static_cast<float>(px.x1), static_cast<float>(fb_h - px.y0)});

  size_t first = 0;
  Rgb under = m_background;
  for (size_t i = fills.size(); i-- > 0;)
    if (fillPixels(fills[i].r, m_scale).contains(px)) {
      under = fills[i].c;
      first = i + 1;
      break;
    }
  glViewport(0, 0, fb_w, fb_h);
  glEnable(GL_SCISSOR_TEST);
  clearPixels(px, under, fb_h);
  for (size_t i = first; i < fills.size(); ++i)
    clearPixels(intersect(fillPixels(fills[i].r, m_scale), px), fills[i].c, fb_h);
  glDisable(GL_SCISSOR_TEST);

  // Each command's clip rectangle becomes exactly the part of the scissor box it gets in a whole
  // frame (scissorOf) that lies in this rectangle, in values the backend turns back into those
  // pixels exactly (whole framebuffer px over a power-of-two scale).
  const ImVec2 o = draw->DisplayPos;
  std::vector<ImDrawList*> lists;
  std::vector<ImVec4> saved;
  for (int li = 0; li < draw->CmdListsCount; ++li) {
    ImDrawList* list = draw->CmdLists[li];
    bool reaches = false;
    for (const ImDrawCmd& cmd : list->CmdBuffer)
      reaches = reaches || !intersect(scissorOf(cmd.ClipRect, o, m_scale, fb_h), px).empty();
    if (!reaches) continue;
    lists.push_back(list);
    for (ImDrawCmd& cmd : list->CmdBuffer) {
      saved.push_back(cmd.ClipRect);
      const FbRect b = intersect(scissorOf(cmd.ClipRect, o, m_scale, fb_h), px);
      cmd.ClipRect = b.empty() ? ImVec4(o.x, o.y, o.x, o.y)
                               : ImVec4(b.x0 / m_scale + o.x, b.y0 / m_scale + o.y,
                                        b.x1 / m_scale + o.x, b.y1 / m_scale + o.y);
    }
  }
  if (lists.empty()) return;
  ImDrawData part = *draw;
  part.CmdLists = lists.data();
  part.CmdListsCount = static_cast<int>(lists.size());
  part.TotalVtxCount = part.TotalIdxCount = 0;
  for (const ImDrawList* l : lists) {
    part.TotalVtxCount += l->VtxBuffer.Size;
    part.TotalIdxCount += l->IdxBuffer.Size;
  }
  ImGui_ImplOpenGL3_RenderDrawData(&part);
  size_t k = 0;
  for (ImDrawList* list : lists)
    for (ImDrawCmd& cmd : list->CmdBuffer) cmd.ClipRect = saved[k++];
}

void FrameRenderer::draw(ImDrawData* draw, const SolidFills& fills) {
  int fb_w = 0, fb_h = 0;
  glfwGetFramebufferSize(m_window, &fb_w, &fb_h);
  const float w = draw->DisplaySize.x, h = draw->DisplaySize.y;
  m_scale = draw->FramebufferScale.x;
  m_shown_fb.clear();
  m_now = collectPrimitives(*draw, fills);

  DamageParams params;
  // Partial redraws need clip rectangles that map to whole framebuffer pixels exactly: a scale of
  // 1, 2 or 4 (a monitor at 1.25 or 1.5 gets whole frames).
  const bool whole_pixels = (m_scale == 1.0f || m_scale == 2.0f || m_scale == 4.0f) &&
                            draw->FramebufferScale.y == m_scale;
  Damage damage;
  if (!partial() || m_invalid || !whole_pixels || fb_w != m_fb_w || fb_h != m_fb_h) {
    damage.full = true;
    damage.area_px = static_cast<double>(w) * h;
  } else {
    damage = diffFrames(m_before, m_now, w, h, params);
  }

  ++m_stats.frames;
  m_stats.window_px += static_cast<double>(w) * h;
  m_stats.redrawn_px += damage.area_px;
  if (damage.full) {
    ++m_stats.whole_frames;
    drawWhole(draw, fills, fb_w, fb_h);
    m_shown_fb.push_back({0, 0, static_cast<float>(fb_w), static_cast<float>(fb_h)});
  } else {
    for (const Rect& r : damage.rects) drawRect(draw, fills, r, fb_w, fb_h);
    if (m_check) {  // also when nothing was redrawn: then nothing may have changed
      const std::vector<unsigned char> partial_px = readPixels(fb_w, fb_h);
      drawWhole(draw, fills, fb_w, fb_h);
      const std::vector<unsigned char> whole_px = readPixels(fb_w, fb_h);
      ++m_stats.checked_frames;
      for (size_t i = 0; i + 3 < whole_px.size(); i += 4)
        if (std::memcmp(&partial_px[i], &whole_px[i], 3) != 0) ++m_stats.differing_px;
      m_shown_fb.assign(1, {0, 0, static_cast<float>(fb_w), static_cast<float>(fb_h)});
    }
  }
  m_fb_w = fb_w, m_fb_h = fb_h;
  m_invalid = false;
  std::swap(m_before, m_now);
}

bool FrameRenderer::drawOffscreen(ImDrawData* draw, const SolidFills& fills,
                                  std::vector<unsigned char>* rgb, int* w, int* h,
                                  std::string* why) {
  // Framebuffer objects are GL 3.0; <GL/gl.h> declares only GL 1.x, so they come through GLFW's
  // loader (GL_ARB_framebuffer_object's names, core in 3.0).
  using GenFn = void (*)(GLsizei, GLuint*);
  using BindFn = void (*)(GLenum, GLuint);
  using StorageFn = void (*)(GLenum, GLenum, GLsizei, GLsizei);
  using AttachFn = void (*)(GLenum, GLenum, GLenum, GLuint);
  using StatusFn = GLenum (*)(GLenum);
  const auto gen_fb = reinterpret_cast<GenFn>(glfwGetProcAddress("glGenFramebuffers"));
  const auto del_fb = reinterpret_cast<void (*)(GLsizei, const GLuint*)>(
      glfwGetProcAddress("glDeleteFramebuffers"));
  const auto bind_fb = reinterpret_cast<BindFn>(glfwGetProcAddress("glBindFramebuffer"));
  const auto gen_rb = reinterpret_cast<GenFn>(glfwGetProcAddress("glGenRenderbuffers"));
  const auto del_rb = reinterpret_cast<void (*)(GLsizei, const GLuint*)>(
      glfwGetProcAddress("glDeleteRenderbuffers"));
  const auto bind_rb = reinterpret_cast<BindFn>(glfwGetProcAddress("glBindRenderbuffer"));
  const auto storage = reinterpret_cast<StorageFn>(glfwGetProcAddress("glRenderbufferStorage"));
  const auto attach = reinterpret_cast<AttachFn>(glfwGetProcAddress("glFramebufferRenderbuffer"));
  const auto status = reinterpret_cast<StatusFn>(glfwGetProcAddress("glCheckFramebufferStatus"));
  if (!gen_fb || !del_fb || !bind_fb || !gen_rb || !del_rb || !bind_rb || !storage || !attach ||
      !status) {
    *why = "this OpenGL has no framebuffer objects, so a larger-than-window image cannot be drawn";
    return false;
  }
  constexpr GLenum kFramebuffer = 0x8D40, kRenderbuffer = 0x8D41, kColor0 = 0x8CE0,
                   kComplete = 0x8CD5, kRgba8 = 0x8058;
  const int fb_w = static_cast<int>(draw->DisplaySize.x * draw->FramebufferScale.x + 0.5f);
  const int fb_h = static_cast<int>(draw->DisplaySize.y * draw->FramebufferScale.y + 0.5f);
  GLint max_rb = 0;
  glGetIntegerv(0x84E8 /* GL_MAX_RENDERBUFFER_SIZE */, &max_rb);
  if (fb_w <= 0 || fb_h <= 0 || fb_w > max_rb || fb_h > max_rb) {
    *why = "an image of " + std::to_string(fb_w) + " x " + std::to_string(fb_h) +
           " px is larger than this OpenGL draws (" + std::to_string(max_rb) +
           " px); make the window smaller";
    return false;
  }
  GLuint fb = 0, rb = 0;
  gen_fb(1, &fb);
  gen_rb(1, &rb);
  bind_rb(kRenderbuffer, rb);
  storage(kRenderbuffer, kRgba8, fb_w, fb_h);
  bind_fb(kFramebuffer, fb);
  attach(kFramebuffer, kColor0, kRenderbuffer, rb);
  bool ok = status(kFramebuffer) == kComplete;
  if (ok) {
    const float saved_scale = m_scale;
    m_scale = draw->FramebufferScale.x;
    drawWhole(draw, fills, fb_w, fb_h);
    m_scale = saved_scale;
    std::vector<unsigned char> px(static_cast<size_t>(fb_w) * fb_h * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(kColor0);
    glReadPixels(0, 0, fb_w, fb_h, GL_RGB, GL_UNSIGNED_BYTE, px.data());
    // GL's rows run bottom-up; a PNG's top-down.
    const size_t row = static_cast<size_t>(fb_w) * 3;
    rgb->resize(px.size());
    for (int y = 0; y < fb_h; ++y)
      std::memcpy(&(*rgb)[static_cast<size_t>(y) * row],
                  &px[static_cast<size_t>(fb_h - 1 - y) * row], row);
    *w = fb_w, *h = fb_h;
  } else {
    *why = "OpenGL could not make a framebuffer of " + std::to_string(fb_w) + " x " +
           std::to_string(fb_h) + " px";
  }
  bind_fb(kFramebuffer, 0);
  bind_rb(kRenderbuffer, 0);
  del_fb(1, &fb);
  del_rb(1, &rb);
  glReadBuffer(GL_BACK);
  m_invalid = true;  // the window's frame is drawn whole next time, at its own scale
  return ok;
}

void FrameRenderer::present() {
  if (!partial()) {
    glfwSwapBuffers(m_window);
    return;
  }
  const auto copy =
      reinterpret_cast<void (*)(Display*, GLXDrawable, int, int, int, int)>(m_copy_sub_buffer);
  for (const Rect& r : m_shown_fb)
    copy(static_cast<Display*>(m_display), m_drawable, static_cast<int>(r.x0),
         static_cast<int>(r.y0), static_cast<int>(r.x1 - r.x0), static_cast<int>(r.y1 - r.y0));
  if (m_shown_fb.empty()) glFlush();
}

}  // namespace rollrig::gui

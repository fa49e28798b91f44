#include "screenshot.h"

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <stb_image_write.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace rollrig::gui {

bool writeBackBufferPng(int w, int h, const std::string& path, std::string* why) {
  if (w <= 0 || h <= 0) {
    *why = "the window has no size to capture";
    return false;
  }
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px.data());
  // GL's rows run bottom-up; a PNG's top-down.
  std::vector<unsigned char> flipped(px.size());
  const size_t row = static_cast<size_t>(w) * 3;
  for (int y = 0; y < h; ++y)
    std::memcpy(&flipped[static_cast<size_t>(y) * row], &px[static_cast<size_t>(h - 1 - y) * row],
                row);
  errno = 0;
  if (!stbi_write_png(path.c_str(), w, h, 3, flipped.data(), static_cast<int>(row))) {
    *why = "could not write the screenshot " + path +
           (errno ? std::string(": ") + std::strerror(errno) : std::string()) +
           "; check that its directory exists and is writable.";
    return false;
  }
  return true;
}

bool writeBackBufferRegionPng(int x0, int y0, int w, int h, int fb_h, const std::string& path,
                              std::string* why) {
  if (w <= 0 || h <= 0) {
    *why = "nothing to capture (an empty region)";
    return false;
  }
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(x0, fb_h - y0 - h, w, h, GL_RGB, GL_UNSIGNED_BYTE, px.data());
  std::vector<unsigned char> flipped(px.size());
  const size_t row = static_cast<size_t>(w) * 3;
  for (int y = 0; y < h; ++y)
    std::memcpy(&flipped[static_cast<size_t>(y) * row], &px[static_cast<size_t>(h - 1 - y) * row],
                row);
  const std::string tmp = path + ".part";
  errno = 0;
  if (!stbi_write_png(tmp.c_str(), w, h, 3, flipped.data(), static_cast<int>(row))) {
    *why = "could not write " + path +
           (errno ? std::string(": ") + std::strerror(errno) : std::string()) +
           "; check that its folder exists and is writable, and that the disk is not full.";
    std::remove(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *why = "could not put " + path + " in place: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace rollrig::gui

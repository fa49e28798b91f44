#include "screenshot.h"

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <stb_image_write.h>

#include <algorithm>
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

namespace {

// Writes rows top-down (`row_bytes` apart) to path + ".part", then renames it over `path`.
bool writePngAtomically(const unsigned char* rows, int w, int h, size_t row_bytes,
                        const std::string& path, std::string* why) {
  const std::string tmp = path + ".part";
  errno = 0;
  if (!stbi_write_png(tmp.c_str(), w, h, 3, rows, static_cast<int>(row_bytes))) {
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

}  // namespace

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
  return writePngAtomically(flipped.data(), w, h, row, path, why);
}

bool writeRgbRegionPng(const std::vector<unsigned char>& rgb, int img_w, int img_h, int x0, int y0,
                       int w, int h, const std::string& path, std::string* why) {
  x0 = std::max(0, x0), y0 = std::max(0, y0);
  w = std::min(w, img_w - x0), h = std::min(h, img_h - y0);
  if (w <= 0 || h <= 0 || rgb.size() < static_cast<size_t>(img_w) * img_h * 3) {
    *why = "nothing to capture (an empty region)";
    return false;
  }
  const size_t row = static_cast<size_t>(img_w) * 3;
  return writePngAtomically(&rgb[static_cast<size_t>(y0) * row + static_cast<size_t>(x0) * 3], w, h,
                            row, path, why);
}

}  // namespace rollrig::gui

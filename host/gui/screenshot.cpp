#include "screenshot.h"

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <stb_image_write.h>

#include <cerrno>
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

}  // namespace rollrig::gui

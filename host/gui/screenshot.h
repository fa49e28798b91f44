// Writes what the window shows to a PNG: the current GL back buffer (after the frame was
// rendered, before the swap) read with glReadPixels, flipped to top-down rows, written with
// stb_image_write (libstb-dev). False with *why when the file cannot be written.
#pragma once

#include <string>

namespace rollrig::gui {

bool writeBackBufferPng(int width_px, int height_px, const std::string& path, std::string* why);

}  // namespace rollrig::gui

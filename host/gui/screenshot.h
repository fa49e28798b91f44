// Writes what the window shows to a PNG: the current GL back buffer (after the frame was
// rendered, before the swap) read with glReadPixels, flipped to top-down rows, written with
// stb_image_write (libstb-dev). False with *why when the file cannot be written.
#pragma once

#include <string>
#include <vector>

namespace rollrig::gui {

bool writeBackBufferPng(int width_px, int height_px, const std::string& path, std::string* why);

// The same for a part of it: x0, y0 (top-left, framebuffer px, y down), w x h, of a back buffer
// fb_h pixels high. The PNG is written to a temporary name beside `path` and renamed over it once
// complete, so an existing file is never left half-written.
bool writeBackBufferRegionPng(int x0, int y0, int w, int h, int fb_h, const std::string& path,
                              std::string* why);

// A region (x0, y0 top-left, w x h) of an image already in memory: `rgb`, img_w x img_h RGB
// pixels, rows top-down. Written to a temporary name and renamed over `path`, as above.
bool writeRgbRegionPng(const std::vector<unsigned char>& rgb, int img_w, int img_h, int x0, int y0,
                       int w, int h, const std::string& path, std::string* why);

}  // namespace rollrig::gui

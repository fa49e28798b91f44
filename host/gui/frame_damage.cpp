#include "frame_damage.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rollrig::gui {

namespace {

// FNV-1a over 32-bit words with a final avalanche (splitmix64's). Hand-written: a fingerprint of
// a few dozen bytes per triangle, thousands per frame; no library hash is both this small and
// stable across runs (std::hash of a string would need a copy per triangle).
struct Fingerprint {
  uint64_t h = 0xcbf29ce484222325ull;
  void word(uint32_t w) { h = (h ^ w) * 0x100000001b3ull; }
  void f(float v) {
    uint32_t w;
    std::memcpy(&w, &v, sizeof w);
    word(w);
  }
  void ptr(const void* p) {
    const auto v = reinterpret_cast<uintptr_t>(p);
    word(static_cast<uint32_t>(v));
    word(static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
  }
  uint64_t done() const {
    uint64_t z = h + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

bool isEmpty(const Rect& r) {
  return !(r.x1 > r.x0 && r.y1 > r.y0);
}

Rect unite(const Rect& a, const Rect& b) {
  return {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}

double area(const Rect& r) {
  return isEmpty(r) ? 0.0 : static_cast<double>(r.width()) * r.height();
}

}  // namespace

std::vector<DrawnPrimitive> collectPrimitives(const ImDrawData& draw, const SolidFills& fills) {
  std::vector<DrawnPrimitive> out;
  out.reserve(fills.size() + static_cast<size_t>(draw.TotalIdxCount / 3));
  for (const SolidFill& fill : fills) {
    if (isEmpty(fill.r)) continue;
    Fingerprint fp;
    fp.word(0x46494c4c);  // "FILL": a fill never equals a triangle
    fp.f(fill.r.x0), fp.f(fill.r.y0), fp.f(fill.r.x1), fp.f(fill.r.y1);
    fp.word((uint32_t{fill.c.r} << 16) | (uint32_t{fill.c.g} << 8) | fill.c.b);
    out.push_back({fp.done(), fill.r});
  }
  const ImVec2 origin = draw.DisplayPos;
  for (int li = 0; li < draw.CmdListsCount; ++li) {
    const ImDrawList* list = draw.CmdLists[li];
    for (const ImDrawCmd& cmd : list->CmdBuffer) {
      if (cmd.UserCallback) continue;
      const Rect clip{cmd.ClipRect.x - origin.x, cmd.ClipRect.y - origin.y,
                      cmd.ClipRect.z - origin.x, cmd.ClipRect.w - origin.y};
      if (isEmpty(clip)) continue;
      for (unsigned int i = 0; i + 2 < cmd.ElemCount; i += 3) {
        Fingerprint fp;
        fp.f(clip.x0), fp.f(clip.y0), fp.f(clip.x1), fp.f(clip.y1);
        fp.ptr(cmd.TextureId);
        Rect box{1e30f, 1e30f, -1e30f, -1e30f};
        for (unsigned int k = 0; k < 3; ++k) {
          const ImDrawVert& v = list->VtxBuffer[static_cast<int>(
              list->IdxBuffer[static_cast<int>(cmd.IdxOffset + i + k)] + cmd.VtxOffset)];
          fp.f(v.pos.x), fp.f(v.pos.y), fp.f(v.uv.x), fp.f(v.uv.y), fp.word(v.col);
          const float x = v.pos.x - origin.x, y = v.pos.y - origin.y;
          box = {std::min(box.x0, x), std::min(box.y0, y), std::max(box.x1, x),
                 std::max(box.y1, y)};
        }
        box = {std::max(box.x0, clip.x0), std::max(box.y0, clip.y0), std::min(box.x1, clip.x1),
               std::min(box.y1, clip.y1)};
        if (isEmpty(box)) continue;  // clipped away (a zero-area triangle draws nothing either)
        out.push_back({fp.done(), box});
      }
    }
  }
  return out;
}

Damage damageFromBoxes(const std::vector<Rect>& boxes, float w, float h,
                       const DamageParams& params) {
  Damage d;
  if (boxes.empty() || w <= 0 || h <= 0) return d;
  const float tile = params.tile_px;
  const int nx = static_cast<int>(std::ceil(w / tile));
  const int ny = static_cast<int>(std::ceil(h / tile));
  std::vector<uint8_t> marked(static_cast<size_t>(nx) * ny, 0);
  bool any = false;
  for (const Rect& b : boxes) {
    // A pixel around the box: a pixel whose centre lies on its edge is drawn, and the backend's
    // scissor (truncated) may reach a fraction of a pixel past a clip rectangle.
    const float x0 = std::max(0.0f, b.x0 - 1.0f), y0 = std::max(0.0f, b.y0 - 1.0f);
    const float x1 = std::min(w, b.x1 + 1.0f), y1 = std::min(h, b.y1 + 1.0f);
    if (!(x1 > x0 && y1 > y0)) continue;
    const int tx0 = static_cast<int>(x0 / tile), ty0 = static_cast<int>(y0 / tile);
    const int tx1 = std::min(nx, static_cast<int>(std::ceil(x1 / tile)));
    const int ty1 = std::min(ny, static_cast<int>(std::ceil(y1 / tile)));
    for (int ty = ty0; ty < ty1; ++ty)
      std::memset(&marked[static_cast<size_t>(ty) * nx + tx0], 1, static_cast<size_t>(tx1 - tx0));
    any = any || (tx1 > tx0 && ty1 > ty0);
  }
  if (!any) return d;

  // Runs of marked tiles in each row, stacked into rectangles while the next row has the same run.
  struct Open {
    int tx0, tx1, ty0;
    bool seen;
  };
  std::vector<Open> open;
  std::vector<Rect> rects;
  const auto close = [&](const Open& o, int ty1) {
    rects.push_back({o.tx0 * tile, o.ty0 * tile, o.tx1 * tile, ty1 * tile});
  };
  for (int ty = 0; ty <= ny; ++ty) {
    for (Open& o : open) o.seen = false;
    std::vector<Open> started;
    for (int tx = 0; ty < ny && tx < nx;) {
      if (!marked[static_cast<size_t>(ty) * nx + tx]) {
        ++tx;
        continue;
      }
      int end = tx;
      while (end < nx && marked[static_cast<size_t>(ty) * nx + end]) ++end;
      auto it = std::find_if(open.begin(), open.end(),
                             [&](const Open& o) { return o.tx0 == tx && o.tx1 == end; });
      if (it != open.end())
        it->seen = true;
      else
        started.push_back({tx, end, ty, true});
      tx = end;
    }
    for (auto it = open.begin(); it != open.end();) {
      if (it->seen) {
        ++it;
      } else {
        close(*it, ty);
        it = open.erase(it);
      }
    }
    open.insert(open.end(), started.begin(), started.end());
  }

  // Too many passes: merge the pair whose union adds the least area, until few enough. Merged
  // rectangles may overlap; a pixel redrawn twice comes out the same (each pass clears first).
  while (rects.size() > params.max_rects) {
    size_t bi = 0, bj = 1;
    double best = 1e300;
    for (size_t i = 0; i < rects.size(); ++i)
      for (size_t j = i + 1; j < rects.size(); ++j) {
        const double added = area(unite(rects[i], rects[j])) - area(rects[i]) - area(rects[j]);
        if (added < best) best = added, bi = i, bj = j;
      }
    rects[bi] = unite(rects[bi], rects[bj]);
    rects.erase(rects.begin() + static_cast<std::ptrdiff_t>(bj));
  }

  for (const Rect& r : rects) {
    const Rect in{r.x0, r.y0, std::min(r.x1, w), std::min(r.y1, h)};
    d.area_px += area(in);
  }
  if (d.area_px > params.full_share * static_cast<double>(w) * h) {
    d.full = true;
    d.area_px = static_cast<double>(w) * h;
    return d;
  }
  d.rects = std::move(rects);
  return d;
}

Damage diffFrames(const std::vector<DrawnPrimitive>& before, const std::vector<DrawnPrimitive>& now,
                  float w, float h, const DamageParams& params) {
  // Most of a frame is drawn in the same order as the last one: the primitives both frames have
  // at the start and at the end, in the same places, cancel out in O(n) without sorting. Only
  // what lies between is compared as multisets.
  const size_t nb = before.size(), nn = now.size(), n = std::min(nb, nn);
  size_t head = 0;
  while (head < n && before[head].key == now[head].key) ++head;
  size_t tail = 0;
  while (tail < n - head && before[nb - 1 - tail].key == now[nn - 1 - tail].key) ++tail;
  std::vector<DrawnPrimitive> a(before.begin() + static_cast<std::ptrdiff_t>(head),
                                before.end() - static_cast<std::ptrdiff_t>(tail));
  std::vector<DrawnPrimitive> b(now.begin() + static_cast<std::ptrdiff_t>(head),
                                now.end() - static_cast<std::ptrdiff_t>(tail));
  const auto byKey = [](const DrawnPrimitive& x, const DrawnPrimitive& y) { return x.key < y.key; };
  std::sort(a.begin(), a.end(), byKey);
  std::sort(b.begin(), b.end(), byKey);
  std::vector<Rect> boxes;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].key < b[j].key)) {
      boxes.push_back(a[i++].box);  // gone: erase it
    } else if (i == a.size() || b[j].key < a[i].key) {
      boxes.push_back(b[j++].box);  // new: draw it
    } else {
      ++i, ++j;  // in both: the same pixels
    }
  }
  return damageFromBoxes(boxes, w, h, params);
}

}  // namespace rollrig::gui

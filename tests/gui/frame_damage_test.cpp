// FrameDamage: what changed between two frames, from their primitives (host/gui/frame_damage.h).
// The frames are real ImGui draw data built in a headless context; the pixels themselves are
// checked end to end under Xvfb (GuiScreenshot.PartialRedrawsGiveTheSamePixelsAsWholeFrames).
#include "frame_damage.h"

#include <gtest/gtest.h>
#include <imgui.h>

#include <functional>
#include <string>
#include <vector>

using namespace rollrig::gui;

namespace {

constexpr float kW = 1260, kH = 720;

class FrameDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(kW, kH);
    io.Fonts->AddFontDefault();
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  }
  void TearDown() override { ImGui::DestroyContext(); }

  // One frame: `draw` adds to the background draw list; returns its primitives.
  std::vector<DrawnPrimitive> frame(const std::function<void(ImDrawList*)>& draw,
                                    const SolidFills& fills = {}) {
    ImGui::GetIO().DeltaTime = 1.0f / 60;
    ImGui::NewFrame();
    draw(ImGui::GetBackgroundDrawList());
    ImGui::Render();
    return collectPrimitives(*ImGui::GetDrawData(), fills);
  }
};

bool contains(const Rect& outer, const Rect& inner) {
  return outer.x0 <= inner.x0 && outer.y0 <= inner.y0 && outer.x1 >= inner.x1 &&
         outer.y1 >= inner.y1;
}
bool covered(const Damage& d, const Rect& r) {
  if (d.full) return true;
  for (const Rect& x : d.rects)
    if (contains(x, r)) return true;
  return false;
}

// A window's worth of things that stay: a grid of lines and some text.
void scenery(ImDrawList* dl) {
  for (int i = 0; i < 20; ++i) {
    dl->AddLine(ImVec2(60.0f * i, 0), ImVec2(60.0f * i, kH), IM_COL32(80, 80, 90, 255));
    dl->AddText(ImVec2(60.0f * i + 4, 300), IM_COL32_WHITE, "label");
  }
}

}  // namespace

TEST_F(FrameDamage, TwoIdenticalFramesHaveNoDamage) {
  auto a = frame(scenery);
  auto b = frame(scenery);
  ASSERT_GT(a.size(), 100u);
  const Damage d = diffFrames(a, b, kW, kH);
  EXPECT_FALSE(d.full);
  EXPECT_TRUE(d.rects.empty());
  EXPECT_EQ(d.area_px, 0.0);
}

TEST_F(FrameDamage, AChangedNumberDamagesOnlyTheTilesAroundIt) {
  auto a = frame([](ImDrawList* dl) {
    scenery(dl);
    dl->AddText(ImVec2(500, 100), IM_COL32_WHITE, "312 N");
  });
  auto b = frame([](ImDrawList* dl) {
    scenery(dl);
    dl->AddText(ImVec2(500, 100), IM_COL32_WHITE, "313 N");
  });
  const Damage d = diffFrames(a, b, kW, kH);
  ASSERT_FALSE(d.full);
  ASSERT_FALSE(d.rects.empty());
  // The changed digit's glyphs (old and new) lie in the damage; the damage is a few tiles.
  ImFont* font = ImGui::GetFont();
  const float x = 500 + font->CalcTextSizeA(font->FontSize, 1e9f, 0, "31").x;
  for (const ImWchar c : {ImWchar('2'), ImWchar('3')}) {
    const ImFontGlyph* g = font->FindGlyph(c);
    EXPECT_TRUE(covered(d, Rect{x + g->X0, 100 + g->Y0, x + g->X1, 100 + g->Y1})) << char(c);
  }
  EXPECT_LE(d.area_px, 4 * 16 * 16.0);
  for (const Rect& r : d.rects) {
    EXPECT_GE(r.x0, 480.0f);
    EXPECT_LE(r.x1, 560.0f);
  }
}

TEST_F(FrameDamage, AMovedThingDamagesWhereItWasAndWhereItIs) {
  auto a = frame([](ImDrawList* dl) {
    scenery(dl);
    dl->AddCircleFilled(ImVec2(200, 500), 12, IM_COL32(255, 120, 60, 255));
  });
  auto b = frame([](ImDrawList* dl) {
    scenery(dl);
    dl->AddCircleFilled(ImVec2(900, 150), 12, IM_COL32(255, 120, 60, 255));
  });
  const Damage d = diffFrames(a, b, kW, kH);
  ASSERT_FALSE(d.full);
  EXPECT_TRUE(covered(d, Rect{188, 488, 212, 512}));  // erase the old ball
  EXPECT_TRUE(covered(d, Rect{888, 138, 912, 162}));  // draw the new one
  EXPECT_LT(d.area_px, 0.02 * kW * kH);
}

TEST_F(FrameDamage, AChangedFillDamagesItsOldAndNewBox) {
  const auto plain = [](ImDrawList*) {};
  auto a = frame(plain, {{Rect{100, 100, 300, 200}, kInWindowField}});
  auto b = frame(plain, {{Rect{100, 100, 320, 200}, kInWindowField}});
  const Damage d = diffFrames(a, b, kW, kH);
  ASSERT_FALSE(d.full);
  EXPECT_TRUE(covered(d, Rect{100, 100, 320, 200}));
  // The same box in another colour is a change too.
  auto c = frame(plain, {{Rect{100, 100, 320, 200}, kPastWindowField}});
  const Damage d2 = diffFrames(b, c, kW, kH);
  EXPECT_TRUE(covered(d2, Rect{100, 100, 320, 200}));
}

TEST_F(FrameDamage, ALineClippedAwayCausesNoDamage) {
  auto a = frame(scenery);
  auto b = frame([](ImDrawList* dl) {
    scenery(dl);
    dl->PushClipRect(ImVec2(0, 0), ImVec2(100, 100));
    dl->AddLine(ImVec2(400, 400), ImVec2(600, 600), IM_COL32_WHITE, 3);  // outside its clip
    dl->PopClipRect();
  });
  const Damage d = diffFrames(a, b, kW, kH);
  EXPECT_TRUE(d.rects.empty());
  EXPECT_FALSE(d.full);
}

TEST_F(FrameDamage, ScatteredChangesMergeIntoAtMostTheRectanglesAllowed) {
  auto a = frame(scenery);
  auto b = frame([](ImDrawList* dl) {
    scenery(dl);
    for (int i = 0; i < 30; ++i)  // thirty small dots spread over the window
      dl->AddRectFilled(ImVec2(40.0f * i, 23.0f * i), ImVec2(40.0f * i + 4, 23.0f * i + 4),
                        IM_COL32_WHITE);
  });
  DamageParams p;
  p.max_rects = 6;
  p.full_share = 1.01;  // never whole: look at the merging
  const Damage d = diffFrames(a, b, kW, kH, p);
  ASSERT_FALSE(d.full);
  EXPECT_LE(d.rects.size(), 6u);
  for (int i = 0; i < 30; ++i)
    EXPECT_TRUE(covered(d, Rect{40.0f * i, 23.0f * i, 40.0f * i + 4, 23.0f * i + 4})) << i;
}

TEST_F(FrameDamage, DamageOverTheShareAllowedRedrawsTheWholeWindow) {
  auto a =
      frame([](ImDrawList* dl) { dl->AddRectFilled(ImVec2(0, 0), ImVec2(kW, kH), 0xff202020); });
  auto b =
      frame([](ImDrawList* dl) { dl->AddRectFilled(ImVec2(0, 0), ImVec2(kW, kH), 0xff303030); });
  const Damage d = diffFrames(a, b, kW, kH);
  EXPECT_TRUE(d.full);
  EXPECT_TRUE(d.rects.empty());
  EXPECT_DOUBLE_EQ(d.area_px, static_cast<double>(kW) * kH);
}

TEST(FrameDamageBoxes, RectanglesAreTileAlignedAndCoverEveryBox) {
  const std::vector<Rect> boxes{{10.5f, 10.5f, 20, 12}, {100, 40, 140, 41}, {1250, 700, 1260, 720}};
  const Damage d = damageFromBoxes(boxes, kW, kH);
  ASSERT_FALSE(d.full);
  for (const Rect& r : d.rects) {
    EXPECT_EQ(static_cast<int>(r.x0) % 16, 0);
    EXPECT_EQ(static_cast<int>(r.y0) % 16, 0);
    EXPECT_EQ(static_cast<int>(r.x1) % 16, 0);
    EXPECT_EQ(static_cast<int>(r.y1) % 16, 0);
  }
  for (const Rect& b : boxes) EXPECT_TRUE(covered(d, b));
  EXPECT_LE(d.area_px, 8 * 16 * 16.0);
}

#include "gui_app.h"

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <vector>

#include "bench.h"
#include "calibrate_view.h"
#include "calibration_controller.h"
#include "coach_gauges.h"
#include "connection_bar.h"
#include "draw_util.h"
#include "export_strip.h"
#include "force_plot.h"
#include "frame_renderer.h"
#include "history_view.h"
#include "hold_panel.h"
#include "holds_table.h"
#ifdef ROLLRIG_HAVE_AUDIO
#include "rollrig/audio/cue_player.h"
#endif
#include "keys.h"
#include "layout.h"
#include "marks_table.h"
#include "plate_view.h"
#include "protocol_panel.h"
#include "replay_bar.h"
#include "replay_controller.h"
#include "resident_memory.h"
#include "rollrig/core/cue_planner.h"
#include "rollrig/core/protocol_guide.h"
#include "rollrig/engine/session_library.h"
#include "rollrig/store/session_store.h"
#include "screenshot.h"
#include "session_controller.h"
#include "sessions_view.h"
#include "settings.h"
#include "settings_view.h"
#include "view_tabs.h"

namespace rollrig::gui {

namespace {

constexpr const char* kFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr const char* kFontPackage = "fonts-dejavu-core";

// [SECTION] Input seen: GLFW callbacks installed before ImGui's (which chains them) mark that the
// user did something, so the next frame is drawn.
std::atomic<bool> g_input{false};
void onKey(GLFWwindow*, int, int, int, int) {
  g_input = true;
}
void onChar(GLFWwindow*, unsigned int) {
  g_input = true;
}
void onMouseButton(GLFWwindow*, int, int, int) {
  g_input = true;
}
void onCursor(GLFWwindow*, double, double) {
  g_input = true;
}
void onScroll(GLFWwindow*, double, double) {
  g_input = true;
}
void onFocus(GLFWwindow*, int) {
  g_input = true;
}
void onSize(GLFWwindow*, int, int) {
  g_input = true;
}
// The window's content was lost (an expose): draw it whole once.
std::atomic<bool> g_exposed{false};
void onRefresh(GLFWwindow*) {
  g_exposed = true;
  g_input = true;
}
// SIGINT / SIGTERM / SIGHUP close the window as the close button does (the session is stopped
// and committed). The loop never sleeps longer than a second, so it sees the flag soon.
volatile std::sig_atomic_t g_quit = 0;
void onSignal(int) {
  g_quit = 1;
}
void onGlfwError(int code, const char* what) {
  std::fprintf(stderr, "rollrig-gui: GLFW error %d: %s\n", code, what);
}

// [SECTION] Fonts: DejaVu Sans at a normal, a large and a huge size (the timer, digits only), all
// times the content scale; ImGui's default font (scaled) when the TTF is missing.
//
// Memory (docs/GUI.md "Measured"): the TTF is read once and shared by the three sizes (ImGui would
// read it once per size, 0.74 MB each), the atlas is not rounded up to a power-of-two height, and
// once the texture is in GL, freeFontCpuCopies() drops ImGui's CPU copies of it (alpha8, RGBA32)
// and the TTF data.
// The whole file in memory from IM_ALLOC (the atlas frees it), or nullptr.
void* readFontFile(const char* path, size_t* bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const std::streamoff n = in ? static_cast<std::streamoff>(in.tellg()) : -1;
  if (n <= 0) return nullptr;
  void* data = IM_ALLOC(static_cast<size_t>(n));
  in.seekg(0);
  if (!in.read(static_cast<char*>(data), n)) {
    IM_FREE(data);
    return nullptr;
  }
  *bytes = static_cast<size_t>(n);
  return data;
}

// `font_scale`: the user's (settings.h), on top of the content scale `scale`.
Fonts loadFonts(float scale, float font_scale, std::vector<ImWchar>* text_ranges,
                std::vector<ImWchar>* digit_ranges) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Flags |= ImFontAtlasFlags_NoPowerOfTwoHeight;
  Fonts f;
  f.scale = scale;
  f.normal_px = kFontNormal_px * scale * font_scale;
  f.large_px = kFontLarge_px * scale * font_scale;
  f.huge_px = kFontHuge_px * scale * font_scale;
  size_t ttf_bytes = 0;
  void* ttf = readFontFile(kFontPath, &ttf_bytes);
  if (ttf) {
    ImFontGlyphRangesBuilder b;
    b.AddRanges(io.Fonts->GetGlyphRangesDefault());
    // General punctuation (dashes, quotes, the ellipsis: the engine's messages use them), arrows,
    // and the few maths signs the panels use.
    static const ImWchar kExtra[] = {0x2010, 0x205E, 0x2190, 0x2193, 0x2264,
                                     0x2265, 0x2713, 0x2713, 0};
    b.AddRanges(kExtra);
    ImVector<ImWchar> r;
    b.BuildRanges(&r);
    text_ranges->assign(r.begin(), r.end());
    ImFontGlyphRangesBuilder d;
    d.AddText("0123456789:\u2013");
    ImVector<ImWchar> dr;
    d.BuildRanges(&dr);
    digit_ranges->assign(dr.begin(), dr.end());
    ImFontConfig cfg;
    cfg.OversampleH = 1;  // large sizes need no oversampling; keeps the atlas small
    // The atlas owns the one copy of the TTF through the first font; the others share it.
    const int n = static_cast<int>(ttf_bytes);
    cfg.FontDataOwnedByAtlas = true;
    f.normal = io.Fonts->AddFontFromMemoryTTF(ttf, n, f.normal_px, &cfg, text_ranges->data());
    cfg.FontDataOwnedByAtlas = false;
    f.large = io.Fonts->AddFontFromMemoryTTF(ttf, n, f.large_px, &cfg, text_ranges->data());
    f.huge = io.Fonts->AddFontFromMemoryTTF(ttf, n, f.huge_px, &cfg, digit_ranges->data());
  }
  if (!f.normal || !f.large || !f.huge) {
    std::fprintf(stderr,
                 "rollrig-gui: warning: could not load %s (apt-get install %s); using ImGui's "
                 "small default font, which is hard to read from the floor.\n",
                 kFontPath, kFontPackage);
    io.Fonts->Clear();  // frees the TTF if a font took it
    if (ttf && !f.normal) IM_FREE(ttf);
    ImFont* d = io.Fonts->AddFontDefault();
    f.normal = f.large = f.huge = d;
    f.fallback = true;
  }
  io.FontDefault = f.normal;
  return f;
}

// Once the backend has uploaded the atlas to a GL texture (ImGui_ImplOpenGL3_CreateDeviceObjects),
// ImGui's CPU copies of it and the TTF data are only dead weight: free them. The glyph tables the
// fonts draw with stay.
void freeFontCpuCopies() {
  ImFontAtlas* atlas = ImGui::GetIO().Fonts;
  atlas->ClearTexData();
  atlas->ClearInputData();
}

// Draws one frame's worth of what the frames draw (a scissored clear, as clearSolidFills does, and
// ImGui's textured, blended triangles), without showing it, so that Mesa's llvmpipe compiles the
// shader variants now rather than at the first real frame. The next frame clears it all.
void compileShadersNow(const Fonts& fonts) {
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  ImDrawList* dl = ImGui::GetForegroundDrawList();
  dl->AddRectFilled(ImVec2(0, 0), ImVec2(40, 40), IM_COL32(200, 100, 50, 255));
  dl->AddRectFilled(ImVec2(10, 10), ImVec2(60, 60), IM_COL32(50, 100, 200, 128), 4.0f);
  dl->AddLine(ImVec2(0, 0), ImVec2(80, 30), IM_COL32_WHITE, 2.0f);
  dl->AddText(fonts.normal, fonts.normal_px, ImVec2(4, 4), IM_COL32_WHITE, "0:00 N");
  ImGui::Render();
  glEnable(GL_SCISSOR_TEST);
  glScissor(0, 0, 8, 8);
  glClear(GL_COLOR_BUFFER_BIT);
  glDisable(GL_SCISSOR_TEST);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  glFinish();
}

// ImGui's style for the current theme (theme.h), from scratch, so a theme switch can call it again.
void applyStyle(float scale) {
  ImGuiStyle st;
  if (g_theme.kind == ThemeKind::kLight) {
    ImGui::StyleColorsLight(&st);
    st.Colors[ImGuiCol_FrameBg] = ImColor(col(kBackground));  // fields on the white panels
  } else {
    ImGui::StyleColorsDark(&st);
  }
  st.WindowBorderSize = 0;
  st.WindowRounding = 0;
  st.FrameRounding = 4;
  st.FramePadding = ImVec2(10, 6);
  st.Colors[ImGuiCol_WindowBg] = ImColor(col(kBackground));
  st.ScaleAllSizes(scale);
  ImGui::GetStyle() = st;
}

// The planner of the guide's cues (switch sides, the stretch's 30 s and 60 s), as the user
// switched them (settings.h guideCueSettings()); the engine plans the others.
core::CuePlanner guideCuePlanner(const GuiSettings& settings) {
  return core::CuePlanner(guideCueSettings(settings));
}

// The print frame's own ImGui context (a PNG "2× for print"): fonts and every size at twice the
// scale, window and table state of its own (so columns fit the larger text; the window's own keep
// theirs), and no input. It lives for the few frames one print takes.
struct PrintContext {
  static constexpr int kFrames = 3;  // drawn in it; the last is the one written
  ImGuiContext* ctx = nullptr;
  Fonts fonts;
  std::vector<ImWchar> text_ranges, digit_ranges;
  int frames = 0;

  void begin(float scale, float font_scale) {
    ctx = ImGui::CreateContext();
    ImGui::SetCurrentContext(ctx);
    ImGui::GetIO().IniFilename = nullptr;
    fonts = loadFonts(scale, font_scale, &text_ranges, &digit_ranges);
    applyStyle(scale);
    ImGui_ImplOpenGL3_Init("#version 130");
    ImGui_ImplOpenGL3_CreateDeviceObjects();
    freeFontCpuCopies();
    frames = 0;
  }
  void end(ImGuiContext* main) {
    ImGui::SetCurrentContext(ctx);
    ImGui_ImplOpenGL3_Shutdown();
    ImGui::DestroyContext(ctx);
    ImGui::SetCurrentContext(main);
    ctx = nullptr;
    fonts = Fonts{};
  }
};

}  // namespace

int runGui(const GuiOptions& opt) {
  glfwSetErrorCallback(onGlfwError);
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGHUP, onSignal);
  if (!glfwInit()) {
    std::fprintf(stderr,
                 "rollrig-gui: cannot open a window: no display (is DISPLAY set?). Without a "
                 "display, record headless: rollrig record --demo.\n");
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
  // Settings (settings.h): a malformed file is shown in the window, and kept until the user changes
  // something.
  const std::string settings_path = defaultSettingsPath();
  const SettingsLoad loaded = loadSettings(settings_path);
  GuiSettings settings = loaded.settings;
  if (!opt.theme.empty())
    settings.theme = opt.theme == "light" ? ThemeKind::kLight : ThemeKind::kDark;
  if (!opt.cues.empty())
    settings.cues = opt.cues == "voice"   ? CueMode::kVoice
                    : opt.cues == "tones" ? CueMode::kTones
                                          : CueMode::kOff;
  setTheme(settings.theme);
  const bool shooting_mode = !opt.screenshot.empty();
  const int width_px = opt.width_px > 0 ? opt.width_px
                       : shooting_mode  ? 1260
                                        : settings.window_w_px;
  const int height_px = opt.height_px > 0 ? opt.height_px
                        : shooting_mode   ? 720
                                          : settings.window_h_px;
  GLFWwindow* window = glfwCreateWindow(width_px, height_px, "rollrig", nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr,
                 "rollrig-gui: could not create an OpenGL 3 window (see the GLFW error "
                 "above); install libgl1-mesa-dri for software rendering.\n");
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);
  glfwSetKeyCallback(window, onKey);
  glfwSetCharCallback(window, onChar);
  glfwSetMouseButtonCallback(window, onMouseButton);
  glfwSetCursorPosCallback(window, onCursor);
  glfwSetScrollCallback(window, onScroll);
  glfwSetWindowFocusCallback(window, onFocus);
  glfwSetWindowSizeCallback(window, onSize);
  glfwSetWindowRefreshCallback(window, onRefresh);

  float xscale = 1, yscale = 1;
  glfwGetWindowContentScale(window, &xscale, &yscale);
  const float scale = std::clamp(std::max(xscale, yscale), 1.0f, 4.0f);
  const GLFWvidmode* mode = glfwGetVideoMode(glfwGetPrimaryMonitor());
  const double min_frame_s = 1.0 / ((mode && mode->refreshRate > 0) ? mode->refreshRate : 60);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed; settings persist later (issue 11)
  std::vector<ImWchar> text_ranges, digit_ranges;
  Fonts fonts =
      loadFonts(scale, static_cast<float>(settings.font_scale), &text_ranges, &digit_ranges);
  applyStyle(scale);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 130");
  // The font atlas goes to GL now (not at the first frame), so its CPU copies can go at once.
  ImGui_ImplOpenGL3_CreateDeviceObjects();
  freeFontCpuCopies();
  // Under llvmpipe, libLLVM's code is most of the resident set, and only the shader compiler runs
  // it: give back the pages its static initialisers touched, compile what the frames need now,
  // and give back the compiler's pages too (resident_memory.h; docs/GUI.md "Measured").
  releaseCleanLibraryPages("libLLVM");
  compileShadersNow(fonts);
  releaseCleanLibraryPages("libLLVM");
  FrameRenderer renderer(window, kBackground, !opt.full_redraw);
  renderer.setCheck(opt.check_redraw);

  const std::string db = opt.db.empty() ? store::defaultLibraryPath() : opt.db;
  SessionController ctl(db, [] { glfwPostEmptyEvent(); });
  ConnectionBarState bar_state;
  bar_state.seed = static_cast<int>(opt.seed);
  bar_state.fast = opt.fast;
  ctl.setNewSessionSettings(newSessionSettings(settings));  // ball, mass, protocol window
  if (opt.demo || !opt.port.empty()) {
    SourceChoice src;
    src.kind = opt.demo ? SourceChoice::Kind::kVirtualRig : SourceChoice::Kind::kPort;
    src.seed = opt.seed;
    src.fast = opt.fast;
    src.port = opt.port;
    src.baud = opt.baud;
    ctl.start(src);
  }

  const bool shooting = shooting_mode;
  core::ProtocolGuide guide{settings.protocol};
  // Cues (settings "cues"): the engine plans the hold, speed and load-band ones (SessionController
  // takeCues()); the guide's own (switch sides, the stretch) are planned here, where the guide is.
  core::CuePlanner guide_cues = guideCuePlanner(settings);
  std::string cue_status;       // the player's one line (e.g. no audio device), shown in the bar
  std::string cue_status_said;  // ... and printed once, for a terminal (scripts/demo)
  const auto sayCueStatus = [&] {
    if (cue_status.empty() || cue_status == cue_status_said) return;
    cue_status_said = cue_status;
    std::fprintf(stderr, "rollrig-gui: %s\n", cue_status.c_str());
  };
#ifdef ROLLRIG_HAVE_AUDIO
  std::unique_ptr<audio::CuePlayer> cue_player;
  CueMode player_mode = CueMode::kOff;
  const auto sound = [&](const core::Cue& cue) {
    if (settings.cues == CueMode::kOff || shooting) return;
    if (!cue_player || player_mode != settings.cues) {
      player_mode = settings.cues;
      cue_player = std::make_unique<audio::CuePlayer>(
          settings.cues == CueMode::kVoice ? audio::CueSound::kVoice : audio::CueSound::kTones);
      cue_status = cue_player->status();
      sayCueStatus();
    }
    cue_player->play(cue);
  };
#else
  const auto sound = [&](const core::Cue&) {
    if (settings.cues != CueMode::kOff)
      cue_status = "the cues are silent: this rollrig-gui was built without sound";
    sayCueStatus();
  };
#endif
  ProtocolPanelState protocol_state;
  protocol_state.settings_error = loaded.error;
  bool settings_changed = false;  // by the user: only then is the file written
  const auto saveNow = [&] {
    protocol_state.settings_error = saveSettings(settings_path, settings);
    if (!protocol_state.settings_error.empty())
      std::fprintf(stderr, "rollrig-gui: %s\n", protocol_state.settings_error.c_str());
  };
  bool frozen = false;  // screenshot mode: the hold condition was met; the view stays as it was
  int frames_after = 0;
  int exit_code = 0;
  bool dirty = true;
  int settle = 2;  // frames still to draw after input (ImGui's hover and active states)
  double last_draw = -1e9;
  std::string said;  // the user's last mark, shown in the plot's title row
  double said_at = 0;
  uint64_t frames_drawn = 0;
  PlotView plot_view;  // follow-live, the whole session, or where the user zoomed / panned to
  if (opt.plot_window_s < 0) plot_view.mode = PlotView::Mode::kWhole;
  if (opt.plot_window_s > 0) plot_view.span_s = std::max(kPlotMinWindow_s, opt.plot_window_s);
  // The views (view_tabs.h): Live, the library's Sessions with the replay of one, History,
  // Calibrate, Settings.
  const std::vector<View> views{View::kLive, View::kSessions, View::kHistory, View::kCalibrate,
                                View::kSettings};
  View view = opt.view == "sessions"                          ? View::kSessions
              : opt.view == "history"                         ? View::kHistory
              : opt.view == "calibrate" || opt.calibrate_demo ? View::kCalibrate
              : opt.view == "settings"                        ? View::kSettings
                                                              : View::kLive;
  LibraryBrowser library(db);
  HistoryLibrary history_library(db);  // read-only, again each time the view is entered
  HistoryViewState history_state;
  // The calibration wizard: its own connection and run (calibration_controller.h).
  CalibrationController calib;
  CalibrateViewState calib_state;
  calib_state.picker.seed = static_cast<int>(opt.seed), calib_state.picker.fast = opt.fast;
  if (opt.calibrate_demo) startCalibrateDemo(calib, opt.seed, opt.fast, opt.calibrate_demo_mass_kg);
  bool calib_frozen = false;  // --calibrate-demo-placement: the screenshot's moment came
  SettingsViewState settings_state;
  // A new font scale rebuilds the font atlas before the next frame (never inside one).
  bool rebuild_fonts = false;
  SessionsViewState sessions_state;
  ReplayController replay;
  HoldsTableState holds_state;         // the replay's selected hold, note field and last edit
  MarksTableState marks_state;         // the replay's selected mark and its fields
  bool show_marks = opt.replay_marks;  // the replay's table shows the marks (M), not the holds
  PlotView replay_plot;                // the replay's own plot view (follow the cursor, zoom, pan)
  std::string replay_error;            // a session that could not be opened (shown in the list)
  // When the replay's open() began, until its first frame is shown (the time is printed then).
  double replay_first_frame_from = -1;
  if (opt.replay_id > 0) {
    if (replay.open(db, opt.replay_id)) {
      view = View::kReplay;
      replay.seek(opt.replay_at_s);
      replay_first_frame_from = glfwGetTime() - replay.openSeconds();
    } else {
      std::fprintf(stderr, "rollrig-gui: cannot replay session %lld: %s\n",
                   static_cast<long long>(opt.replay_id), replay.error().c_str());
      if (shooting) return glfwDestroyWindow(window), glfwTerminate(), 1;
      view = View::kSessions;
    }
  }
  double loop_t = glfwGetTime();  // the replay advances by the loop's wall time
  ExportStripState export_state;
  // A PNG asked for (the export strip's buttons; --screenshot with --screenshot-scale 2): written
  // from the next drawn frame, before it is shown. At factor 2 that frame is drawn for print:
  // twice the window's pixels, with the fonts and every size at twice the scale, as a screen at
  // content scale 2 shows the same window; it is drawn offscreen (FrameRenderer::drawOffscreen),
  // never shown, and the window's next frame is drawn whole at its own scale.
  struct PngRequest {
    std::string part;  // "window", "plot" or "plate"
    std::string path;
    int factor = 1;
  };
  std::optional<PngRequest> png_request;
  Rect shown_plot, shown_plate;  // this frame's force plot and plate view (for --screenshot-of)
  // The part of this frame a PngRequest names, in logical px; empty when the view has none.
  const auto partRect = [&](const std::string& part, ImVec2 size) {
    return part == "plot" ? shown_plot : part == "plate" ? shown_plate : Rect{0, 0, size.x, size.y};
  };
  ImGuiContext* const main_ctx = ImGui::GetCurrentContext();
  PrintContext print;
  const auto buildFonts = [&](float s) {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui::GetIO().Fonts->Clear();
    fonts = loadFonts(s, static_cast<float>(settings.font_scale), &text_ranges, &digit_ranges);
    ImGui_ImplOpenGL3_CreateFontsTexture();
    freeFontCpuCopies();
    renderer.invalidate();
  };
  const auto switchTo = [&](View v) {
    if (v == View::kSessions) sessions_state.refresh_asked = true;
    if (v == View::kHistory) history_state.refresh_asked = true;
    if (v == View::kSessions && view == View::kReplay) replay.setPlaying(false);
    view = v;
  };
  const double started = glfwGetTime();

  while (!glfwWindowShouldClose(window)) {
    const bool continuous = shooting || (ctl.source().fast && ctl.running()) || calib.active() ||
                            (view == View::kReplay && replay.playing());
    const double now = glfwGetTime();
    const double until_slot = std::max(0.0, last_draw + min_frame_s - now);
    if (shooting) {
      glfwPollEvents();  // as fast as it renders: the screenshot waits on device time only
    } else {
      // A --fast demo draws every display slot (each frame grants the rig its next step).
      const double timeout = (continuous || dirty || settle > 0) ? until_slot
                             : ctl.running()                     ? 0.5
                                                                 : 1.0;
      if (timeout <= 0)
        glfwPollEvents();
      else
        glfwWaitEventsTimeout(timeout);
    }
    if (g_quit) break;
    if (opt.bench_s > 0 && glfwGetTime() - started >= opt.bench_s) break;  // --bench: time's up
    if (g_input.exchange(false)) dirty = true, settle = 2;
    if (g_exposed.exchange(false)) renderer.invalidate();
    // The live session records on in every view; only the live view redraws for its samples.
    if (!frozen && ctl.update() && view == View::kLive) dirty = true;
    if (!calib_frozen && calib.update() && view == View::kCalibrate) dirty = true;
    calib_frozen =
        calib_frozen || (shooting && opt.calibrate_demo &&
                         calibrateDemoReached(calib.snapshot(), opt.calibrate_demo_placement));
    {
      const double now_t = glfwGetTime();
      // At most a quarter second a step: a stalled loop does not make the replay jump.
      if (view == View::kReplay && replay.advance(std::min(0.25, now_t - loop_t))) dirty = true;
      loop_t = now_t;
    }
    // The protocol guide runs on the session's device time; its steps mark the side.
    if (!frozen && ctl.running() && ctl.snapshot().samples_recorded > 0) {
      const engine::LiveSnapshot& sn = ctl.snapshot();
      guide.update(sn.elapsed_s, sn.holds, sn.open_hold ? &sn.open_hold->hold : nullptr);
      if (const auto side = guide.takeSideMark()) ctl.markSide(*side);
      core::CueInput gi;
      gi.t_s = sn.elapsed_s;
      gi.guide = &guide.view();
      gi.stretch_hold_max_s = guide.params().stretch_hold_max_s;
      gi.stretch_total_s = guide.params().stretch_total_s;
      for (const core::Cue& c : guide_cues.update(gi)) sound(c);
    }
    for (const core::Cue& c : ctl.takeCues()) sound(c);
    const double t = glfwGetTime();
    // The numbers in the bar (rate, "no data for N s") move even without samples.
    if (ctl.running() && t - last_draw > 0.5) dirty = true;
    if (!said.empty() && t - said_at > 4.0) said.clear(), dirty = true;
    if (twinStarting(bar_state) || twinStarting(calib_state.picker))
      dirty = true;  // until the twin announced its pty (or failed)
    if (!shooting && ((!continuous && !(dirty || settle > 0)) || t - last_draw < min_frame_s))
      continue;

    if (shooting && !frozen) {
      const engine::LiveSnapshot& sn = ctl.snapshot();
      // Rolling: no hold, a rolling speed in each tenth of the last 5 s (a trace to show), and the
      // ball moving now (not paused at a spot).
      size_t rolled = 0;
      for (const engine::RecentPoint& p : sn.recent)
        rolled += p.t_s >= sn.elapsed_s - 5 && p.roll_speed_mm_s.has_value();
      const bool rolling_now = sn.elapsed_s >= opt.screenshot_when_rolling_s && !sn.open_hold &&
                               rolled >= 48 && sn.roll_speed_mm_s && *sn.roll_speed_mm_s > 8;
      if (opt.screenshot_when_hold_s <= 0 && opt.screenshot_when_rolling_s <= 0) {
        // no hold to wait for
      } else if (opt.screenshot_when_hold_s > 0 && sn.open_hold &&
                 sn.open_hold->elapsed_s >= opt.screenshot_when_hold_s) {
        frozen = true;
      } else if (opt.screenshot_when_rolling_s > 0 && rolling_now) {
        frozen = true;
      } else if (sn.finished || sn.elapsed_s > opt.screenshot_give_up_s) {
        const std::string wanted =
            opt.screenshot_when_hold_s > 0
                ? "no hold of " + std::to_string(static_cast<int>(opt.screenshot_when_hold_s)) +
                      " s came"
                : "the ball was not rolling after " +
                      std::to_string(static_cast<int>(opt.screenshot_when_rolling_s)) + " s";
        std::fprintf(stderr,
                     "rollrig-gui: %s in %.0f s of device time (%s); no screenshot was written.\n",
                     wanted.c_str(), sn.elapsed_s, sn.finished ? "the session ended" : "gave up");
        exit_code = 1;
        break;
      }
    }

    if (rebuild_fonts) buildFonts(scale), rebuild_fonts = false;
    // A print frame (PngRequest factor 2) is laid out at twice the scale and size, in its own
    // ImGui context (PrintContext).
    const int print_factor = png_request ? png_request->factor : 1;
    const float frame_scale = scale * static_cast<float>(print_factor);
    if (print_factor > 1) {
      if (!print.ctx) print.begin(frame_scale, static_cast<float>(settings.font_scale));
      ImGui::SetCurrentContext(print.ctx);
      std::swap(fonts, print.fonts);  // the panels draw with the print context's fonts
      ImGui_ImplOpenGL3_NewFrame();
      int ww = 0, wh = 0, fw = 0, fh = 0;
      glfwGetWindowSize(window, &ww, &wh);
      glfwGetFramebufferSize(window, &fw, &fh);
      ImGuiIO& io = ImGui::GetIO();
      io.DisplaySize =
          ImVec2(static_cast<float>(ww * print_factor), static_cast<float>(wh * print_factor));
      io.DisplayFramebufferScale =
          ww > 0 && wh > 0 ? ImVec2(static_cast<float>(fw) / ww, static_cast<float>(fh) / wh)
                           : ImVec2(1, 1);
      io.DeltaTime = 1.0f / 60;
    } else {
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
    }
    ImGui::NewFrame();
    shown_plot = shown_plate = Rect{};
    if (View picked; readViewKey(views, &picked)) switchTo(picked);
    if (view == View::kLive && ctl.running()) {
      const double t_key_s = ctl.snapshot().elapsed_s;
      const GuideKeys gk = readGuideKeys();
      if (gk.next_step) {
        guide.next(t_key_s);
        if (const auto side = guide.takeSideMark()) ctl.markSide(*side);
        said = "next step at " + formatMinSec(t_key_s), said_at = t;
      }
      if (gk.note) protocol_state.note_open = true, protocol_state.note_focus = true;
      for (const MarkKey& key : readMarkKeys()) {
        // During a stretch (off the plate) space times the stretch hold instead.
        if (key.kind == MarkKey::Kind::kReleased && guide.inStretchStep()) {
          const auto held_s = guide.toggleStretchHold(t_key_s);
          if (held_s)
            ctl.addNote("stretch hold " + std::to_string(static_cast<int>(*held_s + 0.5)) + " s");
          said = std::string(held_s ? "stretch hold stopped" : "stretch hold started") + " at " +
                 formatMinSec(t_key_s);
          said_at = t;
          continue;
        }
        applyMarkKey(key, ctl);
        said = "marked " + key.said() + " at " + formatMinSec(ctl.snapshot().elapsed_s);
        said_at = t;
      }
    }

    // Compute every panel's model, then draw.
    const ImVec2 size = ImGui::GetIO().DisplaySize;
    const Layout lay = computeLayout(size.x, size.y, frame_scale);
    SolidFills fills;
    {
      const double recording_s = ctl.running() ? ctl.snapshot().elapsed_s : -1.0;
      View picked;
      if (drawViewTabs(computeViewTabs(views, view, recording_s), lay.tabs, fonts, fills, &picked))
        switchTo(picked), settle = std::max(settle, 2);
    }
    ConnectionBarAction act;
    if (view == View::kLive) {
      const engine::LiveSnapshot& snap = ctl.snapshot();
      const ConnectionBarModel bar = computeConnectionBar(
          snap, ctl.hasSession(), ctl.running(), ctl.errorText(),
          ctl.notice() + (ctl.notice().empty() || cue_status.empty() ? "" : " \u00b7 ") +
              cue_status);
      const std::optional<core::ForceSample> readout =
          forceReadout(ctl.samples(), liveEdge_s(ctl.samples(), snap));
      const HoldPanelModel hold = computeHoldPanel(
          snap, ctl.hasSession(), bar.error, forceFormat(settings), readout ? &*readout : nullptr);
      const ProtocolPanelModel protocol = computeProtocolPanel(guide.view(), guide.params());
      const double last_s = ctl.samples().lastTime_s();
      const ViewKeys vk = readViewKeys();
      if (vk.follow_live) followLive(plot_view);
      if (vk.toggle_pause) togglePause(plot_view, last_s);
      if (vk.auto_force_axis) autoForceAxis(plot_view);
      if (vk.toggle_cells)
        settings.plot_cells = !settings.plot_cells, settings_changed = true, saveNow();
      ForcePlotModel plot = computeForcePlot(ctl.samples(), snap, lay.plot, fonts, plot_view,
                                             forceFormat(settings), settings.plot_cells);
      if (handlePlotMouse(plot_view, plot, last_s)) {
        plot = computeForcePlot(ctl.samples(), snap, lay.plot, fonts, plot_view,
                                forceFormat(settings), settings.plot_cells);
        settle = std::max(settle, 2);
      }
      plot.note = said;
      layoutPlotTitleRow(plot, lay.plot, fonts);
      const PlateViewModel plate = computePlateView(ctl.samples(), snap, lay.plate, fonts);
      // The gauges' limits: the user's load band (settings, at once, cues on or off) and the
      // "slowly" the engine counts the share and the too-fast cue against (LiveSnapshot::rolling).
      core::CueSettings gauge_limits = cueSettings(settings);
      gauge_limits.too_fast_mm_s = snap.rolling.slow_roll_mm_s;
      const CoachGaugesModel gauges =
          computeCoachGauges(snap, gauge_limits, settings.body_mass_kg,
                             readout ? std::optional<double>(readout->total_n) : std::nullopt);
      shown_plot = lay.plot, shown_plate = lay.plate;

      act = drawConnectionBar(bar, bar_state, lay.connection_bar, fonts, fills);
      drawHoldPanel(hold, lay.hold, fonts, fills);
      drawForcePlot(plot, lay.plot, fonts, fills);
      drawPlateView(plate, lay.plate, fonts, fills);
      drawCoachGauges(gauges, lay.gauges, fonts, fills);
      const ProtocolPanelAction pact =
          drawProtocolPanel(protocol, protocol_state, settings, lay.protocol, fonts, fills);
      if (pact.note_kept) {
        ctl.addNote(pact.note);
        said = "note kept at " + formatMinSec(ctl.snapshot().elapsed_s), said_at = t;
      }
      if (pact.settings_changed) settings_changed = true, saveNow();
    } else if (view == View::kSessions) {
      if (sessions_state.refresh_asked) library.refresh(), sessions_state.refresh_asked = false;
      SessionsFilter filter;
      filter.date = sessions_state.date;
      filter.side = static_cast<SessionsFilter::Side>(sessions_state.side);
      const SessionsViewModel sm = computeSessionsView(
          library.sessions(), filter, !replay_error.empty() ? replay_error : library.error());
      SessionsViewAction sa = drawSessionsView(sm, sessions_state, lay.body, fonts, fills);
      if (!sa.open_id && sessions_state.selected_id && !ImGui::GetIO().WantTextInput &&
          ImGui::IsKeyPressed(GLFW_KEY_ENTER, false))
        sa.open_id = sessions_state.selected_id;
      if (sa.open_id) {
        if (replay.open(db, sa.open_id)) {
          replay_first_frame_from = glfwGetTime() - replay.openSeconds();
          replay_error.clear();
          replay_plot = PlotView{};
          holds_state = HoldsTableState{};
          marks_state = MarksTableState{};
          view = View::kReplay;
        } else {
          replay_error = replay.error();
        }
        settle = std::max(settle, 2);
      }
    } else if (view == View::kHistory) {
      if (history_state.refresh_asked)
        history_library.refresh(), history_state.refresh_asked = false;
      const HistoryViewModel hm = computeHistoryView(
          history_library.history(static_cast<HistorySides>(history_state.sides)), history_state,
          forceFormat(settings), lay.body, fonts, history_library.error(),
          history_library.missing() ? history_library.path() : "");
      const HistoryViewAction ha = drawHistoryView(hm, history_state, fonts, fills);
      const HistoryViewAction hk = historyKeyAction(hm, readHistoryKeys());
      applyHistoryAction(hm, ha, history_state);
      applyHistoryAction(hm, hk, history_state);
      if (ha.any() || hk.any()) settle = std::max(settle, 2);
    } else if (view == View::kCalibrate) {
      const CalibrateViewModel cm = computeCalibrateView(calib.snapshot(), lay.body, fonts);
      const CalibrateViewAction ca = drawCalibrateView(cm, calib_state, fonts, fills);
      applyCalibrateAction(ca, calib);
      if (ca.kind != CalibrateViewAction::Kind::kNone) settle = std::max(settle, 2);
    } else if (view == View::kSettings) {
      syncSettingsDraft(settings_state, settings);
      const SettingsContext sc{settings_path, protocol_state.settings_error, ctl.running(),
                               ctl.sessionSettings(), guide.params()};
      drawSettingsView(computeSettingsView(settings_state.draft, settings, sc), settings_state,
                       lay.body, fonts, fills);
      const SettingsApplied ap = applySettingsDraft(settings_state, settings);
      if (ap.changed) settings_changed = true, saveNow(), settle = std::max(settle, 2);
      if (ap.theme)
        setTheme(settings.theme), applyStyle(frame_scale), renderer.setBackground(kBackground);
      if (ap.font_scale) rebuild_fonts = true;
    } else if (view == View::kReplay) {
      const ReplayLayout rl = computeReplayLayout(size.x, size.y, frame_scale, export_state.open);
      // Edits through the replay (ReplayController, docs/GUI.md "Editing in the replay"); the
      // status line of the holds table says what was saved or why not.
      const auto edited = [&](bool ok) {
        holds_state.status = ok ? replay.editMessage() : replay.editError();
        holds_state.status_error = !ok;
        marks_state.status = holds_state.status, marks_state.status_error = !ok;
        settle = std::max(settle, 2);
        return ok;
      };
      if (!ImGui::GetIO().WantTextInput && !holds_state.note_open) {
        if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) replay.setPlaying(!replay.playing());
        if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) switchTo(View::kSessions);
        if (ImGui::IsKeyPressed(GLFW_KEY_LEFT)) replay.seek(replay.cursor_s() - 5);
        if (ImGui::IsKeyPressed(GLFW_KEY_RIGHT)) replay.seek(replay.cursor_s() + 5);
        const bool shift =
            ImGui::IsKeyDown(GLFW_KEY_LEFT_SHIFT) || ImGui::IsKeyDown(GLFW_KEY_RIGHT_SHIFT);
        // Shift + 1-9 jumps to a hold; 0-9 (and the keypad's) give a pain rating at the cursor,
        // N a note, as in the live view.
        for (int d = 0; d <= 9; ++d) {
          const bool pressed = ImGui::IsKeyPressed(GLFW_KEY_0 + d, false) ||
                               (!shift && ImGui::IsKeyPressed(GLFW_KEY_KP_0 + d, false));
          if (!pressed) continue;
          if (shift && d > 0)
            replay.jumpToHold(static_cast<size_t>(d - 1));
          else if (!shift)
            edited(replay.addPainAtCursor(d));
        }
        if (ImGui::IsKeyPressed(GLFW_KEY_N, false))  // the note field is the holds table's
          holds_state.note_open = true, holds_state.note_focus = true, show_marks = false;
        if (ImGui::IsKeyPressed(GLFW_KEY_M, false)) show_marks = !show_marks;
      }
      const ViewKeys rvk = readViewKeys();
      if (rvk.follow_live) followLive(replay_plot);
      if (rvk.toggle_pause) togglePause(replay_plot, replay.cursor_s());
      if (rvk.auto_force_axis) autoForceAxis(replay_plot);
      if (rvk.toggle_cells)
        settings.plot_cells = !settings.plot_cells, settings_changed = true, saveNow();
      const engine::LiveSnapshot& rs = replay.snapshot();
      const ReplayBarModel rb =
          computeReplayBar(replay.details(), replay.duration_s(), replay.cursor_s(),
                           replay.playing(), replay.speed(), rl.bar, frame_scale);
      const std::optional<core::ForceSample> rread =
          forceReadout(replay.samples(), liveEdge_s(replay.samples(), rs));
      const HoldPanelModel rh =
          computeHoldPanel(rs, true, "", forceFormat(settings), rread ? &*rread : nullptr);
      ForcePlotModel rp = computeForcePlot(replay.samples(), rs, rl.plot, fonts, replay_plot,
                                           forceFormat(settings), settings.plot_cells);
      if (handlePlotMouse(replay_plot, rp, replay.duration_s())) {
        rp = computeForcePlot(replay.samples(), rs, rl.plot, fonts, replay_plot,
                              forceFormat(settings), settings.plot_cells);
        settle = std::max(settle, 2);
      }
      layoutPlotTitleRow(rp, rl.plot, fonts);
      shown_plot = rl.plot, shown_plate = rl.plate;
      const PlateViewModel rplate = computePlateView(replay.samples(), rs, rl.plate, fonts);
      HoldsTableModel rt = computeHoldsTable(replay.details(), forceFormat(settings),
                                             replay.cursor_s(), holds_state.selected);
      rt.status = holds_state.status, rt.status_error = holds_state.status_error;

      const ReplayBarAction ra = drawReplayBar(rb, rl.bar, fonts, fills);
      drawHoldPanel(rh, rl.hold, fonts, fills);
      drawForcePlot(rp, rl.plot, fonts, fills);
      drawPlateView(rplate, rl.plate, fonts, fills);
      HoldsTableAction ta;
      if (show_marks) {
        MarksTableModel mt =
            computeMarksTable(replay.details(), replay.cursor_s(), marks_state.selected_id);
        mt.status = marks_state.status, mt.status_error = marks_state.status_error;
        const MarksTableAction ma = drawMarksTable(mt, marks_state, rl.holds_table, fonts, fills);
        if (ma.show_holds) show_marks = false;
        if (ma.clicked) replay.seek(ma.clicked_t_s);
        if (const int64_t id = mt.actions.id) {
          engine::MarkerChange change;
          if (ma.pain) change.pain = *ma.pain;
          if (ma.text) change.text = *ma.text;
          if (ma.side) change.side = *ma.side;
          bool changed = false;
          if (ma.pain || ma.text || ma.side) changed = edited(replay.changeMarker(id, change));
          if (ma.move_to_cursor) changed = edited(replay.moveMarkerToCursor(id));
          if (ma.remove) changed = edited(replay.deleteMarker(id));
          if (changed) marks_state.selected_id = replay.changedMarkerId();  // 0 once deleted
        }
        if (ma.clicked || ma.show_holds) settle = std::max(settle, 2);
      } else {
        ta = drawHoldsTable(rt, holds_state, rl.holds_table, fonts, fills);
        if (ta.show_marks) show_marks = true, settle = std::max(settle, 2);
      }
      const int clicked_hold = ta.clicked;
      if (rt.actions.hold >= 0) {
        const size_t hold = static_cast<size_t>(rt.actions.hold);
        if (ta.confirm) edited(replay.editRelease(hold, store::ReleaseEditKind::kConfirmed));
        if (ta.move_to_cursor) edited(replay.moveReleaseToCursor(hold));
        if (ta.no_release) edited(replay.editRelease(hold, store::ReleaseEditKind::kDeleted));
        if (ta.undo) edited(replay.editRelease(hold, store::ReleaseEditKind::kReverted));
      }
      if (ta.note_kept) edited(replay.addNoteAtCursor(ta.note));
      if (export_state.open) {
        const int64_t id = replay.details().record.id;
        if (export_state.session_id != id) {
          export_state.session_id = id;
          std::snprintf(export_state.folder, sizeof export_state.folder, "%s",
                        defaultExportDir(id).c_str());
          export_state.message.clear();
        }
        const ExportStripAction ea = drawExportStrip(export_state, rl.export_strip, fonts, fills);
        const std::string folder = export_state.folder;
        const auto pngTo = [&](const char* part, const char* name) {
          std::error_code ec;
          std::filesystem::create_directories(folder, ec);
          if (ec) {
            export_state.message = "cannot make " + folder + ": " + ec.message();
            export_state.message_is_error = true;
            return;
          }
          const int factor = export_state.print_2x ? 2 : 1;
          png_request =
              PngRequest{part, folder + "/" + name + (factor > 1 ? "@2x.png" : ".png"), factor};
        };
        if (ea.png_plot) pngTo("plot", "force-plot");
        if (ea.png_plate) pngTo("plate", "plate");
        if (ea.png_window) pngTo("window", "window");
        if (ea.session_files) {
          store::SessionStore st;
          engine::ExportOptions eo;
          eo.force = true;  // our own files in the folder are replaced, each renamed into place
          engine::ExportResult res;
          if (store::StoreError e = openLibraryForReading(st, db)) {
            export_state.message = e.message;
            export_state.message_is_error = true;
          } else if (engine::LibraryError le = engine::exportSession(st, id, folder, eo, &res)) {
            export_state.message = le.message;
            export_state.message_is_error = true;
          } else {
            export_state.message = std::to_string(res.files.size()) + " files (" +
                                   std::to_string(res.samples) + " samples) written to " + folder;
            export_state.message_is_error = false;
          }
        }
        if (ea.close) export_state.open = false;
        if (ea.close || ea.session_files || ea.png_plot || ea.png_plate || ea.png_window)
          settle = std::max(settle, 2);
      }
      if (ra.toggle_export) export_state.open = !export_state.open, settle = std::max(settle, 2);
      if (ra.back) switchTo(View::kSessions);
      if (ra.toggle_play) replay.setPlaying(!replay.playing());
      if (ra.speed > 0) replay.setSpeed(ra.speed);
      if (ra.seek_s >= 0) replay.seek(ra.seek_s);
      if (ra.jump_to_hold >= 0) replay.jumpToHold(static_cast<size_t>(ra.jump_to_hold));
      if (clicked_hold >= 0) {
        // The cursor to the hold, the plot onto it (with a little before and after).
        const core::Hold& h = replay.details().holds[static_cast<size_t>(clicked_hold)];
        replay.jumpToHold(static_cast<size_t>(clicked_hold));
        replay_plot.mode = PlotView::Mode::kFixed;
        replay_plot.span_s = std::max(kPlotMinWindow_s, h.duration_s() + 10.0);
        replay_plot.t1_s = std::min(replay.duration_s(), h.end_s + 5.0);
      }
      if (ra.back || ra.toggle_play || ra.speed > 0 || ra.seek_s >= 0 || clicked_hold >= 0)
        settle = std::max(settle, 2);
    }
    ImGui::Render();

    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    if (print_factor > 1 && ++print.frames < PrintContext::kFrames) {
      // A warm-up frame: window and table sizes settle on the larger text.
      std::swap(fonts, print.fonts);
      ImGui::SetCurrentContext(main_ctx);
      dirty = true;
      continue;
    }
    if (print_factor > 1) {
      // The print frame: drawn offscreen, its part written, never shown.
      const PngRequest q = *png_request;
      png_request.reset();
      const ImVec2 fs = ImGui::GetIO().DisplayFramebufferScale;
      const Rect part = partRect(q.part, size);
      std::vector<unsigned char> rgb;
      int img_w = 0, img_h = 0;
      std::string why;
      bool ok = part.width() > 0;
      if (!ok) why = "this view has no " + q.part + " to capture";
      ok = ok && renderer.drawOffscreen(ImGui::GetDrawData(), fills, &rgb, &img_w, &img_h, &why);
      const int x0 = static_cast<int>(part.x0 * fs.x), y0 = static_cast<int>(part.y0 * fs.y);
      const int w = std::min(img_w - x0, static_cast<int>(part.width() * fs.x));
      const int h = std::min(img_h - y0, static_cast<int>(part.height() * fs.y));
      ok = ok && writeRgbRegionPng(rgb, img_w, img_h, x0, y0, w, h, q.path, &why);
      std::swap(fonts, print.fonts);
      print.end(main_ctx);
      if (shooting) {
        if (!ok) std::fprintf(stderr, "rollrig-gui: %s\n", why.c_str()), exit_code = 1;
        break;
      }
      export_state.message = ok ? "saved " + q.path + " (" + std::to_string(w) + " x " +
                                      std::to_string(h) + " px, twice the window's, for print)"
                                : why;
      export_state.message_is_error = !ok;
      dirty = true, settle = std::max(settle, 2);  // the window's own frame, with the message
      continue;
    }
    renderer.draw(ImGui::GetDrawData(), fills);
    if (png_request && png_request->factor == 1) {  // a print waits for its own frame
      // The region as drawn this frame (before it is shown), in framebuffer pixels.
      const ImVec2 fs = ImGui::GetIO().DisplayFramebufferScale;
      const PngRequest& q = *png_request;
      const Rect r = partRect(q.part, size);
      const int x0 = static_cast<int>(r.x0 * fs.x), y0 = static_cast<int>(r.y0 * fs.y);
      const int w = std::min(fb_w - x0, static_cast<int>(r.width() * fs.x));
      const int h = std::min(fb_h - y0, static_cast<int>(r.height() * fs.y));
      std::string why;
      if (writeBackBufferRegionPng(x0, y0, w, h, fb_h, q.path, &why)) {
        export_state.message =
            "saved " + q.path + " (" + std::to_string(w) + " x " + std::to_string(h) + " px)";
        export_state.message_is_error = false;
      } else {
        export_state.message = why;
        export_state.message_is_error = true;
      }
      png_request.reset();
      settle = std::max(settle, 2);  // show the message
    }

    // Without a hold to wait for, frames count once the session has something to show: its first
    // sample, or its end (a port that could not be opened); at once with nothing connected.
    const engine::LiveSnapshot& shown = ctl.snapshot();
    const bool ready = opt.calibrate_demo ? calib_frozen
                       : opt.screenshot_when_hold_s > 0 || opt.screenshot_when_rolling_s > 0
                           ? frozen
                           : !ctl.hasSession() || shown.samples_recorded > 0 || shown.finished;
    if (shooting && ready && ++frames_after >= opt.frames && opt.screenshot_scale > 1) {
      // Written from the next frame, drawn for print (PngRequest); that ends the run.
      png_request = PngRequest{opt.screenshot_of, opt.screenshot, opt.screenshot_scale};
    } else if (shooting && ready && frames_after >= opt.frames) {
      std::string why;
      const Rect* part = opt.screenshot_of == "plot"    ? &shown_plot
                         : opt.screenshot_of == "plate" ? &shown_plate
                                                        : nullptr;
      const ImVec2 fs = ImGui::GetIO().DisplayFramebufferScale;
      if (part && part->width() > 0) {
        const int x0 = static_cast<int>(part->x0 * fs.x), y0 = static_cast<int>(part->y0 * fs.y);
        if (!writeBackBufferRegionPng(x0, y0,
                                      std::min(fb_w - x0, static_cast<int>(part->width() * fs.x)),
                                      std::min(fb_h - y0, static_cast<int>(part->height() * fs.y)),
                                      fb_h, opt.screenshot, &why)) {
          std::fprintf(stderr, "rollrig-gui: %s\n", why.c_str());
          exit_code = 1;
        }
      } else if (part) {
        std::fprintf(stderr, "rollrig-gui: this view has no %s to capture\n",
                     opt.screenshot_of.c_str());
        exit_code = 1;
      } else if (!writeBackBufferPng(fb_w, fb_h, opt.screenshot, &why)) {
        std::fprintf(stderr, "rollrig-gui: %s\n", why.c_str());
        exit_code = 1;
      }
      break;
    }
    renderer.present();
    ++frames_drawn;
    if (view == View::kReplay && replay_first_frame_from >= 0) {
      std::fprintf(stderr,
                   "rollrig-gui: session %lld (%.0f s, %zu samples) opened for replay: read in "
                   "%.3f s, first frame shown %.3f s after opening began\n",
                   static_cast<long long>(replay.details().record.id), replay.duration_s(),
                   replay.samples().size(), replay.openSeconds(),
                   glfwGetTime() - replay_first_frame_from);
      replay_first_frame_from = -1;
    }
    if (!frozen) ctl.nextStep();
    if (!calib_frozen) calib.nextStep();
    last_draw = t;
    dirty = false;
    if (settle > 0) --settle;

    switch (act.kind) {
      case ConnectionBarAction::Kind::kConnect:
        ctl.setNewSessionSettings(newSessionSettings(settings));
        ctl.start(act.source);
        guide = core::ProtocolGuide{settings.protocol};  // a new session starts the protocol again
        guide_cues = guideCuePlanner(settings);
        dirty = true;
        break;
      case ConnectionBarAction::Kind::kStop:
        ctl.stop();
        dirty = true;
        break;
      case ConnectionBarAction::Kind::kNone:
        break;
    }
  }

  if (opt.print_stats) {
    const double wall_s = glfwGetTime() - started;
    std::fprintf(stderr,
                 "rollrig-gui: %llu frames drawn in %.1f s (%.1f fps); %.1f s of device time\n",
                 static_cast<unsigned long long>(frames_drawn), wall_s,
                 wall_s > 0 ? frames_drawn / wall_s : 0.0, ctl.snapshot().elapsed_s);
    const RedrawStats& rs = renderer.stats();
    std::fprintf(stderr,
                 "rollrig-gui: redraws: %s; %llu of %llu frames whole, %.1f %% of the pixels "
                 "redrawn\n",
                 renderer.partial() ? "partial (GLX_MESA_copy_sub_buffer)" : "whole frames",
                 static_cast<unsigned long long>(rs.whole_frames),
                 static_cast<unsigned long long>(rs.frames),
                 rs.window_px > 0 ? 100.0 * rs.redrawn_px / rs.window_px : 0.0);
    if (opt.check_redraw)
      std::fprintf(stderr,
                   "rollrig-gui: redraw check: %llu partial frames compared with whole redraws, "
                   "%llu pixels differed\n",
                   static_cast<unsigned long long>(rs.checked_frames),
                   static_cast<unsigned long long>(rs.differing_px));
    std::fprintf(
        stderr, "%s\n",
        formatMemory(measureMemory(), ctl.samples().bytes(), ctl.samples().size()).c_str());
  }
  if (opt.bench_s > 0) {
    const BenchFigures b = measureBench(opt.bench_idle, glfwGetTime() - started, frames_drawn,
                                        ctl.snapshot().elapsed_s);
    std::printf("%s\n", formatBench(b, opt.bench_json).c_str());
    std::fflush(stdout);
  }
  ctl.stop();
  // The window's size as the user left it (logical px); saved only if the user changed something.
  if (!shooting) {
    // GLFW_SCALE_TO_MONITOR made the window `scale` times the size asked (on X11), so the saved
    // size is divided back: the next start asks for the same logical size.
    int ww = 0, wh = 0;
    glfwGetWindowSize(window, &ww, &wh);
    float sx = 1, sy = 1;
    glfwGetWindowContentScale(window, &sx, &sy);
    const int lw = static_cast<int>(ww / std::max(sx, 1.0f) + 0.5f);
    const int lh = static_cast<int>(wh / std::max(sy, 1.0f) + 0.5f);
    if (ww > 0 && wh > 0 && (std::abs(lw - width_px) > 1 || std::abs(lh - height_px) > 1)) {
      settings.window_w_px = lw, settings.window_h_px = lh;
      settings_changed = true;
    }
    if (settings_changed) saveNow();
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return exit_code;
}

}  // namespace rollrig::gui

#include "connection_bar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace rollrig::gui {

namespace {

std::string fmt(const char* f, double a) {
  char b[64];
  std::snprintf(b, sizeof(b), f, a);
  return b;
}

// `s` cut to fit `max_w` at `px`, ending in "…" when cut (hover shows the whole).
std::string ellipsize(ImFont* f, float px, const std::string& s, float max_w) {
  if (textSize(f, px, s).x <= max_w) return s;
  std::string cut = s;
  while (!cut.empty()) {
    unsigned char c = 0;
    do {  // one whole UTF-8 character: its continuation bytes, then its lead byte
      c = static_cast<unsigned char>(cut.back());
      cut.pop_back();
    } while (!cut.empty() && (c & 0xC0) == 0x80);
    if (textSize(f, px, cut + "\u2026").x <= max_w) return cut + "\u2026";
  }
  return "";
}

}  // namespace

ConnectionBarModel computeConnectionBar(const engine::LiveSnapshot& snap, bool has_session,
                                        bool running, const std::string& controller_error,
                                        const std::string& notice) {
  ConnectionBarModel m;
  m.notice = notice;
  // The session's own warnings (a calibration made for another device or unreadable, firmware
  // older than the bundled one), as `rollrig record` prints them.
  if (has_session)
    for (const std::string& w : snap.warnings) m.notice += (m.notice.empty() ? "" : " \u00b7 ") + w;
  m.error = controller_error;
  m.picker = !running;
  if (!has_session) return m;
  if (m.error.empty()) {
    if (snap.state == engine::ConnectionState::kFailed ||
        snap.end_reason == engine::EndReason::kStartFailed)
      m.error = snap.device_error.message.empty() ? snap.last_error : snap.device_error.message;
    else if (!snap.last_error.empty())
      m.error = snap.last_error;
  }
  if (!snap.source.empty()) m.items.push_back({snap.source, kLightText});
  if (snap.info) {
    char b[96];
    std::snprintf(b, sizeof(b), "serial %08X \u00b7 fw %u.%u.%u", snap.info->device_serial,
                  snap.info->fw_major, snap.info->fw_minor, snap.info->fw_patch);
    m.items.push_back({b, kAxisText, true});
    const double nominal = snap.info->rate_hz > 0 ? snap.info->rate_hz : 80.0;
    const bool streaming = snap.state == engine::ConnectionState::kStreaming;
    const bool off = streaming && snap.samples_recorded > 0 &&
                     std::abs(snap.rate_hz - nominal) > nominal * kRateTolerance;
    m.items.push_back({fmt("%.1f Hz", snap.rate_hz) + (off ? fmt(" (not %.0f Hz)", nominal) : ""),
                       off ? kWarning : kOk});
  }
  const auto count = [](const char* what, uint64_t n) {
    return BarItem{std::string(what) + " " + std::to_string(n), n ? kWarning : kAxisText};
  };
  m.items.push_back(count("lost", snap.stats.frames_lost));
  m.items.push_back(count("CRC errors", snap.stats.crc_errors));
  switch (snap.state) {
    case engine::ConnectionState::kConnecting:
      m.items.push_back({"connecting\u2026", kWarning});
      break;
    case engine::ConnectionState::kStreaming:
      if (snap.since_last_sample_s >= 1.0)
        m.items.push_back(
            {fmt("no data for %.0f s", std::floor(snap.since_last_sample_s)), kWarning});
      else
        m.items.push_back({"recording " + fmt("%.0f s", snap.elapsed_s), kOk});
      break;
    case engine::ConnectionState::kReconnecting:
      m.items.push_back({"reconnecting\u2026", kWarning});
      if (m.error.empty()) m.error = snap.state_message;
      break;
    case engine::ConnectionState::kEnded:
      m.items.push_back(
          {"ended" + (snap.stop_reason.empty() ? "" : ": " + snap.stop_reason), kAxisText});
      break;
    case engine::ConnectionState::kFailed:
      m.items.push_back({"failed", kError});
      break;
  }
  return m;
}

void layoutConnectionBar(ConnectionBarModel& m, const Rect& r, const Fonts& f) {
  const float s = f.scale, pad = 8 * s, gap = 22 * s;
  const ImVec2 stop = textSize(f.normal, f.normal_px, "Stop");
  const float frame_h = stop.y + 12 * s;  // ImGui's frame: the text and FramePadding (6 px) twice
  m.stop_button = {r.x0 + pad, (r.y0 + r.y1 - frame_h) * 0.5f, r.x0 + pad + stop.x + 20 * s,
                   (r.y0 + r.y1 + frame_h) * 0.5f};
  const float x0 = m.stop_button.x1 + gap, avail = r.x1 - pad - x0;
  const auto width = [&](float px, bool with_optional) {
    float w = 0;
    int n = 0;
    for (const BarItem& it : m.items)
      if (with_optional || !it.optional) w += textSize(f.normal, px, it.text).x, ++n;
    return w + gap * std::max(0, n - 1);
  };
  bool with_optional = true;
  float px = f.normal_px;
  if (width(px, true) > avail) {
    px = std::max(0.7f * f.normal_px, f.normal_px * avail / width(f.normal_px, true));
    if (width(px, true) > avail) {
      with_optional = false;
      px = std::clamp(f.normal_px * avail / width(f.normal_px, false), 0.7f * f.normal_px,
                      f.normal_px);
    }
  }
  m.text_px = px;
  m.text_y = (r.y0 + r.y1 - textSize(f.normal, px, "Ag").y) * 0.5f;
  float x = x0;
  for (BarItem& it : m.items) {
    const float w = textSize(f.normal, px, it.text).x;
    if ((it.optional && !with_optional) || x + w > r.x1 - pad) {
      it.x = -1;  // left out (never drawn past the bar's edge)
      continue;
    }
    it.x = x;
    x += w + gap;
  }
}

// [SECTION] The firmware twin

void startTwin(ConnectionBarState& st) {
  st.twin.reset();  // stops a twin that runs
  st.twin_connected = false;
  st.twin_failed = false;
  const TwinPaths paths = findTwin(st.exe_dir);
  if (!paths.missing.empty()) {
    st.twin_status = paths.missing;
    st.twin_failed = true;
    return;
  }
  st.twin = std::make_unique<ChildProcess>();
  if (!st.twin->start(twinCommand(paths, std::max(0, st.seed)))) {
    st.twin_status = "cannot start rollrig-twin: " + st.twin->error();
    st.twin_failed = true;
    st.twin.reset();
    return;
  }
  st.twin_status = "starting the firmware twin\u2026";
}

ConnectionBarAction updateTwin(ConnectionBarState& st, bool session_running) {
  ConnectionBarAction act;
  if (!st.twin) return act;
  const ChildProcess::State state = st.twin->poll();
  if (state == ChildProcess::State::kExited) {
    st.twin_status = "the firmware twin " + st.twin->error();
    st.twin_failed = true;
    st.twin.reset();
    st.twin_connected = false;
    return act;
  }
  if (st.twin_connected && !session_running) {
    st.twin.reset();  // the session it fed stopped: so does the twin
    st.twin_connected = false;
    st.twin_status = "firmware twin stopped with its session";
    st.twin_failed = false;
    return act;
  }
  if (state == ChildProcess::State::kReady && !st.twin_connected) {
    st.twin_connected = true;
    st.twin_status = "firmware twin on " + st.twin->announced();
    act.kind = ConnectionBarAction::Kind::kConnect;
    act.source.kind = SourceChoice::Kind::kPort;
    act.source.port = st.twin->announced();
  }
  return act;
}

bool twinStarting(const ConnectionBarState& st) {
  return st.twin && st.twin->state() == ChildProcess::State::kStarting;
}

void refreshPorts(ConnectionBarState& st) {
  st.ports.clear();
  st.list_error.clear();
  io::IoError err;
  if (!io::listPorts(&st.ports, &err)) st.list_error = err.message;
  st.listed = true;
  if (st.port_index >= static_cast<int>(st.ports.size())) st.port_index = -1;
}

ConnectionBarAction drawConnectionBar(const ConnectionBarModel& model, ConnectionBarState& st,
                                      const Rect& r, const Fonts& f, SolidFills& fills) {
  ConnectionBarAction act = updateTwin(st, !model.picker);
  if (!beginPanel("##connection", r)) {
    endPanel();
    return act;
  }
  const float s = f.scale;
  fills.push_back({r, kPanel});
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::SetCursorPosY((r.height() - ImGui::GetFrameHeight()) * 0.5f);
  using Pick = ConnectionBarState::Pick;
  if (model.picker) {
    if (!st.listed) refreshPorts(st);
    if (st.pick == Pick::kPort && st.port_index < 0) st.pick = Pick::kTyped;
    // One list of sources, then what that source needs, then Connect.
    const auto pickName = [&]() -> std::string {
      switch (st.pick) {
        case Pick::kVirtualRig:
          return "virtual rig";
        case Pick::kTwin:
          return "firmware twin";
        case Pick::kPort:
          return st.ports[st.port_index].path + "  " + st.ports[st.port_index].description;
        case Pick::kTyped:
          return "a path typed in";
      }
      return "";
    };
    ImGui::SetNextItemWidth(std::min(260 * s, r.width() * 0.28f));
    if (ImGui::BeginCombo("##source", pickName().c_str())) {
      if (ImGui::Selectable("virtual rig (the body model, in process)",
                            st.pick == Pick::kVirtualRig))
        st.pick = Pick::kVirtualRig;
      if (ImGui::Selectable("firmware twin (the real firmware in simavr)", st.pick == Pick::kTwin))
        st.pick = Pick::kTwin;
      for (int i = 0; i < static_cast<int>(st.ports.size()); ++i) {
        const std::string label = st.ports[i].path + "  " + st.ports[i].description;
        if (ImGui::Selectable(label.c_str(), st.pick == Pick::kPort && i == st.port_index))
          st.pick = Pick::kPort, st.port_index = i;
      }
      if (ImGui::Selectable("a path typed in (a serial port or a pty)", st.pick == Pick::kTyped))
        st.pick = Pick::kTyped;
      ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (st.pick == Pick::kVirtualRig || st.pick == Pick::kTwin) {
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted("seed");
      ImGui::SameLine();
      ImGui::SetNextItemWidth(110 * s);
      ImGui::InputInt("##seed", &st.seed);
      ImGui::SameLine();
    }
    if (st.pick == Pick::kVirtualRig) {
      ImGui::Checkbox("fast", &st.fast);
      ImGui::SameLine();
    }
    if (st.pick == Pick::kTyped) {
      ImGui::SetNextItemWidth(std::min(220 * s, r.width() * 0.22f));
      ImGui::InputTextWithHint("##path", "/dev/ttyACM0", st.typed_path, sizeof(st.typed_path));
      ImGui::SameLine();
    }
    const std::string path = st.pick == Pick::kPort    ? st.ports[st.port_index].path
                             : st.pick == Pick::kTyped ? std::string(st.typed_path)
                                                       : std::string();
    const bool starting = twinStarting(st);
    ImGui::BeginDisabled(starting ||
                         ((st.pick == Pick::kPort || st.pick == Pick::kTyped) && path.empty()));
    if (ImGui::Button("Connect")) {
      switch (st.pick) {
        case Pick::kVirtualRig:
          act.kind = ConnectionBarAction::Kind::kConnect;
          act.source.kind = SourceChoice::Kind::kVirtualRig;
          act.source.seed = static_cast<uint64_t>(std::max(0, st.seed));
          act.source.fast = st.fast;
          break;
        case Pick::kTwin:
          startTwin(st);  // connects once the twin announced its pty (updateTwin)
          break;
        case Pick::kPort:
        case Pick::kTyped:
          act.kind = ConnectionBarAction::Kind::kConnect;
          act.source.kind = SourceChoice::Kind::kPort;
          act.source.port = path;
          break;
      }
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Refresh")) refreshPorts(st);
    // The twin's state, or the port list's error: the rest of the row, shrunk to fit; hover for
    // the whole message.
    const std::string& what = !st.twin_status.empty()  ? st.twin_status
                              : !st.list_error.empty() ? st.list_error
                                                       : model.notice;
    if (!what.empty()) {
      ImGui::SameLine(0, 16 * s);
      const float x = ImGui::GetCursorScreenPos().x, w = r.x1 - 8 * s - x;
      const bool is_notice = st.twin_status.empty() && st.list_error.empty();
      const bool bad = !is_notice && (st.twin_status.empty() || st.twin_failed);
      const float px = std::max(0.7f * f.normal_px, fitPx(f.normal, f.normal_px, what, w));
      const std::string shown = ellipsize(f.normal, px, what, w);
      const float y = (r.y0 + r.y1 - textSize(f.normal, px, shown).y) * 0.5f;
      if (!shown.empty())
        text(dl, f.normal, px, ImVec2(x, y), bad ? kError : is_notice ? kWarning : kOk, shown);
      if (ImGui::IsMouseHoveringRect(ImVec2(x, r.y0), ImVec2(r.x1, r.y1)) && shown != what)
        ImGui::SetTooltip("%s", what.c_str());
    }
  } else {
    ConnectionBarModel m = model;
    if (st.twin_connected) m.items.insert(m.items.begin(), BarItem{"firmware twin", kOk});
    if (!m.notice.empty()) m.items.push_back(BarItem{m.notice, kWarning, true});
    layoutConnectionBar(m, r, f);
    ImGui::SetCursorScreenPos(ImVec2(m.stop_button.x0, m.stop_button.y0));
    if (ImGui::Button("Stop")) act.kind = ConnectionBarAction::Kind::kStop;
    for (const BarItem& it : m.items)
      if (it.x >= 0) text(dl, f.normal, m.text_px, ImVec2(it.x, m.text_y), it.colour, it.text);
  }
  // Errors are shown large in the hold panel (computeHoldPanel's `error`); notices (e.g. sessions
  // recovered) in the bar: the picker's status slot, or the session row's last item.
  endPanel();
  return act;
}

}  // namespace rollrig::gui

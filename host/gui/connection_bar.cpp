#include "connection_bar.h"

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

}  // namespace

ConnectionBarModel computeConnectionBar(const engine::LiveSnapshot& snap, bool has_session,
                                        bool running, const std::string& controller_error,
                                        const std::string& notice) {
  ConnectionBarModel m;
  m.notice = notice;
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
    m.items.push_back({b, kAxisText});
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

void refreshPorts(ConnectionBarState& st) {
  st.ports.clear();
  st.list_error.clear();
  io::IoError err;
  if (!io::listPorts(&st.ports, &err)) st.list_error = err.message;
  st.listed = true;
  if (st.port_index >= static_cast<int>(st.ports.size())) st.port_index = -1;
}

ConnectionBarAction drawConnectionBar(const ConnectionBarModel& m, ConnectionBarState& st,
                                      const Rect& r, const Fonts& f, SolidFills& fills) {
  ConnectionBarAction act;
  if (!beginPanel("##connection", r)) {
    endPanel();
    return act;
  }
  const float s = f.scale;
  fills.push_back({r, kPanel});
  ImGui::SetCursorPosY((r.height() - ImGui::GetFrameHeight()) * 0.5f);
  if (m.picker) {
    if (!st.listed) refreshPorts(st);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Connect:");
    ImGui::SameLine();
    if (ImGui::Button("Virtual rig")) {
      act.kind = ConnectionBarAction::Kind::kConnect;
      act.source.kind = SourceChoice::Kind::kVirtualRig;
      act.source.seed = static_cast<uint64_t>(std::max(0, st.seed));
      act.source.fast = st.fast;
    }
    ImGui::SameLine();
    ImGui::TextUnformatted("seed");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(110 * s);
    ImGui::InputInt("##seed", &st.seed);
    ImGui::SameLine();
    ImGui::Checkbox("fast", &st.fast);
    ImGui::SameLine(0, 24 * s);
    ImGui::SetNextItemWidth(240 * s);
    const std::string current =
        st.port_index >= 0
            ? st.ports[st.port_index].path + "  " + st.ports[st.port_index].description
            : (st.ports.empty() ? "no ports found: type a path" : "a path (below)");
    if (ImGui::BeginCombo("##port", current.c_str())) {
      for (int i = 0; i < static_cast<int>(st.ports.size()); ++i) {
        const std::string label = st.ports[i].path + "  " + st.ports[i].description;
        if (ImGui::Selectable(label.c_str(), i == st.port_index)) st.port_index = i;
      }
      if (ImGui::Selectable("a path typed in (e.g. the twin's pty)", st.port_index < 0))
        st.port_index = -1;
      ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (st.port_index < 0) {
      ImGui::SetNextItemWidth(170 * s);
      ImGui::InputTextWithHint("##path", "/dev/pts/N", st.typed_path, sizeof(st.typed_path));
      ImGui::SameLine();
    }
    const std::string path = st.port_index >= 0 ? st.ports[st.port_index].path : st.typed_path;
    ImGui::BeginDisabled(path.empty());
    if (ImGui::Button("Open port")) {
      act.kind = ConnectionBarAction::Kind::kConnect;
      act.source.kind = SourceChoice::Kind::kPort;
      act.source.port = path;
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Refresh")) refreshPorts(st);
    if (!st.list_error.empty()) {
      ImGui::SameLine();
      ImGui::TextColored(ImColor(col(kError)), "%s", st.list_error.c_str());
    }
  } else {
    if (ImGui::Button("Stop")) act.kind = ConnectionBarAction::Kind::kStop;
    for (const BarItem& it : m.items) {
      ImGui::SameLine(0, 22 * s);
      ImGui::AlignTextToFramePadding();
      ImGui::TextColored(ImColor(col(it.colour)), "%s", it.text.c_str());
    }
  }
  // Errors and notices: a line of their own under the widgets' row would not fit; they take the
  // rest of the row, in colour.
  // Errors are shown large in the hold panel (computeHoldPanel's `error`); notices here.
  if (!m.notice.empty()) {
    ImGui::SameLine(0, 22 * s);
    ImGui::AlignTextToFramePadding();
    ImGui::PushTextWrapPos(r.x1 - 8 * s);
    ImGui::TextColored(ImColor(col(kWarning)), "%s", m.notice.c_str());
    ImGui::PopTextWrapPos();
  }
  endPanel();
  return act;
}

}  // namespace rollrig::gui

#include "calibrate_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "plate_view.h"
#include "rollrig/core/calibration_json.h"

namespace rollrig::gui {

namespace {

// [SECTION] Words

constexpr const char* kCellLongNames[core::kCellCount] = {"front left", "front right", "rear left",
                                                          "rear right"};

std::string fmt(const char* f, double a) {
  char b[96];
  std::snprintf(b, sizeof(b), f, a);
  return b;
}

std::string fmt2(const char* f, double a, double b) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), f, a, b);
  return buf;
}

// "10 kg", "2.5 kg".
std::string massText(double kg) {
  return fmt("%g kg", kg);
}

// "(-200, +120) mm", as `rollrig calibrate` prints it.
std::string positionText(const engine::MassPosition& p) {
  return fmt2("(%+.0f, %+.0f) mm", p.x_mm, p.y_mm);
}

bool samePosition(const core::SpanPlacement& a, const engine::MassPosition& b) {
  return std::abs(a.x_mm - b.x_mm) < 1e-6 && std::abs(a.y_mm - b.y_mm) < 1e-6;
}

bool captured(const CalibrationSnapshot& s, size_t p) {
  if (p >= s.plan.positions.size()) return false;
  for (const core::SpanPlacement& c : s.placements)
    if (samePosition(c, s.plan.positions[p])) return true;
  return false;
}

// `text` broken into lines no wider than max_w at `px`, at spaces; a word longer than a line (a
// path) is broken after a '/' where it can, else between characters.
std::vector<std::string> wrap(ImFont* f, float px, const std::string& text, float max_w) {
  std::vector<std::string> lines;
  std::string line, word;
  const auto fits = [&](const std::string& t) { return textSize(f, px, t).x <= max_w; };
  const auto flushWord = [&] {
    if (word.empty()) return;
    const std::string tryline = line.empty() ? word : line + " " + word;
    if (fits(tryline)) {
      line = tryline;
      word.clear();
      return;
    }
    if (!line.empty()) lines.push_back(line);
    line.clear();
    while (!fits(word)) {
      // The longest head that fits, cut after a '/' if there is one, never inside a character.
      size_t cut = 0, slash = 0;
      for (size_t i = 1; i <= word.size(); ++i) {
        if (i < word.size() && (static_cast<unsigned char>(word[i]) & 0xC0) == 0x80) continue;
        if (!fits(word.substr(0, i))) break;
        cut = i;
        if (word[i - 1] == '/') slash = i;
      }
      if (slash > 0) cut = slash;
      if (cut == 0) break;  // not even one character fits: leave it whole
      lines.push_back(word.substr(0, cut));
      word.erase(0, cut);
    }
    line = word;
    word.clear();
  };
  for (char c : text) {
    if (c == ' ')
      flushWord();
    else
      word += c;
  }
  flushWord();
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

// [SECTION] The model

CalibrateViewModel computeCalibrateView(const CalibrationSnapshot& snap, const Rect& body,
                                        const Fonts& f) {
  CalibrateViewModel m;
  const float s = f.scale;
  using Link = CalibrationSnapshot::Link;
  using Step = engine::CalibrationStep;
  using Wait = engine::CalibrationWait;
  const engine::CalibrationStatus& st = snap.status;
  const engine::CalibrationPlan& plan = snap.plan;

  // Where things go: the picker's row, then the steps on the left and the plate on the right.
  m.bar = {body.x0, body.y0, body.x1, body.y0 + kConnectionBar_px * s};
  const float split = body.x0 + std::round(body.width() * 0.56f);
  m.left = {body.x0, m.bar.y1 + 4 * s, split - 2 * s, body.y1};
  m.right = {split + 2 * s, m.bar.y1 + 4 * s, body.x1, body.y1};

  // The stage.
  const bool run = snap.have_run && snap.link == Link::kConnected;
  if (snap.link == Link::kNone || snap.link == Link::kFailed)
    m.stage = CalibrateStage::kNoDevice;
  else if (snap.link == Link::kConnecting || (snap.have_run && !run))
    m.stage = CalibrateStage::kConnecting;
  else if (!run || st.step == Step::kCancelled)
    m.stage = CalibrateStage::kReady;
  else if (st.step == Step::kTare)
    m.stage = CalibrateStage::kTare;
  else if (st.step == Step::kPlacement)
    m.stage = CalibrateStage::kPlacement;
  else
    m.stage = CalibrateStage::kResult;
  const bool stepping = m.stage == CalibrateStage::kTare || m.stage == CalibrateStage::kPlacement;
  if (snap.link == Link::kFailed) m.error = snap.error;
  m.source = snap.source;
  if (snap.have_device)
    m.device = "device " + core::serialHex(snap.device_serial) + " \u00b7 " +
               std::to_string(snap.rate_hz) + " Hz";

  // The words, then their places.
  std::string instruction;
  Rgb headline_colour = kLightText;
  int leaning = -1;
  switch (m.stage) {
    case CalibrateStage::kNoDevice:
      if (!m.error.empty()) {
        m.headline = "NOT CONNECTED";
        headline_colour = kError;
        instruction =
            "Pick the rig again above and Connect (a port the Live view records from is "
            "busy: stop that session first).";
      } else {
        m.headline = "Pick the rig above and Connect";
        instruction =
            "A serial port, the firmware twin, or the virtual rig (it sets the mass "
            "down itself). The calibration has its own connection: nothing is recorded "
            "into the session library.";
      }
      break;
    case CalibrateStage::kConnecting:
      m.headline = "Connecting to " + snap.source + "\u2026";
      instruction = snap.virtual_rig ? "The virtual rig starts afresh for each run."
                                     : "Opening the port and asking the device who it is.";
      break;
    case CalibrateStage::kReady:
      m.headline = "Device " + core::serialHex(snap.device_serial) + " ready";
      instruction = "Previous calibration: " + (snap.previous.empty() ? "none" : snap.previous) +
                    ". Calibrate: tare, then the known mass at each mark. Re-tare only: keeps the "
                    "gains, one click.";
      if (snap.have_run && st.step == Step::kCancelled)
        instruction += " The last run was cancelled.";
      m.show_setup = true;
      break;
    case CalibrateStage::kTare:
      m.headline = "Step off the plate";
      instruction = st.waiting_for == Wait::kUser
                        ? "Nothing on it, nobody touching it; then click \u201cThe plate is "
                          "clear\u201d."
                        : "Nothing on it, nobody touching it: 3 s of steady readings are averaged.";
      break;
    case CalibrateStage::kPlacement:
      if (st.waiting_for == Wait::kMassOff) {
        m.headline = "Lift the mass off";
        instruction = "Placement " + std::to_string(snap.placements.size()) +
                      " is captured; the next position is marked on the plate.";
      } else {
        m.headline = "Place the " + massText(plan.mass_kg) + " at " + positionText(st.position);
        instruction = "Mark " + std::to_string(st.placement + 1) + " of " +
                      std::to_string(st.placement_count) + ", magenta on the plate" +
                      (st.waiting_for == Wait::kUser
                           ? "; then click \u201cThe mass is in place\u201d and step back."
                           : "; step back: it is captured once it stands still for 3 s.");
      }
      break;
    case CalibrateStage::kResult:
      m.headline = plan.tare_only ? "Re-tare" : "Calibration";
      break;
  }
  if (st.waiting_for == Wait::kUser && stepping) {
    m.show_ready = true;
    m.ready_label =
        m.stage == CalibrateStage::kTare ? "The plate is clear: tare" : "The mass is in place";
  }
  m.show_skip = m.stage == CalibrateStage::kPlacement;
  m.show_cancel = stepping;
  m.hands_free_locked = snap.virtual_rig;

  // The indicator: the capture window's progress, what it waits for, or what was captured.
  if (stepping) {
    m.show_indicator = true;
    const bool just_tared = st.step == Step::kPlacement && snap.tare_accepted &&
                            snap.placements.empty() && st.waiting_for != Wait::kSteady;
    const bool just_placed = st.step == Step::kPlacement && !snap.placements.empty() &&
                             (st.waiting_for == Wait::kMassOff || st.waiting_for == Wait::kUser);
    const std::string limit =
        st.wait_limit_s > 0 ? fmt2(" \u00b7 %.0f of %.0f s", st.waited_s, st.wait_limit_s) : "";
    switch (st.waiting_for) {
      case Wait::kSteady:
        if (st.unsteady && st.unsteady_for_s >= engine::kQuietSettle_s) {
          m.indicator_text = "not steady \u2026 " + fmt("%.0f %%", 100 * st.progress) + limit;
          m.indicator_colour = kError;
        } else {
          m.indicator_text = "steady\u2026 " + fmt("%.0f %%", 100 * st.progress) + limit;
          m.indicator_colour = kWarning;
        }
        m.progress = static_cast<float>(std::clamp(st.progress, 0.0, 1.0));
        break;
      case Wait::kMassOn:
        m.indicator_text = "waiting for the mass" + limit;
        m.indicator_colour = kWarning;
        break;
      case Wait::kMassOff:
        m.indicator_text = "waiting for the mass to come off" + limit;
        m.indicator_colour = kWarning;
        break;
      default:
        m.indicator_text = "waiting for you";
        m.indicator_colour = kAxisText;
        break;
    }
    if (just_tared || just_placed) {
      m.indicator_text = (just_tared ? std::string("tare captured \u2713")
                                     : "placement " + std::to_string(snap.placements.size()) +
                                           " captured \u2713") +
                         " \u00b7 " + m.indicator_text;
      m.indicator_colour = kOk;
      m.progress = 1;
    }
  }

  // What was refused and why (this step's latest refusal), or why the window is not steady yet
  // (once it has been so for longer than setting the mass down takes).
  const auto refusalHere = [&]() -> const engine::CalibrationRefusal* {
    if (!snap.last_refusal) return nullptr;
    const engine::CalibrationRefusal& r = *snap.last_refusal;
    if (m.stage == CalibrateStage::kResult) return &r;
    if (r.step != st.step || (st.step == Step::kPlacement && r.placement != st.placement))
      return nullptr;
    return &r;
  };
  if (stepping && st.waiting_for == Wait::kSteady && st.unsteady &&
      st.unsteady_for_s >= engine::kQuietSettle_s) {
    m.problem = st.unsteady.message;
    leaning = st.unsteady.cell;
  } else if (const engine::CalibrationRefusal* r = refusalHere();
             r && (stepping || (m.stage == CalibrateStage::kResult && st.step == Step::kRefused))) {
    m.problem = r->message;
    leaning = r->reason.cell;
  }
  // The CLI's advice, in the window's words.
  if (const size_t at = m.problem.find(engine::kIgnoreLastTareHint); at != std::string::npos)
    m.problem.replace(at, std::string(engine::kIgnoreLastTareHint).size(),
                      " (if the plate itself changed since the last calibration, tick \u201cplate "
                      "changed\u201d and calibrate again)");
  if (m.problem.empty() && m.stage == CalibrateStage::kPlacement) m.problem = snap.skip_error;
  if (!m.error.empty()) m.problem = m.error;

  // The result.
  if (m.stage == CalibrateStage::kResult) {
    m.show_result = true;
    m.accepted = st.step == Step::kAccepted;
    m.verdict = m.accepted ? "ACCEPTED" : "REFUSED";
    m.result_colour = m.accepted ? kCalAcceptedField : kCalRefusedField;
    if (snap.span && snap.span->solved) {
      for (size_t k = 0; k < snap.span->report.placements.size(); ++k) {
        const core::PlacementResidual& p = snap.span->report.placements[k];
        ResidualRow row;
        row.placement = std::to_string(k + 1);
        row.position = positionText({p.x_mm, p.y_mm});
        row.force_error = fmt("%+.2f %%", p.force_error_pct);
        row.cop_error = fmt("%.1f mm", p.cop_error_mm);
        row.bad = std::abs(p.force_error_pct) > 1.0 || p.cop_error_mm > 5.0;
        m.residuals.push_back(row);
      }
    }
    if (snap.span) {
      const core::SpanReport& r = snap.span->report;
      m.conditioning = "conditioning: condition number " + fmt("%.2f", r.condition_number) +
                       " (limit " + fmt("%.0f", r.max_condition) + ") \u00b7 rank " +
                       std::to_string(r.rank) + " of 4 \u00b7 spread " +
                       fmt2("%.0f mm (\u2265 %.0f)", r.spread_mm, r.min_spread_mm);
    }
    m.show_save = m.accepted && !snap.saved;
    m.save_label = "Accept and save for device " + core::serialHex(snap.device_serial);
    m.show_again = true;
  }

  // [SECTION] Places: the left panel from the top.
  const float pad = 14 * s, gap = 6 * s;
  const float x0 = m.left.x0 + pad, max_w = m.left.width() - 2 * pad;
  const float frame_h = f.normal_px + 12 * s;
  // The widgets: two rows at the panel's foot.
  m.controls_y = m.left.y1 - pad - 2 * frame_h - gap;
  const float text_bottom = m.controls_y - gap;
  float y = m.left.y0 + pad;
  // The steps as chips.
  if (snap.have_run && m.stage != CalibrateStage::kReady &&
      m.stage != CalibrateStage::kConnecting) {
    std::vector<std::pair<std::string, CalibrateChip::State>> chips;
    using CS = CalibrateChip::State;
    chips.push_back({"Tare", snap.tare_accepted                 ? CS::kDone
                             : m.stage == CalibrateStage::kTare ? CS::kCurrent
                                                                : CS::kPending});
    for (size_t p = 0; p < plan.positions.size(); ++p) {
      CS state = CS::kPending;
      if (captured(snap, p))
        state = CS::kDone;
      else if (m.stage == CalibrateStage::kPlacement && st.placement == p)
        state = CS::kCurrent;
      else if (snap.tare_accepted && (p < st.placement || m.stage == CalibrateStage::kResult) &&
               st.step != Step::kRefused)
        state = CS::kSkipped;
      chips.push_back({std::to_string(p + 1), state});
    }
    chips.push_back({"Result", m.stage == CalibrateStage::kResult ? CS::kCurrent : CS::kPending});
    float cx = x0;
    const float ch = f.normal_px * 1.5f;
    for (const auto& [label, state] : chips) {
      const std::string shown = state == CS::kDone ? label + " \u2713" : label;
      const float w = std::max(ch, textSize(f.normal, f.normal_px, shown).x + 16 * s);
      CalibrateChip c;
      c.label = label;
      c.state = state;
      c.box = {cx, y, cx + w, y + ch};
      m.chips.push_back(c);
      cx += w + gap;
    }
    y += ch + 12 * s;
  }
  const auto addLines = [&](const std::string& text, Rgb colour, bool large, float px) {
    ImFont* font = large ? f.large : f.normal;
    for (const std::string& line : wrap(font, px, text, max_w)) {
      const float h = textSize(font, px, line).y;
      if (y + h > text_bottom) return;  // no room: left out (never over the widgets)
      m.texts.push_back({line, colour, large, px, ImVec2(x0, y)});
      y += h + 2 * s;
    }
    y += gap;
  };
  if (m.show_result) {
    // The verdict: as large as the field allows (the large font scaled up, to be read from a few
    // metres), white on green or red.
    const float field_h =
        std::min(f.large_px * 2.1f, std::max(f.large_px * 1.3f, m.left.height() * 0.2f));
    m.result_field = {x0, y, x0 + max_w, y + field_h};
    m.verdict_px = std::min(field_h * 0.72f, fitPx(f.large, field_h * 0.72f,
                                                   m.headline + " " + m.verdict, max_w - 24 * s));
    const ImVec2 vs = textSize(f.large, m.verdict_px, m.headline + " " + m.verdict);
    m.verdict_at = ImVec2(x0 + (max_w - vs.x) * 0.5f, y + (field_h - vs.y) * 0.5f);
    y += field_h + 10 * s;
    if (m.accepted)
      addLines(snap.saved ? "saved to " + snap.saved_path +
                                " \u2014 `rollrig record` and the Live view apply it to device " +
                                core::serialHex(snap.device_serial)
                          : "not saved yet: accept it to save it for device " +
                                core::serialHex(snap.device_serial),
               snap.saved ? kOk : kWarning, false, f.normal_px);
    if (!snap.save_error.empty())
      addLines("cannot save: " + snap.save_error, kError, false, f.normal_px);
  } else {
    addLines(m.headline, headline_colour, true, f.large_px);
    addLines(instruction, kAxisText, false, f.normal_px);
  }
  if (m.show_indicator) {
    const float ih = f.normal_px * 1.6f;
    m.indicator = {x0, y, x0 + std::min(max_w, 620 * s), y + ih};
    y += ih + 10 * s;
  }
  if (stepping) {
    std::string load = "load now ";
    load += snap.have_cell_load ? fmt("%.1f N", snap.cell_load_n[0] + snap.cell_load_n[1] +
                                                    snap.cell_load_n[2] + snap.cell_load_n[3])
                                : std::string("\u2013 (known once the tare is captured)");
    if (m.stage == CalibrateStage::kPlacement)
      load +=
          " \u00b7 the mass weighs " + fmt("%.1f N", plan.mass_kg * core::kStandardGravity_mps2);
    addLines(load, kLightText, false, f.normal_px);
  }
  if (!m.problem.empty()) {
    const bool hard = m.stage == CalibrateStage::kResult || !m.error.empty() ||
                      (stepping && st.waiting_for == Wait::kUser);
    addLines(m.problem, hard ? kError : kWarning, false, f.normal_px);
  }
  if (leaning >= 0 && leaning < core::kCellCount && m.error.empty())
    addLines(std::string("the cell concerned: ") + kCellNames[leaning] + " (" +
                 kCellLongNames[leaning] + "), red on the plate",
             kError, false, f.normal_px);
  if (m.show_result && !m.residuals.empty()) {
    // The residual report: one row a placement, in columns.
    const float col[4] = {0, 40 * s, 230 * s, 380 * s};
    const auto row = [&](const std::array<std::string, 4>& cells, Rgb c) {
      const float h = f.normal_px * 1.2f;
      if (y + h > text_bottom) return;
      for (int i = 0; i < 4; ++i)
        if (x0 + col[i] < x0 + max_w)
          m.texts.push_back({cells[i], c, false, f.normal_px, ImVec2(x0 + col[i], y)});
      y += h;
    };
    row({"#", "where", "force error", "CoP error"}, kAxisText);
    for (const ResidualRow& r : m.residuals)
      row({r.placement, r.position, r.force_error, r.cop_error}, r.bad ? kWarning : kLightText);
    y += gap;
    const core::SpanReport& r = snap.span->report;
    addLines("force error rms " + fmt("%.2f %%", r.rms_force_error_pct) + ", max " +
                 fmt("%.2f %%", r.max_force_error_pct) + " \u00b7 CoP rms " +
                 fmt("%.1f", r.rms_cop_error_mm) + ", max " + fmt("%.1f mm", r.max_cop_error_mm),
             kLightText, false, f.normal_px);
  }
  if (m.show_result && !m.conditioning.empty())
    addLines(m.conditioning, kAxisText, false, f.normal_px);
  if (m.show_result && snap.tare_accepted && plan.tare_only)
    addLines("tare noise per cell " + fmt("%.3f", snap.tare_noise_n[0]) + ", " +
                 fmt("%.3f", snap.tare_noise_n[1]) + ", " + fmt("%.3f", snap.tare_noise_n[2]) +
                 ", " + fmt("%.3f N rms", snap.tare_noise_n[3]),
             kAxisText, false, f.normal_px);

  // [SECTION] Places: the plate, to scale, in the right panel.
  const core::PlateGeometry g = plan.geometry;
  const Rect& rp = m.right;
  m.plate_title =
      m.stage == CalibrateStage::kPlacement && st.waiting_for != Wait::kMassOff
          ? "Plate (head \u2191): the " + massText(plan.mass_kg) + " goes on the magenta mark"
          : "Plate (head \u2191)";
  // From the top: the title, the front cells' labels, the plate, the rear cells' labels.
  m.cell_label_px = f.normal_px;
  const float label_row = f.normal_px * 1.4f;
  const float top = rp.y0 + f.normal_px * 1.8f + label_row, bottom = rp.y1 - pad - label_row;
  const float avail_w = rp.width() - 2 * pad, avail_h = bottom - top;
  m.px_per_mm = std::max(0.01f, std::min(avail_w / static_cast<float>(g.width_mm),
                                         avail_h / static_cast<float>(g.length_mm)));
  const float pw = static_cast<float>(g.width_mm) * m.px_per_mm;
  const float ph = static_cast<float>(g.length_mm) * m.px_per_mm;
  const float cx = (rp.x0 + rp.x1) * 0.5f, cy = (top + bottom) * 0.5f;
  m.plate = {cx - pw * 0.5f, cy - ph * 0.5f, cx + pw * 0.5f, cy + ph * 0.5f};
  const float half = std::max(9.0f * s, 26.0f * m.px_per_mm);
  // "FL 12.3 N" above the plate for a front cell, below it for a rear one, at its side, each at
  // most half the panel wide.
  for (int i = 0; i < core::kCellCount; ++i) {
    const float w = textSize(f.normal, f.normal_px, std::string(kCellNames[i]) + " -000.0 N").x;
    const float w_max = rp.width() * 0.5f - pad;
    if (w > w_max) m.cell_label_px = std::min(m.cell_label_px, f.normal_px * w_max / w);
  }
  for (int i = 0; i < core::kCellCount; ++i) {
    CalibrateViewModel::Cell& c = m.cells[i];
    const ImVec2 at = platePoint(m.plate, m.px_per_mm, g.cells[i].x_mm, g.cells[i].y_mm);
    c.square = {at.x - half, at.y - half, at.x + half, at.y + half};
    c.name = kCellNames[i];
    c.label = snap.have_cell_load ? fmt("%.1f N", snap.cell_load_n[i]) : "\u2013";
    c.leaning = i == leaning;
    const float nw = textSize(f.normal, m.cell_label_px, c.name + " ").x;
    const float lw = textSize(f.normal, m.cell_label_px, c.label).x;
    const float h = textSize(f.normal, m.cell_label_px, c.name).y;
    const float ty = at.y < cy ? m.plate.y0 - 4 * s - h : m.plate.y1 + 4 * s;
    const float tx = at.x < cx ? m.plate.x0 : m.plate.x1 - nw - lw;
    c.name_at = ImVec2(tx, ty);
    c.label_at = ImVec2(tx + nw, ty);
  }
  // Before a run: where the default marks go (hardware/README.md), so they can be drawn.
  const std::vector<engine::MassPosition> marks =
      snap.have_run ? plan.positions : engine::defaultMassPositions(g);
  for (size_t p = 0; p < marks.size(); ++p) {
    CalibrateMarker mk;
    mk.at = platePoint(m.plate, m.px_per_mm, marks[p].x_mm, marks[p].y_mm);
    mk.label = std::to_string(p + 1);
    if (captured(snap, p)) {
      mk.state = CalibrateMarker::State::kDone;
      mk.colour = kOk;
    } else if (m.stage == CalibrateStage::kPlacement && st.placement == p) {
      mk.state = CalibrateMarker::State::kNext;
      mk.colour = kCalNextMarker;
      m.next_marker = static_cast<int>(m.markers.size());
    }
    m.markers.push_back(mk);
  }
  if (snap.have_cell_load) {
    double total = 0, x = 0, yy = 0;
    for (int i = 0; i < core::kCellCount; ++i) {
      total += snap.cell_load_n[i];
      x += snap.cell_load_n[i] * g.cells[i].x_mm;
      yy += snap.cell_load_n[i] * g.cells[i].y_mm;
    }
    // Where the load stands, when there is one worth placing (a fifth of the mass, or 10 N).
    const double worth_n = std::max(10.0, 0.2 * plan.mass_kg * core::kStandardGravity_mps2);
    if (total > worth_n) {
      m.has_load_dot = true;
      m.load_dot =
          platePoint(m.plate, m.px_per_mm, std::clamp(x / total, -g.width_mm / 2, g.width_mm / 2),
                     std::clamp(yy / total, -g.length_mm / 2, g.length_mm / 2));
    }
  }
  return m;
}

// [SECTION] Drawing

CalibrateViewAction drawCalibrateView(const CalibrateViewModel& m, CalibrateViewState& st,
                                      const Fonts& f, SolidFills& fills) {
  CalibrateViewAction act;
  const float s = f.scale;
  // The picker: the connection bar's, on its own state (its own twin, if picked).
  {
    ConnectionBarModel bar;
    bar.picker = m.stage == CalibrateStage::kNoDevice;
    if (!bar.picker) {
      const bool stepping =
          m.stage == CalibrateStage::kTare || m.stage == CalibrateStage::kPlacement;
      bar.items.push_back({m.source, kLightText});
      if (!m.device.empty()) bar.items.push_back({m.device, kAxisText, true});
      bar.items.push_back({m.stage == CalibrateStage::kConnecting ? "connecting\u2026"
                           : stepping                             ? "calibrating"
                                                                  : "connected",
                           m.stage == CalibrateStage::kConnecting ? kWarning : kOk});
    }
    const ConnectionBarAction a = drawConnectionBar(bar, st.picker, m.bar, f, fills);
    if (a.kind == ConnectionBarAction::Kind::kConnect)
      act.kind = CalibrateViewAction::Kind::kConnect, act.source = a.source;
    if (a.kind == ConnectionBarAction::Kind::kStop)
      act.kind = CalibrateViewAction::Kind::kDisconnect;
  }

  // The steps panel.
  if (beginPanel("##calibrate_steps", m.left)) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    fills.push_back({m.left, kPanel});
    for (const CalibrateChip& c : m.chips) {
      using CS = CalibrateChip::State;
      const Rgb fill = c.state == CS::kCurrent ? kProtocolCurrent
                       : c.state == CS::kDone  ? kHoldShade
                                               : kBackground;
      fills.push_back({c.box, fill});
      const Rgb tc = c.state == CS::kSkipped   ? kGrid
                     : c.state == CS::kPending ? kAxisText
                                               : kLightText;
      const std::string label = c.state == CS::kDone ? c.label + " \u2713" : c.label;
      const float px = fitPx(f.normal, f.normal_px, label, c.box.width() - 6 * s);
      textCentered(dl, f.normal, px, c.box.x0, c.box.x1,
                   (c.box.y0 + c.box.y1 - textSize(f.normal, px, label).y) * 0.5f, tc, label);
    }
    if (m.show_result) {
      fills.push_back({m.result_field, m.result_colour});
      text(dl, f.large, m.verdict_px, m.verdict_at, kLightText, m.headline + " " + m.verdict);
    }
    if (m.show_indicator) {
      const Rect& r = m.indicator;
      fills.push_back({r, kBackground});
      if (m.progress > 0)
        fills.push_back({Rect{r.x0, r.y0, r.x0 + r.width() * m.progress, r.y1},
                         mix(m.indicator_colour, kBackground, 0.45f)});
      dl->AddRect(ImVec2(r.x0, r.y0), ImVec2(r.x1, r.y1), col(m.indicator_colour), 3 * s, 0, 2 * s);
      const float px = fitPx(f.normal, f.normal_px, m.indicator_text, r.width() - 16 * s);
      text(dl, f.normal, px,
           ImVec2(r.x0 + 8 * s, (r.y0 + r.y1 - textSize(f.normal, px, "Ag").y) * 0.5f), kLightText,
           m.indicator_text);
    }
    for (const CalibrateText& t : m.texts)
      text(dl, t.large ? f.large : f.normal, t.px, t.at, t.colour, t.s);

    // The widgets, two rows at the foot.
    const float x0 = m.left.x0 + 14 * s;
    ImGui::SetCursorScreenPos(ImVec2(x0, m.controls_y));
    if (m.show_setup) {
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted("known mass");
      ImGui::SameLine();
      ImGui::SetNextItemWidth(150 * s);
      ImGui::InputDouble("kg##mass", &st.mass_kg, 0.5, 1.0, "%.2f");
      st.mass_kg = std::clamp(st.mass_kg, 0.0, 500.0);
      ImGui::SameLine(0, 20 * s);
    }
    if (m.show_setup || m.show_ready || m.show_cancel) {
      ImGui::BeginDisabled(m.hands_free_locked);
      bool hf = m.hands_free_locked || st.hands_free;
      if (ImGui::Checkbox("hands-free", &hf) && !m.hands_free_locked) {
        st.hands_free = hf;
        if (!m.show_setup) act.kind = CalibrateViewAction::Kind::kHandsFree, act.hands_free = hf;
      }
      ImGui::EndDisabled();
      if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip(m.hands_free_locked
                              ? "The virtual rig sets the mass down on its own schedule."
                              : "No clicks: each step starts by itself once the plate is clear "
                                "or the mass is set down (rollrig calibrate --yes).");
    }
    if (m.show_save) {
      if (m.show_setup || m.show_ready || m.show_cancel) ImGui::SameLine(0, 20 * s);
      ImGui::PushStyleColor(ImGuiCol_Button, col(kCalAcceptedField));
      if (ImGui::Button(m.save_label.c_str())) act.kind = CalibrateViewAction::Kind::kSave;
      ImGui::PopStyleColor();
    }
    ImGui::SetCursorScreenPos(ImVec2(x0, m.controls_y + f.normal_px + 12 * s + 6 * s));
    const auto request = [&](bool tare_only) {
      act.kind = CalibrateViewAction::Kind::kCalibrate;
      act.request.mass_kg = st.mass_kg;
      act.request.tare_only = tare_only;
      // Re-tare is one click: the click says the plate is clear, so the tare starts at once.
      act.request.hands_free = tare_only || st.hands_free;
      act.request.ignore_last_tare = st.ignore_last_tare;
    };
    if (m.show_setup || m.show_again) {
      ImGui::BeginDisabled(!(st.mass_kg > 0));
      if (ImGui::Button(m.show_again ? "Calibrate again" : "Calibrate")) request(false);
      ImGui::EndDisabled();
      ImGui::SameLine();
      if (ImGui::Button("Re-tare only")) request(true);
      ImGui::SameLine(0, 20 * s);
      ImGui::Checkbox("plate changed", &st.ignore_last_tare);
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Do not compare the tare with the device's last one (after rebuilding "
            "the plate or changing cells): --ignore-last-tare.");
    }
    if (m.show_ready) {
      if (ImGui::Button(m.ready_label.c_str())) act.kind = CalibrateViewAction::Kind::kProceed;
      ImGui::SameLine();
    }
    if (m.show_skip) {
      if (ImGui::Button("Skip this mark")) act.kind = CalibrateViewAction::Kind::kSkip;
      ImGui::SameLine();
    }
    if (m.show_cancel && ImGui::Button("Cancel")) act.kind = CalibrateViewAction::Kind::kCancel;
  }
  endPanel();

  // The plate panel.
  if (beginPanel("##calibrate_plate", m.right, false)) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    fills.push_back({m.right, kPanel});
    const float tpx = fitPx(f.normal, f.normal_px, m.plate_title, m.right.width() - 20 * s);
    text(dl, f.normal, tpx, ImVec2(m.right.x0 + 10 * s, m.right.y0 + 6 * s), kAxisText,
         m.plate_title);
    const Rect& p = m.plate;
    fills.push_back({p, kPlate});
    dl->AddRect(ImVec2(p.x0, p.y0), ImVec2(p.x1, p.y1), col(kPlateEdge), 6 * s, 0, 2 * s);
    for (int i = 0; i < core::kCellCount; ++i) {
      const CalibrateViewModel::Cell& c = m.cells[i];
      const ImVec2 a(c.square.x0, c.square.y0), b(c.square.x1, c.square.y1);
      dl->AddRectFilled(a, b, col(c.leaning ? kError : kBackground));
      dl->AddRect(a, b, col(c.leaning ? kLightText : kPlateEdge), 0, 0, 1.5f * s);
      text(dl, f.normal, m.cell_label_px, c.name_at, c.leaning ? kError : kCellTrace[i], c.name);
      text(dl, f.normal, m.cell_label_px, c.label_at, kLightText, c.label);
    }
    const float r = std::max(12.0f * s, 40.0f * m.px_per_mm);  // about a mass's footprint
    for (const CalibrateMarker& mk : m.markers) {
      const float px = f.normal_px;
      const ImVec2 ts = textSize(f.normal, px, mk.label);
      switch (mk.state) {
        case CalibrateMarker::State::kNext:
          dl->AddCircleFilled(mk.at, r, col(kCalNextMarker));
          dl->AddCircle(mk.at, r + 4 * s, col(kLightText), 0, 2 * s);
          text(dl, f.normal, px, ImVec2(mk.at.x - ts.x * 0.5f, mk.at.y - ts.y * 0.5f), kDarkText,
               mk.label);
          break;
        case CalibrateMarker::State::kDone:
          dl->AddCircleFilled(mk.at, r * 0.7f, col(kOk));
          text(dl, f.normal, px, ImVec2(mk.at.x - ts.x * 0.5f, mk.at.y - ts.y * 0.5f), kDarkText,
               mk.label);
          break;
        case CalibrateMarker::State::kPending:
          dl->AddCircle(mk.at, r * 0.7f, col(kPlateEdge), 0, 2 * s);
          text(dl, f.normal, px, ImVec2(mk.at.x - ts.x * 0.5f, mk.at.y - ts.y * 0.5f), kAxisText,
               mk.label);
          break;
      }
    }
    if (m.has_load_dot) dl->AddCircle(m.load_dot, 16 * s, col(kBall), 0, 3 * s);
  }
  endPanel();
  return act;
}

bool calibrateDemoReached(const CalibrationSnapshot& snap, int placement) {
  using Step = engine::CalibrationStep;
  if (snap.link == CalibrationSnapshot::Link::kFailed) return true;
  if (!snap.have_run || snap.link != CalibrationSnapshot::Link::kConnected) return false;
  const engine::CalibrationStatus& st = snap.status;
  if (st.step == Step::kAccepted || st.step == Step::kRefused || st.step == Step::kCancelled)
    return true;
  return placement > 0 && st.step == Step::kPlacement &&
         st.placement + 1 >= static_cast<size_t>(placement) &&
         st.waiting_for == engine::CalibrationWait::kSteady && st.progress >= 0.5;
}

void applyCalibrateAction(const CalibrateViewAction& a, CalibrationController& ctl) {
  using K = CalibrateViewAction::Kind;
  switch (a.kind) {
    case K::kConnect:
      ctl.connect(a.source);
      break;
    case K::kDisconnect:
      ctl.disconnect();
      break;
    case K::kCalibrate:
      ctl.calibrate(a.request);
      break;
    case K::kProceed:
      ctl.proceed();
      break;
    case K::kSkip:
      ctl.skip();
      break;
    case K::kCancel:
      ctl.cancel();
      break;
    case K::kSave:
      ctl.save();
      break;
    case K::kHandsFree:
      ctl.setHandsFree(a.hands_free);
      break;
    case K::kNone:
      break;
  }
}

}  // namespace rollrig::gui

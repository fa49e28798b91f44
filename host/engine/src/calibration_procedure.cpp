// The guided calibration as a step-driven object. Navigate by the [SECTION] markers: Rules,
// Procedure, Feeding, Explicit calls, Results.
#include "rollrig/engine/calibration_procedure.h"

#include <cassert>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace rollrig::engine {

namespace {

std::string fmt(const char* f, double a) {
  char b[64];
  std::snprintf(b, sizeof(b), f, a);
  return b;
}

std::string capitalised(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

core::CalibrationError makeError(core::CalibrationErrorKind kind, std::string message,
                                 int placement = -1) {
  core::CalibrationError e;
  e.kind = kind;
  e.message = std::move(message);
  e.placement = placement;
  return e;
}

bool isSteadinessReason(core::CalibrationErrorKind k) {
  using K = core::CalibrationErrorKind;
  return k == K::kTooFewSamples || k == K::kBadSamples || k == K::kUnsteady || k == K::kDrifting;
}

// The virtual rig's demo schedule (body-model time).
constexpr double kDemoFirst_s = 5.0;
constexpr double kDemoPeriod_s = 9.0;
constexpr double kDemoHold_s = 7.0;
// Default positions on a plate other than the reference build: each cell's position pulled this
// far toward the cells' centroid, plus the centroid.
constexpr double kDefaultInset = 0.75;

}  // namespace

// [SECTION] Rules

size_t calibrationWindowSamples(double rate_hz) {
  const double rate = rate_hz > 0 ? rate_hz : 80.0;
  return static_cast<size_t>(std::max(2L, std::lround(kCalibrationWindow_s * rate)));
}

double recordingRate_hz(const std::vector<core::Sample>& samples) {
  if (samples.size() < 2 || samples.back().t_us <= samples.front().t_us) return 80.0;
  const double span_s = static_cast<double>(samples.back().t_us - samples.front().t_us) / 1e6;
  // Rounded to whole samples per second: skipped rows and lost frames lower it a little, which
  // only asks for slightly fewer samples per window.
  return std::max(1.0, std::round(static_cast<double>(samples.size() - 1) / span_s));
}

std::vector<MassPosition> defaultMassPositions(const core::PlateGeometry& g) {
  const core::PlateGeometry reference;
  bool is_reference = true;
  for (int i = 0; i < core::kCellCount; ++i) {
    is_reference = is_reference && g.cells[i].x_mm == reference.cells[i].x_mm &&
                   g.cells[i].y_mm == reference.cells[i].y_mm;
  }
  if (is_reference) return {{0, 0}, {-200, 120}, {200, 120}, {-200, -120}, {200, -120}};
  double cx = 0, cy = 0;
  for (const auto& c : g.cells) cx += c.x_mm / core::kCellCount, cy += c.y_mm / core::kCellCount;
  std::vector<MassPosition> out = {{std::round(cx), std::round(cy)}};
  for (const auto& c : g.cells) {
    // Rounded to 10 mm so the positions are easy to mark on the plate.
    out.push_back({std::round((cx + kDefaultInset * (c.x_mm - cx)) / 10) * 10,
                   std::round((cy + kDefaultInset * (c.y_mm - cy)) / 10) * 10});
  }
  return out;
}

core::CalibrationError checkLayout(const std::vector<MassPosition>& positions,
                                   const core::PlateGeometry& g) {
  std::vector<core::SpanPlacement> places;
  for (const MassPosition& p : positions) {
    double f[core::kCellCount];
    g.distribute(100.0, p.x_mm, p.y_mm, f);
    core::SpanPlacement s;
    s.x_mm = p.x_mm;
    s.y_mm = p.y_mm;
    for (int i = 0; i < core::kCellCount; ++i)
      s.mean_counts[i] = f[i] * core::kNominalCountsPerNewton;
    places.push_back(s);
  }
  return core::solveSpan(places, {}, 100.0 / core::kStandardGravity_mps2, g).error;
}

double totalForce_n(const core::Sample& s, const std::array<double, core::kCellCount>& offsets,
                    const core::Calibration& gains) {
  double f = 0;
  for (int i = 0; i < core::kCellCount; ++i)
    f += (s.raw_counts[i] - offsets[i]) * gains.cells[i].n_per_count;
  return f;
}

WindowVerdict judgeWindow(const std::vector<core::Sample>& window, const WindowJudgement& j) {
  WindowVerdict v;
  v.stats = core::windowStats(window);
  if (window.size() < j.min_samples) {
    v.steadiness = true;
    v.error =
        makeError(core::CalibrationErrorKind::kTooFewSamples,
                  capitalised(j.what) + " has only " + std::to_string(window.size()) +
                      " samples (" + fmt("%.2f", v.stats.duration_s) +
                      " s); a calibration window needs at least " + std::to_string(j.min_samples) +
                      " (" + fmt("%.0f", kCalibrationWindow_s) + " s at the device's rate)");
    return v;
  }
  v.error = core::checkSteady(v.stats, j.gains, {}, j.what, j.placement);
  if (v.error) {
    v.steadiness = true;
    return v;
  }
  if (!j.placement) {
    core::TareOptions opt;
    opt.check_load = j.compare_with_last_tare;
    v.tare = core::tare(window, j.gains, opt);
    if (!v.tare.ok()) {
      v.error = v.tare.error;
      v.steadiness = isSteadinessReason(v.error.kind);
      if (v.error.kind == core::CalibrationErrorKind::kLoaded)
        v.error.message += kIgnoreLastTareHint;
    }
    return v;
  }
  const double need_n = kLoadedFraction * j.weight_n;
  double lowest_n = 0;
  bool first = true;
  for (const core::Sample& s : window) {
    const double f = totalForce_n(s, j.tare_offsets, j.gains);
    if (first || f < lowest_n) lowest_n = f, first = false;
  }
  if (lowest_n < need_n) {
    v.error = makeError(core::CalibrationErrorKind::kBadInput,
                        capitalised(j.what) + " does not have the mass on the plate throughout: " +
                            "the load fell to " + fmt("%.1f", lowest_n) + " N (at least " +
                            fmt("%.1f", need_n) + " N, " + fmt("%.0f", 100 * kLoadedFraction) +
                            " % of the mass's weight, is needed) — take the window while the "
                            "mass stands on the plate");
  }
  return v;
}

std::vector<sim::ScriptedLoad> demoCalibrationScript(const std::vector<MassPosition>& positions,
                                                     double mass_kg) {
  std::vector<sim::ScriptedLoad> out;
  for (size_t p = 0; p < positions.size(); ++p) {
    out.push_back({kDemoFirst_s + kDemoPeriod_s * static_cast<double>(p), kDemoHold_s, mass_kg,
                   positions[p].x_mm, positions[p].y_mm});
  }
  return out;
}

const char* calibrationStepName(CalibrationStep step) {
  switch (step) {
    case CalibrationStep::kTare:
      return "tare";
    case CalibrationStep::kPlacement:
      return "placement";
    case CalibrationStep::kAccepted:
      return "accepted";
    case CalibrationStep::kRefused:
      return "refused";
    case CalibrationStep::kCancelled:
      return "cancelled";
  }
  return "?";
}

const char* calibrationWaitName(CalibrationWait wait) {
  switch (wait) {
    case CalibrationWait::kNothing:
      return "nothing";
    case CalibrationWait::kUser:
      return "user";
    case CalibrationWait::kMassOff:
      return "mass off";
    case CalibrationWait::kMassOn:
      return "mass on";
    case CalibrationWait::kSteady:
      return "steady";
  }
  return "?";
}

// [SECTION] Procedure

CalibrationProcedure::CalibrationProcedure(CalibrationPlan plan)
    : m_plan(std::move(plan)),
      m_window_samples(calibrationWindowSamples(m_plan.rate_hz)),
      m_skipped(m_plan.positions.size(), false) {
  if (m_plan.tare_only) m_plan.positions.clear(), m_skipped.clear();
  if (!m_plan.tare_only) {
    if (!(m_plan.mass_kg > 0) || !std::isfinite(m_plan.mass_kg)) {
      refuseAll(CalibrationStep::kTare,
                makeError(core::CalibrationErrorKind::kBadInput,
                          "the span needs the known mass, a number of kg greater than 0 (got " +
                              fmt("%g", m_plan.mass_kg) + ")"),
                "");
      return;
    }
    const core::CalibrationError e = checkLayout(m_plan.positions, m_plan.geometry);
    if (e) {
      refuseAll(CalibrationStep::kTare, e,
                "these positions cannot calibrate the plate: " + e.message);
      return;
    }
  }
  enterStep(CalibrationStep::kTare, 0);
}

bool CalibrationProcedure::finished() const {
  return m_step == CalibrationStep::kAccepted || m_step == CalibrationStep::kRefused ||
         m_step == CalibrationStep::kCancelled;
}

double CalibrationProcedure::weight_n() const {
  return m_plan.mass_kg * core::kStandardGravity_mps2;
}

double CalibrationProcedure::waitLimit_s() const {
  switch (m_wait) {
    case CalibrationWait::kSteady:
      return m_plan.hands_free ? kHandsFreeWait_s : kInteractiveWait_s;
    case CalibrationWait::kMassOff:
    case CalibrationWait::kMassOn:
      return kHandsFreeWaitForMass_s;
    default:
      return 0;
  }
}

void CalibrationProcedure::enterWait(CalibrationWait wait) {
  m_wait = wait;
  m_have_wait_start = false;
  m_window.clear();
  m_unsteady = {};
  m_have_first_full = false;
}

void CalibrationProcedure::handsFreeWaitForStep() {
  if (m_step == CalibrationStep::kTare) {
    enterWait(CalibrationWait::kSteady);
  } else {
    // After a placement the mass is still on the plate: it must come off before the next.
    enterWait(m_places.empty() ? CalibrationWait::kMassOn : CalibrationWait::kMassOff);
  }
}

void CalibrationProcedure::enterStep(CalibrationStep step, size_t placement) {
  m_step = step;
  m_placement = placement;
  if (m_plan.hands_free)
    handsFreeWaitForStep();
  else
    enterWait(CalibrationWait::kUser);
  updateStatus();
}

WindowJudgement CalibrationProcedure::judgement(const std::string& time_range) const {
  WindowJudgement j;
  j.placement = m_step == CalibrationStep::kPlacement;
  j.what = j.placement ? "placement " + std::to_string(m_placement + 1) : "the tare window";
  if (!time_range.empty()) j.what += " (" + time_range + ")";
  j.gains = m_plan.gains;
  j.min_samples = m_window_samples;
  j.compare_with_last_tare = m_plan.compare_with_last_tare;
  j.tare_offsets = m_tare.offset_counts;
  j.weight_n = weight_n();
  return j;
}

void CalibrationProcedure::refuseAll(CalibrationStep step, core::CalibrationError reason,
                                     std::string message) {
  CalibrationRefusal r;
  r.step = step;
  r.placement = m_placement;
  r.message = message.empty() ? reason.message : std::move(message);
  r.reason = std::move(reason);
  m_last_refusal = std::move(r);
  ++m_status.refusals;
  m_step = CalibrationStep::kRefused;
  enterWait(CalibrationWait::kNothing);
  updateStatus();
}

void CalibrationProcedure::refuseWindow(core::CalibrationError reason) {
  const std::string message =
      m_step == CalibrationStep::kTare
          ? "tare refused: " + reason.message
          : "placement " + std::to_string(m_placement + 1) + " refused: " + reason.message;
  if (m_step == CalibrationStep::kPlacement) reason.placement = static_cast<int>(m_placement);
  if (m_plan.hands_free) {
    refuseAll(m_step, std::move(reason), message);
    return;
  }
  CalibrationRefusal r;
  r.step = m_step;
  r.placement = m_placement;
  r.reason = std::move(reason);
  r.message = message;
  m_last_refusal = std::move(r);
  ++m_status.refusals;
  enterWait(CalibrationWait::kUser);  // ask again
  updateStatus();
}

void CalibrationProcedure::accept(const WindowVerdict& v) {
  m_last_window = v.stats;
  if (m_step == CalibrationStep::kTare) {
    m_tare = v.tare;
    m_have_tare = true;
    if (m_plan.tare_only) {
      m_step = CalibrationStep::kAccepted;
      enterWait(CalibrationWait::kNothing);
      updateStatus();
      return;
    }
    m_placement = 0;
  } else {
    const MassPosition& at = m_plan.positions[m_placement];
    m_places.push_back(core::makePlacement(at.x_mm, at.y_mm, v.stats));
    ++m_placement;
  }
  while (m_placement < m_plan.positions.size() && m_skipped[m_placement]) ++m_placement;
  if (m_placement >= m_plan.positions.size()) {
    finishPlacements();
    return;
  }
  enterStep(CalibrationStep::kPlacement, m_placement);
}

void CalibrationProcedure::finishPlacements() {
  m_span = core::solveSpan(m_places, m_tare.offset_counts, m_plan.mass_kg, m_plan.geometry);
  if (!m_span->ok()) {
    refuseAll(CalibrationStep::kPlacement, m_span->error,
              "calibration refused: " + m_span->error.message);
    return;
  }
  m_step = CalibrationStep::kAccepted;
  enterWait(CalibrationWait::kNothing);
  updateStatus();
}

// [SECTION] Feeding

void CalibrationProcedure::add(const core::Sample& s) {
  ++m_status.samples;
  m_last_us = s.t_us;
  std::array<double, core::kCellCount> offsets{};
  for (int i = 0; i < core::kCellCount; ++i)
    offsets[i] = m_have_tare ? m_tare.offset_counts[i] : m_plan.gains.cells[i].offset_counts;
  const double f = totalForce_n(s, offsets, m_plan.gains);
  m_status.load_n = f;
  if (finished() || m_wait == CalibrationWait::kUser || m_wait == CalibrationWait::kNothing) {
    updateStatus();
    return;
  }
  if (!m_have_wait_start) m_have_wait_start = true, m_wait_start_us = s.t_us;
  const double waited_s =
      s.t_us >= m_wait_start_us ? static_cast<double>(s.t_us - m_wait_start_us) / 1e6 : 0.0;
  const bool timed_out = waited_s > waitLimit_s();

  if (m_wait == CalibrationWait::kMassOff || m_wait == CalibrationWait::kMassOn) {
    const bool on = m_wait == CalibrationWait::kMassOn;
    if (on ? f >= kLoadedFraction * weight_n() : f < kUnloadedFraction * weight_n()) {
      enterWait(on ? CalibrationWait::kSteady : CalibrationWait::kMassOn);
    } else if (timed_out) {
      const std::string limit = fmt("%.0f", kHandsFreeWaitForMass_s);
      const std::string which = "placement " + std::to_string(m_placement + 1);
      core::CalibrationError e = makeError(
          core::CalibrationErrorKind::kBadInput,
          on ? which + ": no mass appeared on the plate within " + limit + " s"
             : "the mass was not lifted off within " + limit + " s (before " + which + ")",
          static_cast<int>(m_placement));
      refuseAll(m_step, e, "");
      return;
    }
    updateStatus();
    return;
  }

  // Capturing a steady window.
  const bool placement = m_step == CalibrationStep::kPlacement;
  if (placement && f < kLoadedFraction * weight_n()) {
    m_window.clear();  // the mass came off: start again
  } else {
    m_window.push_back(s);
    if (m_window.size() > m_window_samples) m_window.pop_front();
  }
  if (m_window.size() == m_window_samples) {
    const std::vector<core::Sample> copy(m_window.begin(), m_window.end());
    const WindowVerdict v = judgeWindow(copy, judgement(""));
    if (v.ok()) {
      accept(v);
      return;
    }
    if (!v.steadiness) {  // steady but refused (a loaded tare): sliding will not mend it
      refuseWindow(v.error);
      return;
    }
    m_unsteady = v.error;
    if (!m_have_first_full) m_have_first_full = true, m_first_full_us = s.t_us;
  }
  if (timed_out) {
    core::CalibrationError reason = m_unsteady;
    if (!reason) {
      reason = makeError(core::CalibrationErrorKind::kTooFewSamples,
                         placement ? "the mass never stood still on the plate for " +
                                         fmt("%.0f", kCalibrationWindow_s) + " s"
                                   : "the plate never stayed steady for " +
                                         fmt("%.0f", kCalibrationWindow_s) + " s");
    }
    refuseWindow(reason);
    return;
  }
  updateStatus();
}

WindowVerdict CalibrationProcedure::submitWindow(const std::vector<core::Sample>& window,
                                                 const std::string& time_range) {
  if (finished()) {
    WindowVerdict v;
    v.error = makeError(core::CalibrationErrorKind::kBadInput,
                        std::string("the calibration is already ") + calibrationStepName(m_step));
    return v;
  }
  const WindowVerdict v = judgeWindow(window, judgement(time_range));
  if (v.ok())
    accept(v);
  else
    refuseWindow(v.error);
  return v;
}

// [SECTION] Explicit calls

void CalibrationProcedure::proceed() {
  if (finished() || m_wait != CalibrationWait::kUser) return;
  enterWait(CalibrationWait::kSteady);
  updateStatus();
}

core::CalibrationError CalibrationProcedure::skip() {
  if (m_step != CalibrationStep::kPlacement) {
    return makeError(core::CalibrationErrorKind::kBadInput, m_step == CalibrationStep::kTare
                                                                ? "the tare cannot be skipped"
                                                                : "there is no placement to skip");
  }
  // The placements taken and those still to come must still be able to solve.
  std::vector<MassPosition> left;
  for (const core::SpanPlacement& p : m_places) left.push_back({p.x_mm, p.y_mm});
  for (size_t p = m_placement + 1; p < m_plan.positions.size(); ++p)
    if (!m_skipped[p]) left.push_back(m_plan.positions[p]);
  core::CalibrationError e = checkLayout(left, m_plan.geometry);
  if (e) {
    e.message = "placement " + std::to_string(m_placement + 1) + " cannot be skipped: without it " +
                e.message;
    return e;
  }
  m_skipped[m_placement] = true;
  size_t next = m_placement;
  while (next < m_plan.positions.size() && m_skipped[next]) ++next;
  if (next >= m_plan.positions.size()) {
    finishPlacements();
  } else {
    enterStep(CalibrationStep::kPlacement, next);
  }
  return {};
}

void CalibrationProcedure::cancel() {
  if (finished()) return;
  m_step = CalibrationStep::kCancelled;
  enterWait(CalibrationWait::kNothing);
  updateStatus();
}

void CalibrationProcedure::setHandsFree(bool hands_free) {
  if (m_plan.hands_free == hands_free) return;
  m_plan.hands_free = hands_free;
  if (finished()) return;
  if (hands_free) {
    if (m_wait == CalibrationWait::kUser) handsFreeWaitForStep();
  } else {
    enterWait(CalibrationWait::kUser);
  }
  updateStatus();
}

// [SECTION] Results

void CalibrationProcedure::updateStatus() {
  CalibrationStatus& st = m_status;
  st.step = m_step;
  st.waiting_for = m_wait;
  st.placement = m_placement;
  st.placement_count = m_plan.positions.size();
  st.position = m_step == CalibrationStep::kPlacement && m_placement < m_plan.positions.size()
                    ? m_plan.positions[m_placement]
                    : MassPosition{};
  st.window_needed = m_wait == CalibrationWait::kSteady ? m_window_samples : 0;
  st.window_samples = m_wait == CalibrationWait::kSteady ? m_window.size() : 0;
  st.progress = st.window_needed
                    ? static_cast<double>(st.window_samples) / static_cast<double>(st.window_needed)
                    : 0.0;
  st.wait_limit_s = waitLimit_s();
  st.waited_s = m_have_wait_start && m_last_us >= m_wait_start_us
                    ? static_cast<double>(m_last_us - m_wait_start_us) / 1e6
                    : 0.0;
  st.unsteady = m_unsteady;
  st.unsteady_for_s = m_have_first_full && m_last_us >= m_first_full_us
                          ? static_cast<double>(m_last_us - m_first_full_us) / 1e6
                          : 0.0;
}

core::CalibrationRecord CalibrationProcedure::record(const std::string& created_utc) const {
  assert(m_step == CalibrationStep::kAccepted);
  core::CalibrationRecord rec;
  const core::TareResult& t = m_tare;
  rec.geometry = m_plan.geometry;
  rec.calibration.device_serial = m_plan.device_serial;
  rec.calibration.created = created_utc;
  rec.tare = core::TareRecord{t.stats.samples, t.stats.duration_s, t.stats.sd_counts};
  for (int i = 0; i < core::kCellCount; ++i)
    rec.calibration.cells[i].offset_counts = t.offset_counts[i];
  const std::string& where = m_plan.source;
  if (m_span && m_span->ok()) {
    for (int i = 0; i < core::kCellCount; ++i)
      rec.calibration.cells[i].n_per_count = m_span->n_per_count[i];
    rec.span =
        core::SpanRecord{m_plan.mass_kg, core::kStandardGravity_mps2, m_places, m_span->report};
    rec.calibration.source = "tare + span " + fmt("%g", m_plan.mass_kg) + " kg at " +
                             std::to_string(m_places.size()) + " placements, " + created_utc +
                             " (" + where + ")";
  } else if (m_plan.previous) {
    for (int i = 0; i < core::kCellCount; ++i)
      rec.calibration.cells[i].n_per_count = m_plan.previous->calibration.cells[i].n_per_count;
    rec.span = m_plan.previous->span;
    rec.calibration.source = "tare " + created_utc + " (" + where +
                             "); gains from: " + m_plan.previous->calibration.source;
  } else {
    rec.calibration.source =
        "tare " + created_utc + " (" + where + "); nominal gains (no span yet)";
  }
  return rec;
}

}  // namespace rollrig::engine

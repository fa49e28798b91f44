#include "calibration_controller.h"

#include <utility>

#include "rollrig/engine/live_session.h"
#include "rollrig/io/calibration_store.h"
#include "rollrig/io/session_meta.h"
#include "rollrig/io/virtual_rig_stream.h"

namespace rollrig::gui {

namespace {

// Host seconds without a sample: the device stopped (as `rollrig calibrate`'s kStall_s).
constexpr double kStall_s = 3.0;

}  // namespace

sim::VirtualDeviceConfig calibrationRigConfig(uint64_t seed, const CalibrationRequest& request) {
  sim::VirtualDeviceConfig cfg;
  cfg.body.seed = seed;
  cfg.body.duration_s = 0;  // no person: an empty plate, apart from the scripted mass
  if (request.virtual_script) {
    cfg.body.calibration_script = *request.virtual_script;
  } else if (!request.tare_only) {
    const std::vector<engine::MassPosition> positions =
        request.positions.empty() ? engine::defaultMassPositions(core::PlateGeometry{})
                                  : request.positions;
    cfg.body.calibration_script = engine::demoCalibrationScript(positions, request.mass_kg);
  }
  return cfg;
}

CalibrationController::CalibrationController(std::string calibration_dir)
    : m_dir(calibration_dir.empty() ? io::defaultCalibrationDir() : std::move(calibration_dir)) {}

CalibrationController::~CalibrationController() {
  disconnect();
}

void CalibrationController::joinOpener() {
  if (m_opener.joinable()) {
    m_cancel = true;
    m_opener.join();
  }
  m_cancel = false;
}

void CalibrationController::disconnect() {
  if (m_proc && !m_proc->finished()) m_proc->cancel();
  joinOpener();
  if (m_acq) m_acq->stop();
  m_acq.reset();
  m_budget.reset();
  m_pending.reset();
  if (m_snap.link == CalibrationSnapshot::Link::kConnecting ||
      m_snap.link == CalibrationSnapshot::Link::kConnected)
    m_snap.link = CalibrationSnapshot::Link::kNone;
  refreshSnapshot();
}

void CalibrationController::connect(const SourceChoice& source) {
  m_proc.reset();
  m_snap = CalibrationSnapshot{};
  open(source, std::nullopt);
}

void CalibrationController::open(const SourceChoice& source,
                                 const std::optional<CalibrationRequest>& script_for) {
  joinOpener();
  if (m_acq) m_acq->stop();
  m_acq.reset();
  m_budget.reset();
  m_have_sample = false;
  m_source = source;
  const bool virtual_rig = source.kind == SourceChoice::Kind::kVirtualRig;
  m_snap.link = CalibrationSnapshot::Link::kConnecting;
  m_snap.virtual_rig = virtual_rig;
  m_snap.source = virtual_rig ? "virtual rig" : source.port;
  m_snap.error.clear();
  m_open_done = false;
  m_open_ok = false;
  m_open_error = {};

  engine::StreamOpener opener;
  if (virtual_rig) {
    CalibrationRequest empty_plate;  // no mass until a run asks for it
    empty_plate.tare_only = true;
    const sim::VirtualDeviceConfig cfg =
        calibrationRigConfig(source.seed, script_for ? *script_for : empty_plate);
    std::shared_ptr<StepBudget> budget;
    if (source.fast) budget = m_budget = std::make_shared<StepBudget>();
    opener = [cfg, budget, fast = source.fast](io::IoError*) -> std::unique_ptr<io::ByteStream> {
      auto rig = std::make_unique<io::VirtualRigStream>(
          cfg,
          fast ? io::VirtualRigStream::Pacing::kFast : io::VirtualRigStream::Pacing::kRealTime);
      if (!budget) return rig;
      return std::make_unique<SteppedStream>(std::move(rig), budget);
    };
  } else {
    opener = engine::portOpener(source.port, source.baud);
  }
  m_opener = std::thread([this, opener] {
    io::blockStopSignalsInThisThread();
    io::IoError err;
    std::unique_ptr<io::ByteStream> stream = opener(&err);
    if (stream) {
      auto acq = std::make_unique<io::Acquisition>(std::move(stream));
      io::HandshakeOptions hs;
      hs.cancel = &m_cancel;
      if (acq->start(&err, hs)) {
        m_acq = std::move(acq);
        m_open_ok = true;
      }
    } else if (!err) {
      err = io::makeError(io::IoErrorKind::kSystem, "the source could not be opened.");
    }
    m_open_error = err;
    m_open_done.store(true, std::memory_order_release);
  });
}

void CalibrationController::fail(const std::string& why) {
  if (m_proc && !m_proc->finished()) m_proc->cancel();
  if (m_acq) m_acq->stop();
  m_acq.reset();
  m_budget.reset();
  m_pending.reset();
  m_snap.link = CalibrationSnapshot::Link::kFailed;
  m_snap.error = why;
}

void CalibrationController::calibrate(const CalibrationRequest& request) {
  if (m_snap.link != CalibrationSnapshot::Link::kConnected &&
      m_snap.link != CalibrationSnapshot::Link::kConnecting)
    return;
  m_proc.reset();
  m_snap.saved = false;
  m_snap.skip_error.clear();
  m_snap.saved_path.clear();
  m_snap.save_error.clear();
  if (m_source.kind == SourceChoice::Kind::kVirtualRig) {
    // A fresh rig whose mass schedule starts with this run.
    m_pending = request;
    open(m_source, request);
  } else if (m_snap.link == CalibrationSnapshot::Link::kConnecting) {
    m_pending = request;
  } else {
    startRun(request);
  }
  refreshSnapshot();
}

void CalibrationController::startRun(const CalibrationRequest& request) {
  const core::PlateGeometry geometry;  // the reference build's cells, as `rollrig calibrate`
  engine::CalibrationPlan plan;
  plan.mass_kg = request.mass_kg;
  plan.tare_only = request.tare_only;
  plan.positions =
      request.positions.empty() ? engine::defaultMassPositions(geometry) : request.positions;
  plan.geometry = geometry;
  plan.rate_hz = m_snap.rate_hz;
  // The virtual rig sets the mass down on its own schedule: it cannot wait for a click.
  plan.hands_free = request.hands_free || m_snap.virtual_rig;
  if (m_previous) plan.gains = m_previous->calibration;
  // The virtual rig is a new "device" for every seed, so its last tare says nothing.
  plan.compare_with_last_tare =
      m_previous.has_value() && !m_snap.virtual_rig && !request.ignore_last_tare;
  if (m_previous) plan.previous = m_previous;
  plan.device_serial = m_snap.device_serial;
  plan.source = m_acq ? m_acq->stream().describe() : m_snap.source;
  m_proc = std::make_unique<engine::CalibrationProcedure>(std::move(plan));
}

bool CalibrationController::update() {
  bool changed = false;
  if (m_snap.link == CalibrationSnapshot::Link::kConnecting &&
      m_open_done.load(std::memory_order_acquire)) {
    m_opener.join();
    changed = true;
    if (!m_open_ok) {
      fail(m_open_error.message);
    } else {
      const proto::InfoFrame info = m_acq->info();
      m_snap.link = CalibrationSnapshot::Link::kConnected;
      m_snap.source = m_acq->stream().describe();
      m_snap.have_device = true;
      m_snap.device_serial = info.device_serial;
      m_snap.rate_hz = info.rate_hz;
      // The previous calibration, as `rollrig calibrate` loads it; a malformed one is ignored
      // (and said), as there.
      m_previous.reset();
      m_snap.previous.clear();
      core::CalibrationRecord rec;
      io::IoError err;
      if (io::CalibrationStore(m_dir).load(info.device_serial, &rec, &err)) {
        m_previous = rec;
        m_snap.previous = rec.calibration.source;
      } else if (err.kind != io::IoErrorKind::kNotFound) {
        m_snap.previous = "unreadable, ignored: " + err.message;
      }
      if (m_pending) {
        const CalibrationRequest req = *m_pending;
        m_pending.reset();
        startRun(req);
      }
    }
  }
  if (m_snap.link == CalibrationSnapshot::Link::kConnected && m_acq) {
    m_buf.clear();
    io::AcquisitionSnapshot as;
    m_acq->take(m_buf, &as);
    for (const core::Sample& s : m_buf) {
      m_last = s;
      m_have_sample = true;
      if (m_proc) m_proc->add(s);
    }
    if (!m_buf.empty()) changed = true;
    if (!as.running) {
      fail(as.error ? as.error.message : "the device stopped streaming");
      changed = true;
    } else if (!m_snap.virtual_rig && as.since_last_sample_s >= kStall_s) {
      fail("no samples from " + m_snap.source + " for 3 s \u2014 is the device still running?");
      changed = true;
    }
  }
  // Re-tare is one click: a tare-only run is saved once accepted.
  if (m_proc && m_proc->plan().tare_only &&
      m_proc->status().step == engine::CalibrationStep::kAccepted && !m_snap.saved &&
      m_snap.save_error.empty()) {
    save();
    changed = true;
  }
  refreshSnapshot();
  return changed;
}

void CalibrationController::nextStep() {
  if (m_budget && m_snap.link == CalibrationSnapshot::Link::kConnected) m_budget->grant();
}

void CalibrationController::proceed() {
  if (!m_proc) return;
  // What arrived while the view waited for the click is not the window (the CLI discards it too).
  if (m_acq) {
    m_buf.clear();
    m_acq->take(m_buf);
    if (!m_buf.empty()) m_last = m_buf.back(), m_have_sample = true;
  }
  m_proc->proceed();
  refreshSnapshot();
}

core::CalibrationError CalibrationController::skip() {
  if (!m_proc) return {};
  const core::CalibrationError e = m_proc->skip();
  m_snap.skip_error = e ? e.message : "";
  refreshSnapshot();
  return e;
}

void CalibrationController::cancel() {
  m_pending.reset();
  if (m_proc) m_proc->cancel();
  refreshSnapshot();
}

void CalibrationController::setHandsFree(bool hands_free) {
  if (m_proc && !m_snap.virtual_rig) m_proc->setHandsFree(hands_free);
  refreshSnapshot();
}

bool CalibrationController::save() {
  if (!m_proc || m_proc->status().step != engine::CalibrationStep::kAccepted) {
    m_snap.save_error = "there is no accepted calibration to save";
    return false;
  }
  if (m_snap.saved) return true;
  const core::CalibrationRecord rec = m_proc->record(io::isoUtcNow());
  io::IoError err;
  std::string path;
  if (!io::CalibrationStore(m_dir).save(rec, &err, &path)) {
    m_snap.save_error = err.message;
    return false;
  }
  m_snap.saved = true;
  m_snap.saved_path = path;
  m_snap.save_error.clear();
  // The new calibration is the device's previous one for the next run (and the live load).
  m_previous = rec;
  m_snap.previous = rec.calibration.source;
  return true;
}

bool CalibrationController::active() const {
  return m_snap.link == CalibrationSnapshot::Link::kConnecting ||
         (m_proc && !m_proc->finished() && m_snap.link == CalibrationSnapshot::Link::kConnected);
}

void CalibrationController::refreshSnapshot() {
  CalibrationSnapshot& s = m_snap;
  s.have_run = m_proc != nullptr || m_pending.has_value();
  s.tare_accepted = false;
  s.placements.clear();
  s.span.reset();
  s.last_refusal.reset();
  s.tare_noise_n = {};
  if (m_proc) {
    const engine::CalibrationProcedure& p = *m_proc;
    s.plan = p.plan();
    s.status = p.status();
    s.tare_accepted = p.tareAccepted();
    if (s.tare_accepted)
      for (int i = 0; i < core::kCellCount; ++i)
        s.tare_noise_n[i] = p.tare().stats.sd_counts[i] * s.plan.gains.cells[i].n_per_count;
    s.placements = p.placements();
    s.span = p.span();
    s.last_refusal = p.lastRefusal();
  } else {
    s.status = engine::CalibrationStatus{};
  }
  // Each cell's load now: the run's tare (and solved gains) once known, else the previous
  // calibration's offsets; without either the counts say nothing in newtons yet.
  s.have_cell_load = false;
  if (m_have_sample && (s.tare_accepted || m_previous)) {
    core::Calibration c = m_previous ? m_previous->calibration : core::Calibration{};
    if (m_proc) c = m_proc->plan().gains;
    if (s.tare_accepted)
      for (int i = 0; i < core::kCellCount; ++i)
        c.cells[i].offset_counts = m_proc->tare().offset_counts[i];
    if (s.span && s.span->ok())
      for (int i = 0; i < core::kCellCount; ++i) c.cells[i].n_per_count = s.span->n_per_count[i];
    for (int i = 0; i < core::kCellCount; ++i)
      s.cell_load_n[i] = (m_last.raw_counts[i] - c.cells[i].offset_counts) * c.cells[i].n_per_count;
    s.have_cell_load = true;
  }
}

void startCalibrateDemo(CalibrationController& ctl, uint64_t seed, bool fast, double said_mass_kg) {
  SourceChoice src;
  src.kind = SourceChoice::Kind::kVirtualRig;
  src.seed = seed;
  src.fast = fast;
  ctl.connect(src);
  CalibrationRequest req;
  req.mass_kg = said_mass_kg > 0 ? said_mass_kg : kDemoMass_kg;
  if (req.mass_kg != kDemoMass_kg)
    req.virtual_script = engine::demoCalibrationScript(
        engine::defaultMassPositions(core::PlateGeometry{}), kDemoMass_kg);
  ctl.calibrate(req);
}

}  // namespace rollrig::gui

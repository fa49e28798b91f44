#include "session_controller.h"

#include <utility>

#include "rollrig/sim/virtual_device.h"

namespace rollrig::gui {

namespace {

// The demo runs until the window closes: a long planned session, planned an hour ahead.
constexpr double kDemoPlanned_s = 8 * 3600.0;
constexpr double kDemoPlanAhead_s = 3600.0;

}  // namespace

SessionController::SessionController(std::string db_path, std::function<void()> wake)
    : m_db_path(std::move(db_path)), m_wake(std::move(wake)) {}

SessionController::~SessionController() {
  stop();
}

bool SessionController::start(const SourceChoice& source) {
  stop();
  m_session.reset();
  m_library.reset();
  m_budget.reset();
  m_snap = engine::LiveSnapshot{};
  m_samples.clear();
  m_error.clear();
  m_notice.clear();
  m_source = source;
  m_started_with = m_new;

  if (!m_db_path.empty()) {
    store::SessionInfo user;
    user.ball = m_new.ball;
    user.body_mass_kg = m_new.body_mass_kg;
    auto lib = std::make_unique<engine::StoreSessionSink>(m_db_path, user);
    std::string why;
    if (!lib->prepare(&why)) {
      m_error = why;
      return false;
    }
    for (const engine::RecoveredSession& r : lib->recovered()) {
      m_notice += "Session " + std::to_string(r.session_id) + " (started " + r.started_utc +
                  ") was interrupted; its " + std::to_string(r.samples) +
                  " samples were recovered. ";
    }
    if (!lib->warning().empty()) m_notice += lib->warning();
    m_library = std::move(lib);
  }

  engine::LiveSessionOptions so;
  if (source.kind == SourceChoice::Kind::kVirtualRig) {
    sim::VirtualDeviceConfig cfg;
    cfg.body.seed = source.seed;
    cfg.body.duration_s = kDemoPlanned_s;
    cfg.body.plan_ahead_s = kDemoPlanAhead_s;
    if (source.fast) {
      m_budget = std::make_shared<StepBudget>();
      engine::StreamOpener inner =
          engine::virtualRigOpener(cfg, io::VirtualRigStream::Pacing::kFast);
      std::shared_ptr<StepBudget> budget = m_budget;
      so.open = [inner, budget](io::IoError* err) -> std::unique_ptr<io::ByteStream> {
        std::unique_ptr<io::ByteStream> s = inner(err);
        if (!s) return nullptr;
        return std::make_unique<SteppedStream>(std::move(s), budget);
      };
    } else {
      so.open = engine::virtualRigOpener(cfg, io::VirtualRigStream::Pacing::kRealTime);
    }
  } else {
    so.open = engine::portOpener(source.port, source.baud);
  }
  so.hold_params.protocol_min_s = m_new.protocol_min_s;
  so.hold_params.protocol_max_s = m_new.protocol_max_s;
  so.hold_params.slow_roll_mm_s = m_new.slow_roll_mm_s;
  so.cues = m_new.cues;
  so.body_mass_kg = m_new.body_mass_kg.value_or(0);
  so.on_update = m_wake;
  m_session = std::make_unique<engine::LiveSession>(std::move(so));
  if (m_library) m_session->addSink(m_library.get());
  m_session->start();
  return true;
}

void SessionController::stop() {
  if (!m_session) return;
  m_session->stop("stopped");
  m_session->wait();
  update();  // the final state (how it ended)
}

bool SessionController::update() {
  if (!m_session) return false;
  engine::LiveSnapshot snap = m_session->snapshot();
  bool changed =
      !snap.new_samples.empty() || snap.state != m_snap.state || snap.finished != m_snap.finished ||
      snap.last_error != m_snap.last_error || snap.state_message != m_snap.state_message ||
      snap.markers.size() != m_snap.markers.size() || snap.holds.size() != m_snap.holds.size() ||
      snap.info.has_value() != m_snap.info.has_value();
  for (const engine::ProcessedSample& s : snap.new_samples) m_samples.append(s);
  m_cues.insert(m_cues.end(), snap.new_cues.begin(), snap.new_cues.end());
  changed = changed || !snap.new_cues.empty();
  snap.new_samples.clear();
  snap.new_samples.shrink_to_fit();
  m_snap = std::move(snap);
  return changed;
}

void SessionController::nextStep() {
  if (m_budget && running()) m_budget->grant();
}

void SessionController::markReleased() {
  if (running()) m_session->markReleased();
}

void SessionController::markPain(int pain_0_10) {
  if (running()) m_session->markPain(pain_0_10);
}

void SessionController::markSide(core::Side side) {
  if (running()) m_session->markSide(side);
}

void SessionController::addNote(const std::string& text) {
  if (running()) m_session->addNote(text);
}

}  // namespace rollrig::gui

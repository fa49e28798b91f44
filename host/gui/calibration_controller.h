// CalibrationController: the Calibrate view's connection to a device and its run of the engine's
// calibration procedure (engine::CalibrationProcedure). It holds no calibration logic: the steps,
// waits, acceptance rules, the solve and the record to save are the procedure's; this is the thin
// driver `rollrig calibrate` also is (host/cli/calibrate_command.cpp), with buttons instead of
// Enter.
//
// Its own connection, like `rollrig calibrate`: an io::Acquisition on the stream the user picked
// (a serial port, the twin's pty, or the virtual rig), never the live session's. So the procedure
// gets the device's raw counts straight from the decoder (no tare, gains or re-zero applied on the
// way), and nothing is recorded into the session library: a calibration is not a rolling session.
// A port the live session holds is refused as busy (ports are opened exclusively) and shown as
// state. The virtual rig is made fresh for each run with the procedure's demo script (it sets the
// mass down at each position itself, on a schedule counted from the run's start), so its runs are
// hands-free, as `rollrig calibrate --demo` is.
//
// Saving is exactly `rollrig calibrate`'s: io::CalibrationStore::save() for the device's serial,
// where `rollrig record` (engine::LiveSession) loads it with io::CalibrationStore::load().
//
// Time: the procedure runs on the samples' device time only. The host clock is used for one
// thing, as in the CLI: a device that sends nothing for kStall_s is reported as stalled
// (AcquisitionSnapshot::since_last_sample_s; never for the virtual rig, which waits for its
// reader).
//
// Threads: UI thread only. Opening and the handshake (up to 3 s on a port) run on a worker thread
// started by connect(); update() picks the result up. Errors are state (error()), never thrown.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rollrig/core/calibration.h"
#include "rollrig/engine/calibration_procedure.h"
#include "rollrig/io/acquisition.h"
#include "session_controller.h"
#include "stepped_stream.h"

namespace rollrig::gui {

// What one calibration run is asked to do (the view's settings when the user clicks).
struct CalibrationRequest {
  double mass_kg = 10;  // the known mass (ignored for tare_only)
  bool tare_only =
      false;  // re-tare only: keeps the previous gains (`rollrig calibrate --tare-only`)
  bool hands_free = false;  // no "ready" clicks (`--yes`); always so on the virtual rig
  // Do not compare the tare with the device's last one (`--ignore-last-tare`: the plate or the
  // cells were changed).
  bool ignore_last_tare = false;
  // Where the mass goes; empty: engine::defaultMassPositions() (the marks of hardware/README.md).
  std::vector<engine::MassPosition> positions;
  // The virtual rig only: the mass's schedule instead of engine::demoCalibrationScript() (tests:
  // e.g. a mass left on too long).
  std::optional<std::vector<sim::ScriptedLoad>> virtual_script;
};

// Everything the Calibrate view shows, as plain data (computeCalibrateView() takes it; tests build
// it by hand).
struct CalibrationSnapshot {
  enum class Link { kNone, kConnecting, kConnected, kFailed } link = Link::kNone;
  std::string source;  // the stream's describe() (or the path asked for)
  bool virtual_rig = false;
  std::string error;  // why the link failed or ended; "" when fine
  // The device (once the handshake is done).
  bool have_device = false;
  uint32_t device_serial = 0;
  uint32_t rate_hz = 0;
  std::string previous;  // the previous calibration's source line; "" none stored
  // A run (once calibrate() started one); `plan`, `status` and the results are the procedure's.
  bool have_run = false;
  engine::CalibrationPlan plan;
  engine::CalibrationStatus status;
  bool tare_accepted = false;
  std::array<double, core::kCellCount> tare_noise_n{};  // rms per cell, N
  std::vector<core::SpanPlacement> placements;
  std::optional<core::SpanResult> span;
  std::optional<engine::CalibrationRefusal> last_refusal;
  // Per cell, N, of the latest sample (offsets: the run's tare once accepted, else the previous
  // calibration's); have_cell_load false when neither is known (the counts say nothing in N yet).
  bool have_cell_load = false;
  std::array<double, core::kCellCount> cell_load_n{};
  // Why the last "skip this mark" was refused (the rest could no longer solve); "" none.
  std::string skip_error;
  // Saving (accepted runs): where it went, or why it could not.
  bool saved = false;
  std::string saved_path;
  std::string save_error;
};

class CalibrationController {
 public:
  // `calibration_dir`: where calibrations are loaded from and saved to ("": the default,
  // io::defaultCalibrationDir(), the same as `rollrig calibrate` and `rollrig record`).
  explicit CalibrationController(std::string calibration_dir = "");
  ~CalibrationController();  // disconnect()
  CalibrationController(const CalibrationController&) = delete;
  CalibrationController& operator=(const CalibrationController&) = delete;

  // Opens `source` on a worker thread (ending any connection and run first).
  void connect(const SourceChoice& source);
  // Ends the run (cancelled) and the connection.
  void disconnect();

  // Starts a run on the connected device (a new one replaces a finished run). On the virtual rig
  // the rig is made again with the run's script, and the run starts once it answered. Ignored
  // when nothing is connected or connecting.
  void calibrate(const CalibrationRequest& request);

  // Once a frame: picks up the handshake, takes the samples and feeds them to the procedure, and
  // checks the link. True when anything changed (a redraw is due).
  bool update();
  // --fast virtual rig: lets it advance about one second of device time (stepped_stream.h). Once
  // per drawn frame; no-op otherwise.
  void nextStep();

  // The procedure's explicit calls (ignored without a run).
  void proceed();                      // "the plate is clear" / "the mass is in place"
  core::CalibrationError skip();       // this placement
  void cancel();                       // the run (the connection stays)
  void setHandsFree(bool hands_free);  // switch modes mid-run
  // Saves an accepted run for the device's serial (io::CalibrationStore, as `rollrig
  // calibrate`); false with snapshot().save_error otherwise. A tare-only run is saved as soon as
  // it is accepted (re-tare is one click).
  bool save();

  const CalibrationSnapshot& snapshot() const { return m_snap; }
  // Connecting, or a run that has not finished: the window keeps drawing.
  bool active() const;
  bool connected() const { return m_snap.link == CalibrationSnapshot::Link::kConnected; }
  const engine::CalibrationProcedure* procedure() const { return m_proc.get(); }
  const std::string& calibrationDir() const { return m_dir; }

 private:
  void open(const SourceChoice& source, const std::optional<CalibrationRequest>& script_for);
  void joinOpener();
  void startRun(const CalibrationRequest& request);
  void refreshSnapshot();
  void fail(const std::string& why);

  std::string m_dir;
  SourceChoice m_source;
  std::unique_ptr<io::Acquisition> m_acq;
  std::shared_ptr<StepBudget> m_budget;  // --fast virtual rig only
  std::thread m_opener;
  std::atomic<bool> m_open_done{false};
  std::atomic<bool> m_cancel{false};
  bool m_open_ok = false;
  io::IoError m_open_error;
  std::optional<CalibrationRequest> m_pending;  // a run waiting for the connection

  std::optional<core::CalibrationRecord> m_previous;
  std::unique_ptr<engine::CalibrationProcedure> m_proc;
  bool m_have_sample = false;
  core::Sample m_last;
  std::vector<core::Sample> m_buf;
  CalibrationSnapshot m_snap;
};

// The virtual rig's device for a calibration run: an empty plate (no person), the mass placed by
// `script` (demoCalibrationScript when empty and not tare-only).
sim::VirtualDeviceConfig calibrationRigConfig(uint64_t seed, const CalibrationRequest& request);

// `rollrig-gui --calibrate-demo`: connects the virtual rig (seed, fast) and runs a calibration
// with kDemoMass_kg at the default marks, hands-free (as `rollrig calibrate --demo --mass 10`).
// `said_mass_kg` > 0: the mass the user says it is (--calibrate-demo-mass), while the rig still
// sets down kDemoMass_kg: a wrong mass typed in, which the procedure refuses.
inline constexpr double kDemoMass_kg = 10;
void startCalibrateDemo(CalibrationController& ctl, uint64_t seed, bool fast,
                        double said_mass_kg = 0);

}  // namespace rollrig::gui

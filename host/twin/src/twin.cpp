// The firmware twin: simavr + simulated HX711s + a pty bridge. See twin.h.
#include "rollrig/twin/twin.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <avr_ioport.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_cycle_timers.h>
#include <sim_elf.h>
#include <sim_irq.h>
#include <sim_time.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <sstream>
#include <thread>

#include "pins.h"
#include "protocol/protocol.h"
#include "rollrig/core/frame_decoder.h"

namespace rollrig::twin {

namespace {

constexpr uint32_t kCpuHz = 16000000;
constexpr uint32_t kConversionPeriod_us = 12500;  // HX711 at 80 SPS
constexpr uint32_t kPowerDownHigh_us = 60;        // SCK high longer than this powers down
constexpr uint32_t kSettling_us = 50000;          // first data after power-up/reset
constexpr uint32_t kServicePeriod_us = 100;       // pty bridge and bookkeeping
constexpr size_t kMaxQueuedToHost = 1 << 16;      // beyond this, fast mode waits for the host
constexpr uint16_t kRjmpToItself = 0xCFFF;        // `rjmp .-2`: the stall fault's spin

// Arduino Uno digital pin -> AVR port letter and bit.
void arduinoPin(uint8_t pin, char* port, uint8_t* bit) {
  if (pin < 8) {
    *port = 'D';
    *bit = pin;
  } else if (pin < 14) {
    *port = 'B';
    *bit = static_cast<uint8_t>(pin - 8);
  } else {
    *port = 'C';
    *bit = static_cast<uint8_t>(pin - 14);
  }
}

double cyclesToUs(uint64_t c) {
  return c * 1e6 / kCpuHz;
}

// simavr logs to stdout by default, which is where the twin prints the pty path: keep only
// errors, on stderr.
void simavrLogger(avr_t*, const int level, const char* format, va_list ap) {
  if (level > LOG_ERROR) return;
  std::fputs("rollrig-twin: simavr: ", stderr);
  std::vfprintf(stderr, format, ap);
}

}  // namespace

// [SECTION] Simulated HX711
// Datasheet behaviour: DOUT low = conversion ready; each SCK rising edge shifts out the next of 24
// bits MSB first (two's complement); pulse 25/26/27 selects A128/B32/A64 for the next conversion
// and drives DOUT high until then; SCK high > 60 us powers the chip down, and SCK low again
// resets it, with the first data after the 50 ms settling time.
struct SimHx711 {
  void* owner = nullptr;  // the Twin::Impl simulating this chip
  int index = 0;
  avr_irq_t* dout = nullptr;
  avr_irq_t* sck = nullptr;
  // state
  bool powered = true;
  bool dead = false;  // fault: never ready again
  bool sck_high = false;
  bool ready = false;
  bool stretch_pending = false;
  uint32_t data = 0;  // 24-bit
  int pulses = 0;     // SCK pulses since the conversion
  uint64_t rise_cycle = 0;
  uint64_t read_start_cycle = 0;
  uint64_t next_conversion = 0;  // absolute sim cycle
  uint32_t gain_pulses = 25;
};

struct Twin::Impl {
  // simavr calls every registered I/O module's reset() on each AVR reset — the watchdog's and
  // REBOOT's happen inside avr_run() — and clears all cycle timers first: this module is how the
  // twin learns of a reset and re-arms its own timers.
  struct ResetHook {
    avr_io_t io{};  // first member: simavr hands back this pointer
    Impl* self = nullptr;
  };

  TwinOptions opt;
  sim::BodyModel body;
  sim::ModelSample current{};
  avr_t* avr = nullptr;
  elf_firmware_t fw{};
  SimHx711 hx[pins::kHx711Count];
  std::string pty_path;
  int master = -1;
  int slave = -1;
  avr_irq_t* uart_in = nullptr;
  bool uart_xoff = false;
  std::deque<uint8_t> to_host;
  std::deque<uint8_t> to_device;
  std::mt19937_64 fault_rng;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> device_cycles{0};  // now(), published for deviceTimeS()
  TwinReport report;
  ResetHook reset_hook;
  bool expect_boot_info = true;  // the next INFO is the firmware's boot INFO
  bool reset_done = false;
  bool stall_pending = false;  // the stall fault is due: enter it at the next main-loop instruction
  bool stall_done = false;
  bool dead_applied = false;
  bool stretch_armed = false;
  // interrupts-off tracking
  bool irq_off = false;
  bool irq_off_in_read = false;
  uint64_t irq_off_start = 0;
  uint64_t boot_cycle = 0;
  // the firmware's own output, decoded for the report
  struct OwnSink : core::FrameSink {
    TwinReport* r = nullptr;
    bool* expect_boot_info = nullptr;
    void onSample(const core::Sample&) override { ++r->samples_sent; }
    void onInfo(const proto::InfoFrame& f) override {
      if (!*expect_boot_info) return;  // an answer to IDENTIFY
      *expect_boot_info = false;
      r->boot_reset_causes.push_back(f.reset_cause);
    }
    void onStatus(const proto::StatusFrame& s) override {
      r->firmware_frames_dropped = s.frames_dropped;
      r->firmware_hx711_timeouts = s.hx711_timeouts;
    }
  } own_sink;
  std::unique_ptr<core::FrameDecoder> own_decoder;

  explicit Impl(TwinOptions o) : opt(std::move(o)), body(opt.body), fault_rng(opt.faults.seed) {
    own_sink.r = &report;
    own_sink.expect_boot_info = &expect_boot_info;
    own_decoder = std::make_unique<core::FrameDecoder>(own_sink);
  }

  // simavr's cycle counter runs on across resets (avr_reset() leaves it alone).
  uint64_t now() const { return avr->cycle; }
  uint64_t usToCycles(double us) const { return static_cast<uint64_t>(us * kCpuHz / 1e6); }
  double nowS() const { return now() / static_cast<double>(kCpuHz); }

  // [SECTION] HX711 events
  void setDout(SimHx711& c, bool high) { avr_raise_irq(c.dout, high ? 1 : 0); }

  void convert(SimHx711& c) {
    if (!c.powered || c.dead) return;
    if (c.pulses > 0 && c.pulses < 24) return;  // mid-read: this conversion is lost
    const int32_t v = current.raw_counts[c.index];
    c.data = static_cast<uint32_t>(v) & 0xFFFFFFu;
    c.ready = true;
    c.pulses = 0;
    setDout(c, false);
  }

  void onSck(SimHx711& c, bool high) {
    if (high == c.sck_high) return;
    c.sck_high = high;
    if (high) {
      c.rise_cycle = now();
      if (!c.powered || c.dead) return;
      if (c.stretch_pending) {
        // Fault: this pulse behaves as if SCK stayed high > 60 us (an ISR in the bit-bang).
        c.stretch_pending = false;
        powerDown(c);
        return;
      }
      if (c.pulses == 0) c.read_start_cycle = now();
      ++c.pulses;
      if (c.pulses <= 24) {
        setDout(c, (c.data >> (24 - c.pulses)) & 1u);
      } else {
        c.ready = false;
        setDout(c, true);
      }
      avr_cycle_timer_register_usec(avr, kPowerDownHigh_us, &Impl::powerDownCheck, &c);
    } else {
      const double high_us = cyclesToUs(now() - c.rise_cycle);
      report.max_sck_high_us = std::max(report.max_sck_high_us, high_us);
      if (!c.powered && !c.dead) {
        powerUp(c);
        return;
      }
      if (c.pulses >= 25 && c.pulses <= 27) {
        c.gain_pulses = static_cast<uint32_t>(c.pulses);
        if (c.pulses == 25) {
          ++report.hx711_reads;
          report.max_read_us = std::max(report.max_read_us, cyclesToUs(now() - c.read_start_cycle));
        }
      }
    }
  }

  void powerDown(SimHx711& c) {
    c.powered = false;
    c.ready = false;
    c.pulses = 0;
    setDout(c, true);
    ++report.hx711_power_downs;
  }

  void powerUp(SimHx711& c) {
    c.powered = true;
    c.pulses = 0;
    c.next_conversion = now() + usToCycles(kSettling_us);
  }

  static avr_cycle_count_t powerDownCheck(avr_t*, avr_cycle_count_t, void* param) {
    auto* c = static_cast<SimHx711*>(param);
    auto* self = static_cast<Impl*>(c->owner);
    if (c->sck_high && c->powered &&
        self->now() - c->rise_cycle >= self->usToCycles(kPowerDownHigh_us)) {
      self->powerDown(*c);
    }
    return 0;
  }

  static void sckNotify(avr_irq_t*, uint32_t value, void* param) {
    auto* c = static_cast<SimHx711*>(param);
    static_cast<Impl*>(c->owner)->onSck(*c, value != 0);
  }

  // [SECTION] UART bridge
  static void uartOut(avr_irq_t*, uint32_t value, void* param) {
    auto* self = static_cast<Impl*>(param);
    uint8_t b = static_cast<uint8_t>(value);
    self->own_decoder->feed(&b, 1);
    const Faults& f = self->opt.faults;
    std::uniform_real_distribution<double> u(0, 1);
    if (f.uart_drop_probability > 0 && u(self->fault_rng) < f.uart_drop_probability) {
      ++self->report.uart_bytes_dropped;
      return;
    }
    if (f.uart_flip_probability > 0 && u(self->fault_rng) < f.uart_flip_probability) {
      b ^= static_cast<uint8_t>(1 + self->fault_rng() % 255);
      ++self->report.uart_bytes_flipped;
    }
    self->to_host.push_back(b);
    ++self->report.bytes_to_host;
  }
  static void uartXon(avr_irq_t*, uint32_t, void* param) {
    static_cast<Impl*>(param)->uart_xoff = false;
  }
  static void uartXoff(avr_irq_t*, uint32_t, void* param) {
    static_cast<Impl*>(param)->uart_xoff = true;
  }

  void servicePty() {
    // device -> host
    while (!to_host.empty()) {
      uint8_t buf[1024];
      const size_t n = std::min(sizeof(buf), to_host.size());
      std::copy(to_host.begin(), to_host.begin() + static_cast<long>(n), buf);
      const ssize_t w = ::write(master, buf, n);
      if (w <= 0) break;
      to_host.erase(to_host.begin(), to_host.begin() + w);
    }
    // host -> device
    uint8_t buf[256];
    const ssize_t r = ::read(master, buf, sizeof(buf));
    if (r > 0) {
      std::uniform_real_distribution<double> u(0, 1);
      for (ssize_t i = 0; i < r; ++i) {
        uint8_t b = buf[i];
        if (opt.faults.host_corrupt_probability > 0 &&
            u(fault_rng) < opt.faults.host_corrupt_probability)
          b ^= static_cast<uint8_t>(1 + fault_rng() % 255);
        to_device.push_back(b);
      }
      report.bytes_from_host += static_cast<uint64_t>(r);
    }
    // At most a few bytes per tick (the line runs at 25 bytes/ms) and only while the UART's
    // input FIFO has room.
    for (int i = 0; i < 2 && !to_device.empty() && !uart_xoff; ++i) {
      avr_raise_irq(uart_in, to_device.front());
      to_device.pop_front();
    }
  }

  // [SECTION] Clocked events
  static avr_cycle_count_t serviceTick(avr_t* avr, avr_cycle_count_t when, void* param) {
    auto* self = static_cast<Impl*>(param);
    self->servicePty();
    self->applyFaults();
    return when + avr_usec_to_cycles(avr, kServicePeriod_us);
  }

  static avr_cycle_count_t bodyTick(avr_t* avr, avr_cycle_count_t when, void* param) {
    auto* self = static_cast<Impl*>(param);
    self->current = self->body.next();
    return when + avr_usec_to_cycles(avr, kConversionPeriod_us);
  }

  static avr_cycle_count_t conversionTick(avr_t* avr, avr_cycle_count_t when, void* param) {
    auto* c = static_cast<SimHx711*>(param);
    auto* self = static_cast<Impl*>(c->owner);
    if (self->now() >= c->next_conversion) {
      self->convert(*c);
      c->next_conversion = self->now() + self->usToCycles(kConversionPeriod_us);
    }
    (void)avr;
    // Re-check at the next due time (a power-up may have moved it later).
    return std::max<avr_cycle_count_t>(c->next_conversion, when + 1);
  }

  void registerTimers() {
    avr_cycle_timer_register_usec(avr, kServicePeriod_us, &Impl::serviceTick, this);
    avr_cycle_timer_register_usec(avr, kConversionPeriod_us, &Impl::bodyTick, this);
    for (auto& c : hx) {
      const uint64_t due = c.next_conversion > now() ? c.next_conversion - now() : 1;
      avr_cycle_timer_register(avr, due, &Impl::conversionTick, &c);
    }
  }

  void applyFaults() {
    const Faults& f = opt.faults;
    const double t = nowS();
    if (!dead_applied && f.dead_chip >= 0 && f.dead_chip_at_s >= 0 && t >= f.dead_chip_at_s) {
      dead_applied = true;
      hx[f.dead_chip].dead = true;
      hx[f.dead_chip].ready = false;
      setDout(hx[f.dead_chip], true);
    }
    if (!stretch_armed && f.sck_stretch_chip >= 0 && f.sck_stretch_at_s >= 0 &&
        t >= f.sck_stretch_at_s) {
      stretch_armed = true;
      hx[f.sck_stretch_chip].stretch_pending = true;
    }
    if (!stall_done && f.stall_at_s >= 0 && t >= f.stall_at_s) {
      stall_done = true;
      stall_pending = true;
    }
  }

  // The stall fault: send the CPU to an `rjmp` to itself in the last word of flash (erased on a
  // board without a bootloader; the ELF must not reach it). Interrupts keep running — an ISR
  // returns into the spin — so the watchdog's interrupt marks the stall and its second timeout
  // resets the board, exactly as for a loop hung in the firmware. Entered only between
  // instructions of the main loop (I flag set: no ISR is running), never inside an ISR.
  bool enterStall(std::string* error) {
    const uint32_t spin = avr->flashend - 1;  // the last 16-bit word
    if (fw.flashbase + fw.flashsize > spin) {
      *error = "the firmware fills the flash up to its last word; the stall fault needs it free";
      return false;
    }
    avr->flash[spin] = kRjmpToItself & 0xFF;
    avr->flash[spin + 1] = kRjmpToItself >> 8;
    avr->pc = spin;
    return true;
  }

  // [SECTION] Setup and run
  bool start(std::string* error) {
    avr_global_logger_set(&simavrLogger);
    if (elf_read_firmware(opt.firmware_elf.c_str(), &fw) != 0) {
      *error = "cannot read the firmware ELF " + opt.firmware_elf +
               " (build it with: cmake --build build --target firmware)";
      return false;
    }
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) {
      *error = "simavr does not know the atmega328p";
      return false;
    }
    avr_init(avr);
    avr->log = LOG_ERROR;
    avr->frequency = kCpuHz;
    avr_load_firmware(avr, &fw);
    avr->frequency = kCpuHz;

    // UART0 <-> our queues; no simavr console echo.
    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~AVR_UART_FLAG_STDIO;
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    uart_in = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                            &Impl::uartOut, this);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
                            &Impl::uartXon, this);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF),
                            &Impl::uartXoff, this);

    // HX711s on the pins the firmware uses (firmware/rollrig/src/pins.h), out of phase.
    std::mt19937 phase_rng(static_cast<uint32_t>(opt.body.seed * 7919 + 17));
    for (int i = 0; i < pins::kHx711Count; ++i) {
      SimHx711& c = hx[i];
      c.owner = this;
      c.index = i;
      char port;
      uint8_t bit;
      arduinoPin(pins::kHx711Dout[i], &port, &bit);
      c.dout = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(port), bit);
      arduinoPin(pins::kHx711Sck[i], &port, &bit);
      c.sck = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(port), bit);
      avr_irq_register_notify(c.sck, &Impl::sckNotify, &c);
      setDout(c, true);
      c.next_conversion = usToCycles(kSettling_us + (phase_rng() % kConversionPeriod_us));
    }
    registerTimers();
    reset_hook.self = this;
    reset_hook.io.kind = "rollrig-twin";
    reset_hook.io.reset = &Impl::onAvrReset;
    avr_register_io(avr, &reset_hook.io);

    // The pty: the host opens the slave like any serial port; we keep a slave fd open so the
    // master never sees a hang-up between host sessions.
    char name[256];
    if (openpty(&master, &slave, name, nullptr, nullptr) != 0) {
      *error = std::string("openpty failed: ") + std::strerror(errno);
      return false;
    }
    termios tio{};
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    pty_path = name;
    if (!opt.pty_link.empty()) {
      ::unlink(opt.pty_link.c_str());
      if (::symlink(pty_path.c_str(), opt.pty_link.c_str()) != 0) {
        *error = "cannot create the symlink " + opt.pty_link + ": " + std::strerror(errno);
        return false;
      }
    }
    return true;
  }

  // The reset fault: the reset pin pulled (as when a host opens the port of an Uno).
  void boardReset() {
    avr_reset(avr);  // onAvrReset() re-arms the twin
    avr_regbit_set(avr, avr->reset_flags.extrf);
  }

  // Every AVR reset after power-on, whatever caused it.
  static void onAvrReset(avr_io_t* io) {
    Impl* self = reinterpret_cast<ResetHook*>(io)->self;
    self->afterReset();
  }
  void afterReset() {
    ++report.board_resets;
    for (auto& c : hx) {
      // The HX711s keep their own power; only the AVR restarts.
      if (c.next_conversion < now()) c.next_conversion = now() + 1;
      c.sck_high = false;
      c.read_start_cycle = now();  // a read cut by the reset is not a slow read
    }
    registerTimers();  // avr_reset() cleared every cycle timer
    boot_cycle = now();
    uart_xoff = false;  // the UART's receive FIFO is empty again
    stall_pending = false;
    expect_boot_info = true;
  }

  TwinReport run() {
    const auto wall0 = std::chrono::steady_clock::now();
    const uint64_t end_cycle =
        opt.duration_s > 0 ? static_cast<uint64_t>(opt.duration_s * kCpuHz) : UINT64_MAX;
    const uint64_t boot_settle = usToCycles(200000);  // ignore interrupts-off during init()
    uint64_t next_pace = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const int state = avr_run(avr);
      if (state == cpu_Done || state == cpu_Crashed) {
        std::fprintf(stderr, "rollrig-twin: the simulated AVR %s at %.3f s\n",
                     state == cpu_Crashed ? "crashed" : "stopped", nowS());
        break;
      }
      if (stall_pending && avr->sreg[S_I] && avr->state == cpu_Running) {
        stall_pending = false;
        std::string error;
        if (!enterStall(&error)) {
          std::fprintf(stderr, "rollrig-twin: %s\n", error.c_str());
          break;
        }
      }
      // Interrupts-off windows: the I flag as the firmware sees it, instruction by instruction.
      const bool off = avr->sreg[S_I] == 0;
      if (off != irq_off) {
        if (off) {
          irq_off_start = now();
          irq_off_in_read = false;
        } else if (now() - boot_cycle > boot_settle) {
          const double us = cyclesToUs(now() - irq_off_start);
          report.max_irq_off_us = std::max(report.max_irq_off_us, us);
          if (irq_off_in_read)
            report.max_irq_off_in_read_us = std::max(report.max_irq_off_in_read_us, us);
        }
        irq_off = off;
      }
      if (off && !irq_off_in_read) {
        for (const auto& c : hx)
          if (c.sck_high) irq_off_in_read = true;
      }
      const uint64_t t = now();
      if (t >= next_pace) {
        next_pace = t + usToCycles(1000);
        device_cycles.store(t, std::memory_order_relaxed);
        if (t >= end_cycle) break;
        if (!reset_done && opt.faults.reset_at_s >= 0 && nowS() >= opt.faults.reset_at_s) {
          reset_done = true;
          boardReset();
        }
        if (!opt.fast) {
          const auto due = wall0 + std::chrono::microseconds(static_cast<int64_t>(cyclesToUs(t)));
          if (due > std::chrono::steady_clock::now() + std::chrono::milliseconds(2))
            std::this_thread::sleep_until(due);
        } else {
          // Loss-free: when the host falls behind, wait for it instead of dropping bytes.
          while (to_host.size() > kMaxQueuedToHost && !stop.load()) {
            servicePty();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
      }
    }
    // Hand over whatever is still queued (best effort, a short while).
    for (int i = 0; i < 100 && !to_host.empty(); ++i) {
      servicePty();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    report.simulated_s = nowS();
    device_cycles.store(now(), std::memory_order_relaxed);
    report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    report.speedup = report.wall_s > 0 ? report.simulated_s / report.wall_s : 0;
    return report;
  }

  ~Impl() {
    if (!opt.pty_link.empty() && !pty_path.empty()) ::unlink(opt.pty_link.c_str());
    if (master >= 0) ::close(master);
    if (slave >= 0) ::close(slave);
    if (avr) avr_terminate(avr);
    freeFirmware(&fw);
  }

  // elf_read_firmware() mallocs the flash image, the EEPROM, fuse and lock sections and the
  // symbol table into `fw` and simavr 1.6 has no call that frees them: they are ours. Freed after
  // avr_terminate(), since a tracing simavr keeps pointers to the symbols until then. (A leak
  // LeakSanitizer found: scripts/test-sanitizers.)
  static void freeFirmware(elf_firmware_t* f) {
    std::free(f->flash);
    std::free(f->eeprom);
    std::free(f->fuse);
    std::free(f->lockbits);
#if ELF_SYMBOLS
    for (uint32_t i = 0; i < f->symbolcount; ++i) std::free(f->symbol[i]);
    std::free(f->symbol);
#endif
    *f = elf_firmware_t{};
  }
};

Twin::Twin(TwinOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}
Twin::~Twin() = default;
bool Twin::start(std::string* error) {
  return m_impl->start(error);
}
const std::string& Twin::ptyPath() const {
  return m_impl->pty_path;
}
TwinReport Twin::run() {
  return m_impl->run();
}
void Twin::stop() {
  m_impl->stop.store(true);
}
double Twin::deviceTimeS() const {
  return m_impl->device_cycles.load(std::memory_order_relaxed) / static_cast<double>(kCpuHz);
}
const sim::BodyModel& Twin::body() const {
  return m_impl->body;
}

std::string reportJson(const TwinReport& r) {
  std::ostringstream o;
  o << "{\"simulated_s\":" << r.simulated_s << ",\"wall_s\":" << r.wall_s
    << ",\"speedup\":" << r.speedup << ",\"max_irq_off_in_read_us\":" << r.max_irq_off_in_read_us
    << ",\"max_irq_off_us\":" << r.max_irq_off_us << ",\"max_sck_high_us\":" << r.max_sck_high_us
    << ",\"max_read_us\":" << r.max_read_us << ",\"hx711_reads\":" << r.hx711_reads
    << ",\"hx711_power_downs\":" << r.hx711_power_downs << ",\"bytes_to_host\":" << r.bytes_to_host
    << ",\"bytes_from_host\":" << r.bytes_from_host
    << ",\"uart_bytes_dropped\":" << r.uart_bytes_dropped
    << ",\"uart_bytes_flipped\":" << r.uart_bytes_flipped << ",\"samples_sent\":" << r.samples_sent
    << ",\"firmware_frames_dropped\":" << r.firmware_frames_dropped
    << ",\"firmware_hx711_timeouts\":" << r.firmware_hx711_timeouts
    << ",\"board_resets\":" << r.board_resets << ",\"boot_reset_causes\":[";
  for (size_t i = 0; i < r.boot_reset_causes.size(); ++i)
    o << (i ? "," : "") << static_cast<int>(r.boot_reset_causes[i]);
  o << "]}";
  return o.str();
}

}  // namespace rollrig::twin

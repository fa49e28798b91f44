// `rollrig flash`: uploads the firmware this rollrig comes with (rollrig.hex, built from
// firmware/ beside the host) to the rig's Arduino with avrdude, then checks it by handshaking:
// the board must answer as a rollrig, with the bundled version.
//
// avrdude does the upload (Debian's avrdude package, found on PATH): the STK500v1 protocol of the
// Uno's and Nano's bootloaders is avrdude's job, and every Arduino tool uses it the same way.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "exit_codes.h"
#include "rollrig/core/calibration_json.h"  // serialHex
#include "rollrig/engine/firmware_version.h"
#include "rollrig/io/acquisition.h"
#include "rollrig/io/serial_port.h"

namespace fs = std::filesystem;

namespace rollrig::cli {

namespace {

constexpr const char* kWho = "rollrig flash: ";

// The bootloader's baud rate per board: Optiboot on the Uno and on newer Nanos talks at 115200;
// Nanos sold with the old ATmegaBOOT talk at 57600 (the IDE's "ATmega328P (Old Bootloader)").
int bootloaderBaud(const std::string& board) {
  return board == "nano-old" ? 57600 : 115200;
}

// The directory of the running rollrig (/proc/self/exe), or "".
fs::path ownDirectory() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

std::vector<std::string> bundledFirmwareCandidates() {
  const fs::path dir = ownDirectory();
  if (dir.empty()) return {};
  // Installed: <prefix>/bin/rollrig and <prefix>/share/rollrig/firmware/rollrig.hex. In a build
  // tree: build/bin/rollrig and build/firmware/rollrig.hex.
  return {(dir / "../share/rollrig/firmware/rollrig.hex").lexically_normal().string(),
          (dir / "../firmware/rollrig.hex").lexically_normal().string()};
}

std::vector<std::string> rigPortCandidates(const std::vector<io::PortInfo>& ports) {
  std::error_code ec;
  if (fs::exists("/dev/rollrig", ec)) return {"/dev/rollrig"};
  std::vector<std::string> rigs;
  for (const io::PortInfo& p : ports) {
    const bool arduino = p.usb_vid == 0x2341 || p.usb_vid == 0x2a03;
    const bool clone = (p.usb_vid == 0x1a86 && p.usb_pid == 0x7523) ||
                       (p.usb_vid == 0x0403 && p.usb_pid == 0x6001);
    if (arduino || clone) rigs.push_back(p.path);
  }
  return rigs;
}

std::string findOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = dirs.find(':', start);
    const std::string dir = dirs.substr(start, end == std::string::npos ? end : end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

std::vector<std::string> avrdudeArguments(const std::string& port, const std::string& board,
                                          const std::string& hex) {
  // -D: no chip erase (a bootloader cannot erase itself; it rewrites the pages it is given).
  return {"-p",
          "atmega328p",
          "-c",
          "arduino",
          "-P",
          port,
          "-b",
          std::to_string(bootloaderBaud(board)),
          "-D",
          "-U",
          "flash:w:" + hex + ":i"};
}

void addFlashCommand(CLI::App& app, FlashOptions& opt) {
  auto* f = app.add_subcommand(
      "flash",
      "Upload the bundled firmware to the rig's Arduino (with avrdude) and check it answers");
  f->add_option(
      "--port", opt.port,
      "The rig's serial port (default: /dev/rollrig, else the one Arduino-like USB port)");
  f->add_option("--board", opt.board,
                "uno, nano (new bootloader) or nano-old (the IDE's \"ATmega328P (Old "
                "Bootloader)\", 57600 baud); default uno")
      ->check(CLI::IsMember({"uno", "nano", "nano-old"}));
  f->add_option("--hex", opt.hex, "Upload this Intel HEX file instead of the bundled firmware");
  f->add_flag("--no-verify", opt.no_verify, "Do not handshake with the board afterwards");
  f->footer(
      "After the upload the board restarts and must answer the handshake as a rollrig with the\n"
      "bundled firmware version. avrdude comes from Debian's avrdude package "
      "(hardware/README.md).");
}

// Which port: the one given, /dev/rollrig (the udev rule's name), or the only USB serial port with
// an Arduino's or a Nano clone's USB IDs.
static bool choosePort(const FlashOptions& opt, std::string* port, int* code) {
  if (!opt.port.empty()) {
    *port = opt.port;
    return true;
  }
  std::vector<io::PortInfo> ports;
  io::IoError err;
  if (!io::listPorts(&ports, &err)) {
    std::cerr << kWho << err.message << "\n";
    *code = exitCodeFor(err.kind);
    return false;
  }
  const std::vector<std::string> rigs = rigPortCandidates(ports);
  if (rigs.size() == 1) {
    *port = rigs[0];
    if (*port != "/dev/rollrig")
      std::cerr << kWho << "using " << *port << " (the one Arduino-like USB serial port)\n";
    return true;
  }
  if (rigs.empty()) {
    std::cerr << kWho
              << "no Arduino-like USB serial port found: plug the rig in, or name its port with "
                 "--port (`rollrig ports` lists them)\n";
    *code = kExitPortNotFound;
  } else {
    std::string list;
    for (const std::string& r : rigs) list += (list.empty() ? "" : ", ") + r;
    std::cerr << kWho << "several ports could be the rig (" << list
              << "); choose one with --port\n";
    *code = kExitUsage;
  }
  return false;
}

int runFlash(const FlashOptions& opt) {
  // The image.
  std::string hex = opt.hex;
  if (hex.empty()) {
    const std::vector<std::string> where = bundledFirmwareCandidates();
    for (const std::string& c : where)
      if (fs::exists(c)) {
        hex = c;
        break;
      }
    if (hex.empty()) {
      std::string list;
      for (const std::string& c : where) list += (list.empty() ? "" : " or ") + c;
      std::cerr << kWho << "the bundled firmware is not here (looked for " << list
                << "); build it (scripts/test builds it, with gcc-avr) or pass --hex FILE\n";
      return kExitInput;
    }
  } else if (!fs::exists(hex)) {
    std::cerr << kWho << hex << " does not exist; check the path of the .hex file\n";
    return kExitInput;
  }
  hex = fs::absolute(hex).lexically_normal().string();

  const std::string avrdude = findOnPath("avrdude");
  if (avrdude.empty()) {
    std::cerr << kWho
              << "avrdude is not installed (it does the upload): sudo apt-get install avrdude, "
                 "then run rollrig flash again\n";
    return kExitFailure;
  }
  std::string port;
  int code = kExitFailure;
  if (!choosePort(opt, &port, &code)) return code;
  {
    // The port must be free: say so now, in rollrig's words, rather than in avrdude's.
    io::IoError err;
    auto probe = io::openPort(port, io::kDefaultBaud, &err);
    if (!probe) {
      std::cerr << kWho << err.message << "\n";
      return exitCodeFor(err.kind);
    }
  }

  std::cerr << kWho << "uploading " << hex << " (rollrig firmware "
            << engine::formatVersion(engine::bundledFirmwareVersion()) << ") to " << port
            << " as an " << (opt.board == "uno" ? "Uno" : "Nano") << " at "
            << bootloaderBaud(opt.board) << " baud with " << avrdude << "\n";
  const std::vector<std::string> args = avrdudeArguments(port, opt.board, hex);
  std::vector<std::string> argv_text{avrdude};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::cerr << kWho << "cannot start avrdude: " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  if (pid == 0) {
    execv(avrdude.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << kWho << "avrdude could not upload the firmware to " << port << " (it "
              << (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                    : std::string("was killed"))
              << "; its messages are above). Check the board (a Nano with the old bootloader "
                 "needs --board nano-old), that no other program has the port open (the Arduino "
                 "IDE's serial monitor), and the USB cable.\n";
    return kExitFailure;
  }
  if (opt.no_verify) {
    std::cout << "flashed " << port << " (not verified: --no-verify)\n";
    return kExitOk;
  }

  // The board restarts after the upload (and again when the port opens): the handshake waits.
  io::IoError err;
  auto stream = io::openPort(port, io::kDefaultBaud, &err);
  if (!stream) {
    std::cerr << kWho << "the upload finished, but " << err.message << "\n";
    return exitCodeFor(err.kind);
  }
  io::Acquisition acq(std::move(stream));
  if (!acq.start(&err)) {
    std::cerr << kWho
              << "the upload finished, but the board did not answer as a rollrig: " << err.message
              << "\n";
    return exitCodeFor(err.kind);
  }
  const proto::InfoFrame info = acq.info();
  acq.stop();
  const engine::FirmwareVersion have = engine::firmwareVersionOf(info);
  const engine::FirmwareVersion bundled = engine::bundledFirmwareVersion();
  std::cout << "flashed " << port << ": it answers as rollrig firmware "
            << engine::formatVersion(have) << ", protocol " << int{info.proto_major} << "."
            << int{info.proto_minor} << ", serial " << core::serialHex(info.device_serial) << ", "
            << int{info.channel_count} << " cells at " << info.rate_hz << " Hz\n";
  if (opt.hex.empty() && !(have == bundled)) {
    std::cerr << kWho << "but it reports firmware " << engine::formatVersion(have)
              << ", not the bundled " << engine::formatVersion(bundled)
              << ": the upload may not have taken; run rollrig flash again\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace rollrig::cli

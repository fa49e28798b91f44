// `rollrig analyze` as a user and a scoring script run it.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "rollrig/sim/evaluation.h"

namespace fs = std::filesystem;

namespace {

struct Out {
  int code = -1;
  std::string out, err;
};

Out runAnalyze(const std::string& args) {
  const char* d = std::getenv("ROLLRIG_BIN");
  const fs::path dir = fs::temp_directory_path() / ("rollrig-an-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string err_file = (dir / "stderr.txt").string();
  const std::string cmd =
      std::string(d ? d : "build/bin") + "/rollrig analyze " + args + " 2>" + err_file;
  Out o;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) o.out.append(buf, n);
  const int st = pclose(p);
  o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(err_file);
  o.err.assign(std::istreambuf_iterator<char>(e), {});
  return o;
}

fs::path writeFile(const std::string& name, const std::string& content) {
  const fs::path p = fs::temp_directory_path() / ("rollrig-an-" + std::to_string(getpid())) / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
  return p;
}

}  // namespace

TEST(AnalyzeCli, PrintsExactlyOneJsonObjectWithTheDocumentedFields) {
  // A labelled session written as a minimal CSV (time_s, force_N, x_mm, y_mm).
  rollrig::sim::BodyModelConfig cfg;
  cfg.seed = 42;
  cfg.duration_s = 240;
  rollrig::sim::Truth truth;
  const auto samples = rollrig::sim::recordSession(cfg, 0, 1, &truth);
  std::string csv = "time_s,force_N,x_mm,y_mm,extra\n";
  char line[160];
  for (const auto& s : samples) {
    if (s.has_xy)
      std::snprintf(line, sizeof(line), "%.4f,%.3f,%.2f,%.2f,z\n", s.t_s, s.force_n, s.x_mm,
                    s.y_mm);
    else
      std::snprintf(line, sizeof(line), "%.4f,%.3f,,,z\n", s.t_s, s.force_n);
    csv += line;
  }
  const fs::path f = writeFile("labelled.csv", csv);
  const Out o = runAnalyze(f.string() + " --json");
  ASSERT_EQ(o.code, 0) << o.err;
  const nlohmann::json j = nlohmann::json::parse(o.out);  // throws if not exactly one object
  ASSERT_TRUE(j.is_object());
  ASSERT_TRUE(j.contains("holds"));
  ASSERT_TRUE(j.contains("summary"));
  ASSERT_EQ(j["holds"].size(), truth.holds.size());
  for (size_t i = 0; i < truth.holds.size(); ++i) {
    const auto& h = j["holds"][i];
    for (const char* k :
         {"start_s", "end_s", "release_s", "mean_force_N", "peak_force_N", "x_mm", "y_mm"})
      EXPECT_TRUE(h.contains(k)) << k;
    EXPECT_NEAR(h["start_s"].get<double>(), truth.holds[i].start_s, 2.0);
    EXPECT_NEAR(h["end_s"].get<double>(), truth.holds[i].end_s, 2.0);
    EXPECT_NEAR(h["x_mm"].get<double>(), truth.holds[i].x_mm, 10.0);
    // Whether each release is found is the evaluation's business (the body model draws some no
    // detector can see, docs/ANALYSIS.md); here: a reported release lies inside its hold.
    if (!h["release_s"].is_null()) {
      EXPECT_GE(h["release_s"].get<double>(), h["start_s"].get<double>());
      EXPECT_LE(h["release_s"].get<double>(), h["end_s"].get<double>());
    }
  }
}

TEST(AnalyzeCli, PrintsAReadableTable) {
  const fs::path f = writeFile("t.csv", "time_s,force_N\n0,0\n1,0\n");
  const Out o = runAnalyze(f.string());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("0 holds"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("no x_mm/y_mm"), std::string::npos) << o.err;
}

TEST(AnalyzeCli, NamesTheLineOfAMalformedFileAndExitsWithTen) {
  const fs::path f = writeFile("bad.csv", "time_s,force_N\n0,1\n0.1,oops\n");
  const Out o = runAnalyze(f.string() + " --json");
  EXPECT_EQ(o.code, 10);
  EXPECT_NE(o.err.find("line 3"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty()) << "no partial JSON on stdout";
  const Out missing = runAnalyze("/nonexistent/session.csv");
  EXPECT_EQ(missing.code, 10);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
}

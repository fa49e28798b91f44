// The hardware package (hardware/) holds the same numbers the firmware and the host use:
//   - wiring.csv, the single source of pins, matches the firmware's pins.h;
//   - wiring.svg was regenerated after the last change to wiring.csv;
//   - plate.svg's plate size and cell coordinates are PlateGeometry{}'s defaults, in cell order;
//   - bom.csv parses, every part has a positive quantity and cost, and its total is the one
//     hardware/README.md states.
// The files are read from the source tree (ROLLRIG_SOURCE_DIR, a compile definition).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "pins.h"
#include "rollrig/core/plate_geometry.h"

namespace {

// [SECTION] Helpers

std::string sourcePath(const std::string& relative) {
  return std::string(ROLLRIG_SOURCE_DIR) + "/" + relative;
}

// The whole file, or "" with a test failure when it cannot be read.
std::string readText(const std::string& relative) {
  std::ifstream in(sourcePath(relative), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << sourcePath(relative);
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using CsvRow = std::vector<std::string>;

// A small RFC 4180 reader: comma-separated, fields optionally in double quotes, "" for a quote
// inside a quoted field, commas and line breaks allowed inside quotes, LF or CRLF rows. Written
// by hand because nothing in the project parses quoted CSV (the session CSV format never quotes)
// and a CSV library is not worth a new dependency for three small files. Returns false with a
// line number in `error` on an unterminated quote or a stray quote inside an unquoted field.
bool parseCsv(const std::string& text, std::vector<CsvRow>* rows, std::string* error) {
  rows->clear();
  CsvRow row;
  std::string field;
  bool in_quotes = false;
  bool field_was_quoted = false;
  int line = 1;
  auto endField = [&] {
    row.push_back(field);
    field.clear();
    field_was_quoted = false;
  };
  auto endRow = [&] {
    endField();
    rows->push_back(row);
    row.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty() || field_was_quoted) {
        *error = "line " + std::to_string(line) + ": quote inside an unquoted field";
        return false;
      }
      in_quotes = true;
      field_was_quoted = true;
    } else if (c == ',') {
      endField();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // CRLF: the LF ends the row.
    } else if (c == '\n') {
      endRow();
      ++line;
    } else {
      if (field_was_quoted) {
        *error = "line " + std::to_string(line) + ": text after a closing quote";
        return false;
      }
      field += c;
    }
  }
  if (in_quotes) {
    *error = "line " + std::to_string(line) + ": unterminated quoted field";
    return false;
  }
  if (!field.empty() || field_was_quoted || !row.empty()) endRow();
  return true;
}

// A CSV file as header + rows of name -> value; fails the test if it does not parse or a row has
// the wrong number of fields.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

CsvTable readCsvTable(const std::string& relative) {
  CsvTable table;
  std::vector<CsvRow> rows;
  std::string error;
  if (!parseCsv(readText(relative), &rows, &error)) {
    ADD_FAILURE() << relative << ": " << error;
    return table;
  }
  if (rows.empty()) {
    ADD_FAILURE() << relative << ": empty";
    return table;
  }
  table.header = rows[0];
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != table.header.size()) {
      ADD_FAILURE() << relative << ": row " << r + 1 << " has " << rows[r].size()
                    << " fields, the header " << table.header.size();
      continue;
    }
    std::map<std::string, std::string> named;
    for (size_t c = 0; c < rows[r].size(); ++c) named[table.header[c]] = rows[r][c];
    table.rows.push_back(named);
  }
  return table;
}

// A whole-string decimal number; false for "", "12x", "abc".
bool parseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// "D2" -> 2; -1 for anything else (analog pins and bare numbers are not used by the rig).
int arduinoDigitalPin(const std::string& s) {
  static const std::regex kPin("D([0-9]{1,2})");
  std::smatch m;
  if (!std::regex_match(s, m, kPin)) return -1;
  return std::stoi(m[1].str());
}

// Attributes of every start tag in `svg` that carries `marker` (e.g. class="cell").
std::vector<std::map<std::string, std::string>> svgElementsWith(const std::string& svg,
                                                                const std::string& marker) {
  std::vector<std::map<std::string, std::string>> out;
  static const std::regex kTag("<[a-zA-Z]+\\s[^>]*>");
  static const std::regex kAttr("([a-zA-Z:_-]+)=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kTag); it != std::sregex_iterator();
       ++it) {
    const std::string tag = it->str();
    if (tag.find(marker) == std::string::npos) continue;
    std::map<std::string, std::string> attrs;
    for (auto a = std::sregex_iterator(tag.begin(), tag.end(), kAttr); a != std::sregex_iterator();
         ++a)
      attrs[(*a)[1].str()] = (*a)[2].str();
    out.push_back(attrs);
  }
  return out;
}

double numberAttr(const std::map<std::string, std::string>& attrs, const std::string& name) {
  const auto it = attrs.find(name);
  double v = NAN;
  if (it == attrs.end() || !parseNumber(it->second, &v)) {
    ADD_FAILURE() << "missing or non-numeric attribute " << name;
    return NAN;
  }
  return v;
}

// The corner names used across hardware/, in the host's cell order.
const char* const kCorners[rollrig::core::kCellCount] = {"front-left", "front-right", "rear-left",
                                                         "rear-right"};

}  // namespace

// [SECTION] The CSV reader itself

TEST(HardwareCsvReader, ReadsQuotedFieldsWithCommasQuotesAndLineBreaks) {
  std::vector<CsvRow> rows;
  std::string error;
  ASSERT_TRUE(parseCsv("a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\n,,\n", &rows, &error)) << error;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (CsvRow{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (CsvRow{"1", "x, \"y\"", "two\nlines"}));
  EXPECT_EQ(rows[2], (CsvRow{"", "", ""}));
}

TEST(HardwareCsvReader, RejectsBadQuotingWithTheLineNumber) {
  std::vector<CsvRow> rows;
  std::string error;
  EXPECT_FALSE(parseCsv("a,b\n1,\"open\n", &rows, &error));
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_FALSE(parseCsv("a,b\n1,x\"y\n", &rows, &error));
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
}

// [SECTION] wiring.csv and wiring.svg

TEST(HardwareWiring, HasOneRowPerHx711InIndexOrder) {
  const CsvTable t = readCsvTable("hardware/wiring.csv");
  ASSERT_EQ(t.rows.size(), static_cast<size_t>(rollrig::pins::kHx711Count));
  for (size_t i = 0; i < t.rows.size(); ++i) EXPECT_EQ(t.rows[i].at("hx711"), std::to_string(i));
}

TEST(HardwareWiring, DoutAndSckPinsMatchTheFirmwarePinHeader) {
  const CsvTable t = readCsvTable("hardware/wiring.csv");
  ASSERT_EQ(t.rows.size(), static_cast<size_t>(rollrig::pins::kHx711Count));
  for (size_t i = 0; i < t.rows.size(); ++i) {
    SCOPED_TRACE("HX711 " + std::to_string(i));
    EXPECT_EQ(arduinoDigitalPin(t.rows[i].at("dout_pin")), int{rollrig::pins::kHx711Dout[i]});
    EXPECT_EQ(arduinoDigitalPin(t.rows[i].at("sck_pin")), int{rollrig::pins::kHx711Sck[i]});
    EXPECT_EQ(t.rows[i].at("vcc_pin"), "5V");
    EXPECT_EQ(t.rows[i].at("gnd_pin"), "GND");
  }
}

TEST(HardwareWiring, UsesEveryPinOnceAndNeverTheLedOrTheUart) {
  const CsvTable t = readCsvTable("hardware/wiring.csv");
  std::map<int, int> uses;
  for (const auto& row : t.rows) {
    ++uses[arduinoDigitalPin(row.at("dout_pin"))];
    ++uses[arduinoDigitalPin(row.at("sck_pin"))];
  }
  for (const auto& [pin, count] : uses) {
    EXPECT_EQ(count, 1) << "pin D" << pin;
    EXPECT_GE(pin, 2) << "D0/D1 are the USB serial link";
    EXPECT_NE(pin, int{rollrig::pins::kLed});
  }
}

TEST(HardwareWiring, CornersFollowTheHostCellNumbering) {
  const CsvTable t = readCsvTable("hardware/wiring.csv");
  const rollrig::core::PlateGeometry g;
  ASSERT_EQ(t.rows.size(), static_cast<size_t>(rollrig::core::kCellCount));
  for (int i = 0; i < rollrig::core::kCellCount; ++i) {
    const std::string corner = t.rows[i].at("corner");
    EXPECT_EQ(corner, kCorners[i]);
    // The corner's name agrees with the sign of the host's coordinates for that cell.
    EXPECT_EQ(corner.rfind("front", 0) == 0, g.cells[i].y_mm > 0) << corner;
    EXPECT_EQ(corner.find("left") != std::string::npos, g.cells[i].x_mm < 0) << corner;
  }
}

TEST(HardwareWiring, DiagramWasRegeneratedFromTheCsv) {
  const CsvTable t = readCsvTable("hardware/wiring.csv");
  const auto boards = svgElementsWith(readText("hardware/wiring.svg"), "class=\"hx711\"");
  ASSERT_EQ(boards.size(), t.rows.size())
      << "run python3 hardware/tools/gen_drawings.py after editing hardware/wiring.csv";
  for (size_t i = 0; i < boards.size(); ++i) {
    SCOPED_TRACE("HX711 " + std::to_string(i) + " (rerun hardware/tools/gen_drawings.py)");
    EXPECT_EQ(boards[i].at("data-index"), t.rows[i].at("hx711"));
    EXPECT_EQ(boards[i].at("data-corner"), t.rows[i].at("corner"));
    EXPECT_EQ(boards[i].at("data-dout-pin"), t.rows[i].at("dout_pin"));
    EXPECT_EQ(boards[i].at("data-sck-pin"), t.rows[i].at("sck_pin"));
  }
}

// [SECTION] plate.svg

TEST(HardwarePlate, DrawingGivesThePlateSizeTheHostUses) {
  const auto plates = svgElementsWith(readText("hardware/plate.svg"), "id=\"plate\"");
  ASSERT_EQ(plates.size(), 1u);
  const rollrig::core::PlateGeometry g;
  EXPECT_DOUBLE_EQ(numberAttr(plates[0], "data-width-mm"), g.width_mm);
  EXPECT_DOUBLE_EQ(numberAttr(plates[0], "data-length-mm"), g.length_mm);
}

TEST(HardwarePlate, CellCoordinatesAreTheHostGeometryDefaults) {
  const auto cells = svgElementsWith(readText("hardware/plate.svg"), "class=\"cell\"");
  const rollrig::core::PlateGeometry g;
  ASSERT_EQ(cells.size(), static_cast<size_t>(rollrig::core::kCellCount));
  for (int i = 0; i < rollrig::core::kCellCount; ++i) {
    SCOPED_TRACE("cell " + std::to_string(i));
    EXPECT_EQ(cells[i].at("data-index"), std::to_string(i));
    EXPECT_EQ(cells[i].at("data-corner"), kCorners[i]);
    EXPECT_DOUBLE_EQ(numberAttr(cells[i], "data-x-mm"), g.cells[i].x_mm);
    EXPECT_DOUBLE_EQ(numberAttr(cells[i], "data-y-mm"), g.cells[i].y_mm);
  }
}

TEST(HardwarePlate, CellsStandOnThePlateAndTheBallAreaInsideThem) {
  const std::string svg = readText("hardware/plate.svg");
  const rollrig::core::PlateGeometry g;
  for (const auto& cell : g.cells) {
    EXPECT_LT(std::abs(cell.x_mm), g.width_mm / 2);
    EXPECT_LT(std::abs(cell.y_mm), g.length_mm / 2);
  }
  // Outside the rectangle of the cells the plate can tip: the marked ball area stays inside it.
  const auto areas = svgElementsWith(svg, "id=\"ball-area\"");
  ASSERT_EQ(areas.size(), 1u);
  EXPECT_GT(numberAttr(areas[0], "data-x-min-mm"), g.cells[0].x_mm);
  EXPECT_LT(numberAttr(areas[0], "data-x-max-mm"), g.cells[1].x_mm);
  EXPECT_GT(numberAttr(areas[0], "data-y-min-mm"), g.cells[2].y_mm);
  EXPECT_LT(numberAttr(areas[0], "data-y-max-mm"), g.cells[0].y_mm);
}

// [SECTION] bom.csv

TEST(HardwareBom, EveryPartHasAPositiveQuantityAndCost) {
  const CsvTable t = readCsvTable("hardware/bom.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"part", "quantity", "specification", "example_part",
                                                "unit_cost_eur", "line_cost_eur"}));
  ASSERT_FALSE(t.rows.empty());
  for (const auto& row : t.rows) {
    SCOPED_TRACE(row.at("part"));
    EXPECT_FALSE(row.at("part").empty());
    EXPECT_FALSE(row.at("specification").empty());
    double quantity = 0, unit = 0, line = 0;
    ASSERT_TRUE(parseNumber(row.at("quantity"), &quantity)) << row.at("quantity");
    ASSERT_TRUE(parseNumber(row.at("unit_cost_eur"), &unit)) << row.at("unit_cost_eur");
    ASSERT_TRUE(parseNumber(row.at("line_cost_eur"), &line)) << row.at("line_cost_eur");
    EXPECT_GT(quantity, 0);
    EXPECT_EQ(quantity, std::floor(quantity)) << "whole parts only";
    EXPECT_GT(unit, 0);
    EXPECT_NEAR(line, quantity * unit, 0.005);
  }
}

TEST(HardwareBom, HasFourLoadCellsAndFourHx711Boards) {
  const CsvTable t = readCsvTable("hardware/bom.csv");
  std::map<std::string, std::string> quantity;
  for (const auto& row : t.rows) quantity[row.at("part")] = row.at("quantity");
  EXPECT_EQ(quantity["Load cell"], std::to_string(rollrig::core::kCellCount));
  EXPECT_EQ(quantity["HX711 module"], std::to_string(rollrig::pins::kHx711Count));
}

TEST(HardwareBom, TotalIsTheOneTheReadmeStates) {
  const CsvTable t = readCsvTable("hardware/bom.csv");
  double total = 0;
  for (const auto& row : t.rows) {
    double line = 0;
    if (parseNumber(row.at("line_cost_eur"), &line)) total += line;
  }
  const std::string readme = readText("hardware/README.md");
  static const std::regex kTotal("Approximate total: ([0-9]+(\\.[0-9]+)?) EUR");
  std::vector<double> stated;
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), kTotal);
       it != std::sregex_iterator(); ++it)
    stated.push_back(std::stod((*it)[1].str()));
  ASSERT_EQ(stated.size(), 1u) << "hardware/README.md must say \"Approximate total: N EUR\" once";
  EXPECT_NEAR(stated[0], total, 0.5) << "bom.csv adds up to " << total << " EUR";
}

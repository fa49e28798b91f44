#!/usr/bin/env python3
"""Draws rollrig's hardware drawings: wiring.svg from wiring.csv, plate.svg from the numbers below.

    python3 hardware/tools/gen_drawings.py           # rewrite hardware/wiring.svg and plate.svg
    python3 hardware/tools/gen_drawings.py --check   # exit 1 if either file is out of date

Standard library only. The SVGs are committed; rerun this after editing wiring.csv or the numbers
below, then run the hardware tests (tests/hardware): they check that wiring.csv matches the
firmware's pins.h, that the plate drawing's cell coordinates are the host's PlateGeometry
defaults, and that wiring.svg still says what wiring.csv says. The machine-readable numbers sit in
data-* attributes on the drawn elements (data-x-mm, data-y-mm, data-dout-pin, ...).
"""

import argparse
import csv
import pathlib
import sys
from xml.sax.saxutils import escape

HARDWARE_DIR = pathlib.Path(__file__).resolve().parent.parent

# [SECTION] The reference build (mm). Plate coordinates: origin at the plate centre, +x to the
# user's right lying prone, +y toward the head. Must equal PlateGeometry{} in
# host/core/include/rollrig/core/plate_geometry.h (tests/hardware checks it).
PLATE_WIDTH_MM = 600  # along x
PLATE_LENGTH_MM = 400  # along y
PLATE_THICKNESS_MM = 24  # birch plywood
CELLS = [  # index, corner, x_mm, y_mm: a load cell (and its foot) under each corner
    (0, "front-left", -270, +170),
    (1, "front-right", +270, +170),
    (2, "rear-left", -270, -170),
    (3, "rear-right", +270, -170),
]
CELL_HEIGHT_MM = 75  # S-type 200 kg cells are about 65-80 mm tall; drawn for the side view only
CELL_FOOTPRINT_MM = (20, 51)  # S-type body seen from above (x, y), drawn only
FOOT_DIAMETER_MM = 50  # swivel levelling foot pad
FOOT_HEIGHT_MM = 25  # pad to the cell's bottom face, adjustable
BOLT_HEAD_DIAMETER_MM = 24  # M12 countersunk head, flush with the top
BOX_MM = (120, 40)  # electronics box under the plate centre (width, height)
# Where the ball may roll: 20 mm inside the cell lines in x, 10 mm in y. Outside the lines joining
# the cells the plate can tip (the cells are its only supports).
BALL_AREA_MM = (-250, -160, 250, 160)  # x_min, y_min, x_max, y_max
# The hip-flexor lines (what the virtual rig simulates): from just inside the iliac crest toward
# the thigh, one per side.
TRACKS_MM = [("left side", -120, +120, -150), ("right side", +120, +120, -150)]

# [SECTION] Drawing helpers

COLOURS = {  # wire colour names in wiring.csv -> SVG stroke
    "red": "#d62728",
    "black": "#222222",
    "green": "#2ca02c",
    "white": "#ffffff",
    "orange": "#ff7f0e",
    "blue": "#1f77b4",
    "yellow": "#e6c700",
}
FONT = "font-family:DejaVu Sans,Arial,Helvetica,sans-serif"


def fmt(v):
    """A number as SVG wants it: no trailing .0, at most two decimals."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def signed(v):
    return ("+" if v > 0 else "\u2212" if v < 0 else "") + fmt(abs(v))


def text(x, y, s, size=13, anchor="start", weight="normal", fill="#222", extra=""):
    return (f'<text x="{fmt(x)}" y="{fmt(y)}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{extra}>{escape(s)}</text>')


def line(x1, y1, x2, y2, stroke="#222", width=1.5, extra=""):
    return (f'<line x1="{fmt(x1)}" y1="{fmt(y1)}" x2="{fmt(x2)}" y2="{fmt(y2)}" '
            f'stroke="{stroke}" stroke-width="{fmt(width)}"{extra}/>')


def wire(points, colour, width=3.0):
    """A wire along (x, y) points; white gets a grey outline so it shows on white paper."""
    pts = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in points)
    out = []
    if colour == "white":
        out.append(f'<polyline points="{pts}" fill="none" stroke="#888" '
                   f'stroke-width="{fmt(width + 2)}"/>')
    out.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS[colour]}" '
               f'stroke-width="{fmt(width)}" stroke-linejoin="round"/>')
    return "\n".join(out)


def dot(x, y, r=4, fill="#222"):
    return f'<circle cx="{fmt(x)}" cy="{fmt(y)}" r="{fmt(r)}" fill="{fill}"/>'


def svg_document(width, height, title, body):
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="{FONT}">',
        f"<title>{escape(title)}</title>",
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="context-stroke"/></marker>',
        '<marker id="tick" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M5,0 L5,10" stroke="#444" '
        'stroke-width="1.5"/></marker>',
        "</defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        body,
        "</svg>",
        "",
    ])


def dimension(x1, y1, x2, y2, label, offset_text=(0, -6), anchor="middle", rotate=False):
    """A dimension line with end ticks and its number."""
    out = [line(x1, y1, x2, y2, "#444", 1,
                ' marker-start="url(#tick)" marker-end="url(#tick)"')]
    tx, ty = (x1 + x2) / 2 + offset_text[0], (y1 + y2) / 2 + offset_text[1]
    extra = f' transform="rotate(-90 {fmt(tx)} {fmt(ty)})"' if rotate else ""
    out.append(text(tx, ty, label, 13, anchor, extra=extra))
    return "\n".join(out)


# [SECTION] wiring.svg

WIRING_COLUMNS = ["hx711", "corner", "dout_pin", "sck_pin", "vcc_pin", "gnd_pin", "dout_wire",
                  "sck_wire", "e_plus_wire", "e_minus_wire", "a_plus_wire", "a_minus_wire"]


def read_wiring(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != WIRING_COLUMNS:
            sys.exit(f"{path}: expected columns {','.join(WIRING_COLUMNS)}")
        rows = list(reader)
    for i, row in enumerate(rows):
        if int(row["hx711"]) != i:
            sys.exit(f"{path}: row {i + 2}: HX711 indices must run 0, 1, 2, ... in order")
        if i >= len(CELLS) or row["corner"] != CELLS[i][1]:
            sys.exit(f"{path}: row {i + 2}: corner {row['corner']!r} is not cell {i}'s corner in "
                     "gen_drawings.py (the host's numbering)")
        for key in WIRING_COLUMNS[6:]:
            if row[key] not in COLOURS:
                sys.exit(f"{path}: row {i + 2}: unknown colour {row[key]!r} in {key}")
    if len({(r["vcc_pin"], r["gnd_pin"]) for r in rows}) != 1:
        sys.exit(f"{path}: every HX711 takes power from the same pins")
    return rows


def wiring_svg(rows):
    cells = {c[0]: c for c in CELLS}
    width, height = 1100, 220 + 150 * len(rows)
    ard_x0, ard_x1, ard_y0 = 40, 230, 70
    bus_vcc_x, bus_gnd_x = 300, 330
    mod_x0, mod_x1 = 470, 660
    cell_x0, cell_x1 = 830, 1040
    body = []
    body.append(text(40, 34, "rollrig wiring: Arduino, four HX711 boards, four load cells", 20,
                     weight="bold"))
    body.append(text(40, 54, "Generated from hardware/wiring.csv by hardware/tools/"
                     "gen_drawings.py. Edit the CSV, not this file.", 13, fill="#555"))

    def module_top(k):
        return 90 + 150 * k

    last_top = module_top(len(rows) - 1)
    ard_y1 = last_top + 130
    # Arduino
    body.append(f'<rect x="{ard_x0}" y="{ard_y0}" width="{ard_x1 - ard_x0}" '
                f'height="{ard_y1 - ard_y0}" rx="8" fill="#e8f1fb" stroke="#1f4e79" '
                'stroke-width="2"/>')
    mid = (ard_x0 + ard_x1) / 2 - 30
    for j, s in enumerate(["Arduino", "Uno / Nano", "(ATmega328P)"]):
        body.append(text(mid, ard_y0 + 190 + 20 * j, s, 16 if j < 2 else 13, "middle",
                         "bold" if j < 2 else "normal", "#1f4e79"))
    body.append(text(mid, ard_y1 - 70, "USB to the host", 13, "middle"))
    body.append(text(mid, ard_y1 - 52, "250000 baud", 13, "middle"))
    body.append(text(mid, ard_y1 - 24, "D13: on-board LED,", 12, "middle", fill="#555"))
    body.append(text(mid, ard_y1 - 10, "lit while streaming", 12, "middle", fill="#555"))
    vcc_pin, gnd_pin = rows[0]["vcc_pin"], rows[0]["gnd_pin"]
    y_vcc, y_gnd = ard_y0 + 25, ard_y0 + 45
    body.append(text(ard_x1 - 8, y_vcc + 4, vcc_pin, 13, "end", "bold"))
    body.append(text(ard_x1 - 8, y_gnd + 4, gnd_pin, 13, "end", "bold"))
    # Power buses: a star from the Arduino's 5V and GND to every board.
    last_vcc_y = last_top + 100
    last_gnd_y = last_top + 25
    body.append(wire([(ard_x1, y_vcc), (bus_vcc_x, y_vcc), (bus_vcc_x, last_vcc_y)], "red"))
    body.append(wire([(ard_x1, y_gnd), (bus_gnd_x, y_gnd), (bus_gnd_x, last_gnd_y)], "black"))

    for k, row in enumerate(rows):
        top = module_top(k)
        idx = int(row["hx711"])
        _, corner, x_mm, y_mm = cells[idx]
        pin_y = {"GND": top + 25, "DT": top + 50, "SCK": top + 75, "VCC": top + 100}
        right_pins = ["E+", "E\u2212", "A\u2212", "A+", "B\u2212", "B+"]
        right_y = {name: top + 18 + 17 * j for j, name in enumerate(right_pins)}
        body.append(f'<g class="hx711" id="hx711-{idx}" data-index="{idx}" '
                    f'data-corner="{escape(corner)}" data-dout-pin="{escape(row["dout_pin"])}" '
                    f'data-sck-pin="{escape(row["sck_pin"])}">')
        # Arduino-side pins and the signal wires (they cross the buses without joining them).
        body.append(text(ard_x1 - 8, pin_y["DT"] + 4, row["dout_pin"], 13, "end", "bold"))
        body.append(text(ard_x1 - 8, pin_y["SCK"] + 4, row["sck_pin"], 13, "end", "bold"))
        body.append(wire([(ard_x1, pin_y["DT"]), (mod_x0, pin_y["DT"])], row["dout_wire"]))
        body.append(wire([(ard_x1, pin_y["SCK"]), (mod_x0, pin_y["SCK"])], row["sck_wire"]))
        body.append(wire([(bus_vcc_x, pin_y["VCC"]), (mod_x0, pin_y["VCC"])], "red"))
        body.append(wire([(bus_gnd_x, pin_y["GND"]), (mod_x0, pin_y["GND"])], "black"))
        body.append(dot(bus_vcc_x, pin_y["VCC"]))
        body.append(dot(bus_gnd_x, pin_y["GND"]))
        body.append(text(360, pin_y["DT"] - 5, "DOUT", 11, fill="#555"))
        body.append(text(360, pin_y["SCK"] - 5, "SCK", 11, fill="#555"))
        # The HX711 board
        body.append(f'<rect x="{mod_x0}" y="{top}" width="{mod_x1 - mod_x0}" height="125" rx="4" '
                    'fill="#2e7d32" stroke="#1b5e20" stroke-width="2"/>')
        body.append(text((mod_x0 + mod_x1) / 2, top + 55, f"HX711 #{idx}", 16, "middle", "bold",
                         "#ffffff"))
        body.append(text((mod_x0 + mod_x1) / 2, top + 74, "RATE = HIGH", 12, "middle",
                         fill="#ffffff"))
        body.append(text((mod_x0 + mod_x1) / 2, top + 90, "(80 SPS)", 12, "middle",
                         fill="#ffffff"))
        for name, y in pin_y.items():
            body.append(text(mod_x0 + 6, y + 4, name, 12, weight="bold", fill="#ffffff"))
        for name, y in right_y.items():
            body.append(text(mod_x1 - 6, y + 4, name, 12, "end", "bold", "#ffffff"))
        # The load cell and its four wires
        cell_wires = [("E+", row["e_plus_wire"]), ("E\u2212", row["e_minus_wire"]),
                      ("A\u2212", row["a_minus_wire"]), ("A+", row["a_plus_wire"])]
        for name, colour in cell_wires:
            y = right_y[name]
            body.append(wire([(mod_x1, y), (cell_x0, y)], colour))
            body.append(text(cell_x0 - 8, y - 4, colour, 11, "end", fill="#555"))
        body.append(text(mod_x1 + 12, right_y["B+"] + 4, "B\u2212 / B+ unused", 11, fill="#777"))
        body.append(f'<rect x="{cell_x0}" y="{top + 5}" width="{cell_x1 - cell_x0}" height="110" '
                    'rx="6" fill="#eeeeee" stroke="#555" stroke-width="2"/>')
        cx = (cell_x0 + cell_x1) / 2
        body.append(text(cx, top + 30, f"load cell {idx}", 15, "middle", "bold"))
        body.append(text(cx, top + 50, f"{corner} corner", 13, "middle"))
        body.append(text(cx, top + 68, f"({signed(x_mm)}, {signed(y_mm)}) mm", 13, "middle"))
        body.append(text(cx, top + 88, "S-type, 200 kg", 12, "middle", fill="#555"))
        body.append(text(cx, top + 104, "shield (if any) \u2192 GND", 11, "middle", fill="#555"))
        body.append("</g>")

    notes_y = ard_y1 + 34
    notes = [
        "Power: 5 V and GND from the Arduino to every HX711 board (VCC; on boards with a "
        "separate VDD pin, tie VDD to 5 V too).",
        "RATE: HX711 pin 15 must be HIGH for 80 samples/s. Most green boards tie it to GND "
        "(10 samples/s): bridge pin 15 to pin 16 (DVDD), see README.",
        "Cell wire colours follow the common convention (red E+, black E\u2212, green A+, white "
        "A\u2212); check your cell's label.",
        "Load must raise the count: if a cell's count falls when you press its corner, swap its "
        "green and white wires at the HX711.",
        "DOUT pins are plain inputs (no pull-up); each HX711 has its own SCK.",
    ]
    for j, s in enumerate(notes):
        body.append(text(40, notes_y + 18 * j, s, 13))
    return svg_document(width, height, "rollrig wiring", "\n".join(body))


# [SECTION] plate.svg

def plate_svg():
    width, height = 1000, 900
    cx, cy = 450, 330  # plate centre on the page; 1 px = 1 mm
    hw, hl = PLATE_WIDTH_MM / 2, PLATE_LENGTH_MM / 2

    def px(x_mm):
        return cx + x_mm

    def py(y_mm):
        return cy - y_mm  # +y (head) is up on the page

    body = []
    body.append(text(40, 34, "rollrig plate: reference build (all dimensions in mm)", 20,
                     weight="bold"))
    body.append(text(40, 54, "Top view, 1 px = 1 mm. Generated by hardware/tools/gen_drawings.py; "
                     "the cell coordinates are the host's PlateGeometry defaults.", 13,
                     fill="#555"))
    # Overall and cell-spacing dimensions
    body.append(dimension(px(-hw), 82, px(hw), 82, fmt(PLATE_WIDTH_MM)))
    body.append(text(px(0), py(hl) - 14, "HEAD END (front, +y)", 13, "middle", "bold"))
    body.append(text(px(0), py(-hl) + 24, "FEET END (rear, \u2212y)", 13, "middle", "bold"))
    body.append(dimension(px(-hw) - 40, py(hl), px(-hw) - 40, py(-hl), fmt(PLATE_LENGTH_MM),
                          (-8, 0), rotate=True))
    xs = sorted({c[2] for c in CELLS})
    ys = sorted({c[3] for c in CELLS})
    body.append(dimension(px(xs[0]), py(-hl) + 58, px(xs[-1]), py(-hl) + 58,
                          f"{fmt(xs[-1] - xs[0])} between cell centres"))
    body.append(dimension(px(hw) + 40, py(ys[-1]), px(hw) + 40, py(ys[0]),
                          f"{fmt(ys[-1] - ys[0])} between cell centres", (-8, 0), rotate=True))
    # The plate
    body.append(f'<rect id="plate" x="{fmt(px(-hw))}" y="{fmt(py(hl))}" '
                f'width="{fmt(PLATE_WIDTH_MM)}" height="{fmt(PLATE_LENGTH_MM)}" '
                f'data-width-mm="{fmt(PLATE_WIDTH_MM)}" data-length-mm="{fmt(PLATE_LENGTH_MM)}" '
                f'data-thickness-mm="{fmt(PLATE_THICKNESS_MM)}" fill="#f3e3c3" stroke="#8a6d3b" '
                'stroke-width="2.5"/>')
    # Ball area and the hip-flexor tracks
    x0, y0, x1, y1 = BALL_AREA_MM
    body.append(f'<rect id="ball-area" x="{fmt(px(x0))}" y="{fmt(py(y1))}" '
                f'width="{fmt(x1 - x0)}" height="{fmt(y1 - y0)}" data-x-min-mm="{fmt(x0)}" '
                f'data-y-min-mm="{fmt(y0)}" data-x-max-mm="{fmt(x1)}" data-y-max-mm="{fmt(y1)}" '
                'fill="#dcefd9" fill-opacity="0.8" stroke="#2e7d32" stroke-width="1.5" '
                'stroke-dasharray="8 5"/>')
    body.append(text(px(0), py(y0) + 24, f"ball area {fmt(x1 - x0)} \u00d7 {fmt(y1 - y0)}: keep "
                     "the ball inside", 12, "middle", "bold", "#2e7d32"))
    for name, x, y_start, y_end in TRACKS_MM:
        body.append(f'<line class="track" x1="{fmt(px(x))}" y1="{fmt(py(y_start))}" '
                    f'x2="{fmt(px(x))}" y2="{fmt(py(y_end))}" data-x-mm="{fmt(x)}" '
                    f'stroke="#c62828" stroke-width="3" stroke-dasharray="10 6" '
                    'marker-end="url(#arrow)"/>')
        body.append(dot(px(x), py(y_start), 5, "#c62828"))
        body.append(text(px(x), py(y_start) - 12, f"{name}, x = {signed(x)}", 12, "middle",
                         fill="#c62828"))
    body.append(text(px(0), py(-40), "roll from just inside the iliac crest", 12, "middle",
                     fill="#c62828"))
    body.append(text(px(0), py(-40) + 16, "toward the thigh (\u2212y)", 12, "middle",
                     fill="#c62828"))
    # Axes at the origin
    body.append(line(px(0), py(0), px(60), py(0), "#222", 2, ' marker-end="url(#arrow)"'))
    body.append(line(px(0), py(0), px(0), py(60), "#222", 2, ' marker-end="url(#arrow)"'))
    body.append(dot(px(0), py(0), 3.5))
    body.append(text(px(64), py(0) + 4, "+x", 12))
    body.append(text(px(8), py(0) + 18, "(user's right)", 12))
    body.append(text(px(0) + 6, py(64), "+y (head)", 12))
    body.append(text(px(0) - 6, py(0) + 16, "origin (0, 0)", 12, "end"))
    # Cells, feet and bolt heads. Hidden parts (under the plate) dashed.
    fw, fl = CELL_FOOTPRINT_MM
    for idx, corner, x, y in CELLS:
        body.append(f'<g class="cell" id="cell-{idx}" data-index="{idx}" data-corner="{corner}" '
                    f'data-x-mm="{fmt(x)}" data-y-mm="{fmt(y)}">')
        body.append(f'<circle class="foot" cx="{fmt(px(x))}" cy="{fmt(py(y))}" '
                    f'r="{fmt(FOOT_DIAMETER_MM / 2)}" fill="none" stroke="#555" stroke-width="1.2" '
                    'stroke-dasharray="4 3"/>')
        body.append(f'<rect x="{fmt(px(x) - fw / 2)}" y="{fmt(py(y) - fl / 2)}" width="{fw}" '
                    f'height="{fl}" fill="none" stroke="#1f4e79" stroke-width="1.5" '
                    'stroke-dasharray="4 3"/>')
        body.append(f'<circle cx="{fmt(px(x))}" cy="{fmt(py(y))}" '
                    f'r="{fmt(BOLT_HEAD_DIAMETER_MM / 2)}" fill="#bbbbbb" stroke="#222" '
                    'stroke-width="1.5"/>')
        body.append(line(px(x) - 6, py(y), px(x) + 6, py(y), "#222", 1.2))
        body.append(line(px(x), py(y) - 6, px(x), py(y) + 6, "#222", 1.2))
        ty = py(hl) - 30 if y > 0 else py(-hl) + 22
        anchor = "start" if x < 0 else "end"
        tx = px(-hw) if x < 0 else px(hw)
        body.append(text(tx, ty, f"cell {idx} {corner}", 13, anchor, "bold", "#1f4e79"))
        body.append(text(tx, ty + 15, f"({signed(x)}, {signed(y)})", 13, anchor,
                         fill="#1f4e79"))
        body.append("</g>")
    # Side view, looking from the feet end toward +y, so +x stays to the right.
    top = 640
    body.append(text(40, top - 22, "Side view from the feet end (rear cells 2 and 3 in front; "
                     "heights approximate, check your parts)", 14, weight="bold"))
    plate_bottom = top + PLATE_THICKNESS_MM
    cell_bottom = plate_bottom + CELL_HEIGHT_MM
    floor_y = cell_bottom + FOOT_HEIGHT_MM
    body.append(f'<rect x="{fmt(px(-hw))}" y="{top}" width="{fmt(PLATE_WIDTH_MM)}" '
                f'height="{PLATE_THICKNESS_MM}" fill="#f3e3c3" stroke="#8a6d3b" '
                'stroke-width="2"/>')
    bx, bh = BOX_MM
    body.append(f'<rect x="{fmt(px(-bx / 2))}" y="{fmt(plate_bottom)}" width="{bx}" '
                f'height="{bh}" fill="#e8f1fb" stroke="#1f4e79" stroke-width="1.5"/>')
    body.append(text(px(0), plate_bottom + 17, "electronics box", 11, "middle", fill="#1f4e79"))
    body.append(text(px(0), plate_bottom + 31, "(Uno + 4 \u00d7 HX711)", 11, "middle",
                     fill="#1f4e79"))
    body.append(dimension(px(bx / 2) + 14, plate_bottom + bh, px(bx / 2) + 14, floor_y,
                          f"about {fmt(floor_y - plate_bottom - bh)} clear", (6, 4),
                          "start"))
    body.append(line(px(-hw) - 60, floor_y, px(hw) + 60, floor_y, "#222", 2))
    for k in range(12):
        x = px(-hw) - 50 + k * 65
        body.append(line(x, floor_y, x - 12, floor_y + 12, "#888", 1))
    for x in xs:
        # S-type body: a tall block with the threaded ends on the axis, bolt through the plate.
        body.append(f'<rect x="{fmt(px(x) - 10)}" y="{fmt(plate_bottom)}" width="20" '
                    f'height="{CELL_HEIGHT_MM}" fill="#cfd8dc" stroke="#1f4e79" '
                    'stroke-width="1.5"/>')
        body.append(f'<path d="M{fmt(px(x) - 10)},{fmt(plate_bottom + 25)} '
                    f'h14 M{fmt(px(x) + 10)},{fmt(plate_bottom + 50)} h-14" stroke="#1f4e79" '
                    'stroke-width="1.5" fill="none"/>')
        body.append(f'<rect x="{fmt(px(x) - 6)}" y="{top}" width="12" '
                    f'height="{PLATE_THICKNESS_MM + 14}" fill="#999" stroke="#222" '
                    'stroke-width="1"/>')
        body.append(f'<rect x="{fmt(px(x) - 12)}" y="{fmt(plate_bottom)}" width="24" height="9" '
                    'fill="#777" stroke="#222" stroke-width="1"/>')
        body.append(f'<rect x="{fmt(px(x) - 5)}" y="{fmt(cell_bottom)}" width="10" '
                    f'height="{FOOT_HEIGHT_MM - 8}" fill="#999" stroke="#222" stroke-width="1"/>')
        body.append(f'<rect x="{fmt(px(x) - FOOT_DIAMETER_MM / 2)}" y="{fmt(floor_y - 8)}" '
                    f'width="{FOOT_DIAMETER_MM}" height="8" rx="3" fill="#444"/>')
    # Labels to the right of the right-hand cell
    lx = px(hw) + 30
    labels = [
        (top + PLATE_THICKNESS_MM / 2, f"plate: {fmt(PLATE_THICKNESS_MM)} mm birch plywood"),
        (plate_bottom + 5, "M12 countersunk bolt + nut"),
        (plate_bottom + CELL_HEIGHT_MM / 2, "S-type load cell, 200 kg"),
        (plate_bottom + CELL_HEIGHT_MM / 2 + 16, f"(about {fmt(CELL_HEIGHT_MM)} mm tall)"),
        (cell_bottom + FOOT_HEIGHT_MM / 2, "swivel levelling foot"),
    ]
    for y, s in labels:
        body.append(text(lx, y + 4, s, 12))
    body.append(text(px(-hw) - 60, floor_y + 34, "floor", 12, fill="#555"))
    notes_y = floor_y + 66
    notes = [
        "Cells stand 30 mm in from each edge; each bolt is on its cell's axis and the foot is "
        "straight below it.",
        "Cell numbering = HX711 numbering (wiring.csv). Origin at the plate centre, +x to the "
        "user's right lying prone, +y toward the head.",
        "Keep the ball in the ball area: outside the lines joining the cells the plate can tip. "
        "Only the four feet touch the floor:",
        "the box, cables and USB lead hang free. Top: flush countersunk heads, nothing sticking "
        "up.",
    ]
    for j, s in enumerate(notes):
        body.append(text(40, notes_y + 18 * j, s, 13))
    return svg_document(width, height, "rollrig plate", "\n".join(body))


# [SECTION] Main

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a drawing differs from what would be written")
    args = parser.parse_args()
    outputs = {
        HARDWARE_DIR / "wiring.svg": wiring_svg(read_wiring(HARDWARE_DIR / "wiring.csv")),
        HARDWARE_DIR / "plate.svg": plate_svg(),
    }
    stale = []
    for path, content in outputs.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == content:
            continue
        if args.check:
            stale.append(path.name)
        else:
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run {sys.argv[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

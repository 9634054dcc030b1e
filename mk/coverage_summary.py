#!/usr/bin/env python3
"""coverage_summary.py SUMMARY.json RT_L RT_B CC_L EX_L [MIN [FLOORS...]] —
the last line of `make coverage`, from gcovr's JSON summary.  The four
figures are the targets ("below target" says which are not met); with
MIN=1, exit 1 when a figure is below its floor (the four FLOORS, in the
same order; the targets when none are given)."""
import json
import sys


def totals(files, prefix):
    lc = lt = bc = bt = 0
    for f in files:
        if f["filename"].startswith(prefix):
            lc += f["line_covered"]
            lt += f["line_total"]
            bc += f["branch_covered"]
            bt += f["branch_total"]
    return (100.0 * lc / lt if lt else 100.0), (100.0 * bc / bt if bt else 100.0)


def main():
    files = json.load(open(sys.argv[1]))["files"]
    rt_l, rt_b, cc_l, ex_l = (float(a) for a in sys.argv[2:6])
    enforce = len(sys.argv) > 6 and sys.argv[6] == "1"
    floors = [float(a) for a in sys.argv[7:11]] if len(sys.argv) > 10 else [rt_l, rt_b, cc_l, ex_l]
    rl, rb = totals(files, "runtime/")
    cl, cb = totals(files, "compiler/")
    el, _ = totals(files, "examples/")
    for f in sorted(files, key=lambda f: f["line_percent"]):
        if f["line_percent"] < 90:
            print("  %5.1f%% lines  %s" % (f["line_percent"], f["filename"]))
    below = [n for n, v, t in (("runtime lines", rl, rt_l), ("runtime branches", rb, rt_b),
                                ("compiler lines", cl, cc_l), ("examples lines", el, ex_l)) if v < t]
    if below:
        print("below target: " + ", ".join(below))
    under = [n for n, v, t in (("runtime lines", rl, floors[0]), ("runtime branches", rb, floors[1]),
                                ("compiler lines", cl, floors[2]), ("examples lines", el, floors[3])) if v < t]
    if under:
        print("BELOW THE FLOOR CI HOLDS: " + ", ".join(under))
    print("coverage: runtime %.1f%% lines %.1f%% branches, compiler %.1f%% lines %.1f%% branches, "
          "examples %.1f%% lines" % (rl, rb, cl, cb, el))
    return 1 if enforce and under else 0


if __name__ == "__main__":
    sys.exit(main())

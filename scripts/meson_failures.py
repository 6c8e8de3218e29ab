#!/usr/bin/env python3
"""Prints one line per meson test that did not pass, read from a build's testlog.json.

Usage: scripts/meson_failures.py BUILD_DIR
A CI log that keeps only its tail still names the failed tests when the test scripts print
these lines last (scripts/test.sh, scripts/sanitize.sh). Prints nothing when all passed or
when there is no log.
"""
import json
import os
import sys

build = sys.argv[1]
log = os.path.join(build, "meson-logs", "testlog.json")
if os.path.exists(log):
    for line in open(log, encoding="utf-8"):
        test = json.loads(line)
        if test["result"] != "OK":
            print('== FAILED: meson test "%s" in %s (%s after %.0f s; its output: %s)'
                  % (test["name"], build, test["result"], test["duration"],
                     os.path.join(build, "meson-logs", "testlog.txt")))

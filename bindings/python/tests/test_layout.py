"""The ctypes structs and constants against genmodels.h as the C compiler lays them out.

bindings/run_tests.sh compiles bindings/layout/print_layout.c and points
$GENMODELS_LAYOUT_JSON at its output; without it this test is skipped.
"""
import ctypes
import json
import os
import unittest

import genmodels
from genmodels import _native


def c_layout():
    path = os.environ.get("GENMODELS_LAYOUT_JSON")
    if not path:
        raise unittest.SkipTest("GENMODELS_LAYOUT_JSON is not set (bindings/run_tests.sh sets it)")
    with open(path) as f:
        return json.load(f)


class LayoutTest(unittest.TestCase):
    def test_structs_match_genmodels_h(self):
        layout = c_layout()
        self.assertEqual(set(layout["structs"]), set(_native.STRUCTS))
        for name, c in layout["structs"].items():
            with self.subTest(struct=name):
                py = _native.STRUCTS[name]
                ours = [[f, getattr(py, f).offset, getattr(py, f).size] for f, _ in py._fields_]
                self.assertEqual(ours, c["fields"])
                self.assertEqual(ctypes.sizeof(py), c["size"])
                self.assertEqual(ctypes.alignment(py), c["align"])

    def test_constants_match_genmodels_h(self):
        constants = c_layout()["constants"]
        self.assertEqual(_native.ABI_VERSION, constants["GM_ABI_VERSION"])
        for flag in genmodels.Capability:
            self.assertEqual(flag.value, constants["GM_CAP_" + flag.name], flag.name)
        statuses = {k: v for k, v in constants.items()
                    if not k.startswith(("GM_CAP_", "GM_CONDITION_", "GM_ABI_")) and k != "GM_OK"}
        self.assertEqual(set(genmodels._ERRORS), set(statuses.values()))  # one exception class each
        for name, code in statuses.items():
            self.assertEqual(genmodels._ERRORS[code](name, code).status_name, name)

if __name__ == "__main__":
    unittest.main()

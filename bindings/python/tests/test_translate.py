"""Model.translate and Model.domains (gm_model_translate, gm_model_domains_json): the options'
defaults and the errors of a kind that does not translate. The translating kinds (cyclegan,
stargan, issue 15) add their cases as they land. Run as test_genmodels.py says."""
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import genmodels  # noqa: E402
from genmodels import _native  # noqa: E402


class TestTranslate(unittest.TestCase):
    def test_options_defaults(self):
        o = _native.TranslateOptions.from_buffer_copy(_native.TRANSLATE_DEFAULTS)
        self.assertEqual(o.struct_size, _native.ctypes.sizeof(_native.TranslateOptions))
        self.assertEqual((o.seed, o.threads, o.domain), (0, 0, -1))  # -1: no target given
        self.assertIsNone(o.domain_name)
        self.assertIsNone(o.domains)

    def test_no_kind_translates_yet(self):
        for kind in ("bernoulli", "markov", "nade", "vae", "dcgan"):
            self.assertNotIn(genmodels.Capability.TRANSLATE, genmodels.kind_capabilities(kind))

    def test_a_kind_without_translate_says_so(self):
        X = (np.arange(64, dtype=np.float32).reshape(4, 16) % 3 == 0).astype(np.float32)
        m = genmodels.Model("bernoulli").fit(X)
        for to in ("b", 1, np.zeros(4, dtype=np.int32)):
            with self.subTest(to=to), self.assertRaises(genmodels.UnsupportedError) as cm:
                m.translate(X, to)
            self.assertIn("translate", str(cm.exception))
        with self.assertRaises(genmodels.UnsupportedError):
            m.domains

    def test_per_row_targets_need_one_per_row(self):
        X = np.zeros((4, 16), dtype=np.float32)
        m = genmodels.Model("bernoulli").fit(X)
        with self.assertRaises(genmodels.InvalidArgumentError):
            m.translate(X, np.zeros(3, dtype=np.int32))


if __name__ == "__main__":
    unittest.main()

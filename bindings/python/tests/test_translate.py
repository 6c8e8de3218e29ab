"""Model.translate and Model.domains (gm_model_translate, gm_model_domains_json): the options'
defaults, a fitted cyclegan translating by name, index and per row, and the errors of a kind
that does not translate. Run as test_genmodels.py says."""
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

    def test_which_kinds_translate(self):
        for kind in ("bernoulli", "markov", "nade", "vae", "dcgan"):
            self.assertNotIn(genmodels.Capability.TRANSLATE, genmodels.kind_capabilities(kind))
        self.assertIn(genmodels.Capability.TRANSLATE, genmodels.kind_capabilities("cyclegan"))

    def test_cyclegan(self):
        rng = np.random.default_rng(0)
        X = rng.random((16, 1, 8, 8), dtype=np.float32) * 0.5
        y = (np.arange(16) % 2).astype(np.int32)
        X[y == 1] += 0.5  # domain b: brighter
        m = genmodels.Model("cyclegan", ngf=2, ndf=2, n_res=1)
        m.fit(X, y, epochs=1, batch_size=8, threads=1)
        self.assertEqual(m.domains, ["a", "b"])
        to_b = m.translate(X, "b")
        self.assertEqual(to_b.shape, X.shape)
        self.assertTrue(((to_b >= 0) & (to_b <= 1)).all())
        np.testing.assert_array_equal(m.translate(X, 1), to_b)
        to_a = m.translate(X, "a")
        mixed = m.translate(X, y)  # row r to domain y[r]
        np.testing.assert_array_equal(mixed[y == 1], to_b[y == 1])
        np.testing.assert_array_equal(mixed[y == 0], to_a[y == 0])
        with self.assertRaises(genmodels.InvalidArgumentError) as cm:
            m.translate(X, "c")
        self.assertIn('"a", "b"', str(cm.exception))
        with self.assertRaises(genmodels.UnsupportedError):
            m.sample(1)

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

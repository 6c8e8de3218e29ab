"""M-level pixels through the Python binding (docs/levels.md): Dataset(levels=), fit/log_prob/
complete(levels=), Model.levels, and the errors. Run as test_genmodels.py says."""
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import genmodels  # noqa: E402

# Every 2x2 image of 4 levels: row k holds the base-4 digits of k.
ALL_2X2_M4 = ((np.arange(256)[:, None] >> (2 * np.arange(4))) & 3).astype(np.float32)


class TestLevels(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="genmodels-py-levels-")
        rng = np.random.default_rng(5)
        self.X = rng.integers(0, 4, size=(64, 1, 2, 2)).astype(np.float32)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_categorical_normalises_and_keeps_its_levels(self):
        self.assertIn(genmodels.Capability.LEVELS, genmodels.kind_capabilities("categorical"))
        m = genmodels.Model("categorical", alpha=0.5)
        self.assertEqual(m.levels, 2)  # before a fit
        m.fit(self.X, levels=4)
        self.assertEqual(m.levels, 4)
        lp = m.log_prob(ALL_2X2_M4, levels=4)
        self.assertAlmostEqual(float(np.exp(lp).sum()), 1.0, places=9)
        np.testing.assert_array_equal(m.log_prob(ALL_2X2_M4), lp)  # not stated: the model's own
        s = m.sample(500, seed=1)
        self.assertTrue(np.all((s >= 0) & (s <= 3) & (s == np.floor(s))))
        path = os.path.join(self.tmp, "m.safetensors")
        m.save(path)
        self.assertEqual(genmodels.Model.load(path).levels, 4)
        x = self.X[:3].reshape(3, 4).copy()
        x[:, 1] = np.nan
        out = m.complete(x, seed=2)
        np.testing.assert_array_equal(out[:, [0, 2, 3]], x[:, [0, 2, 3]])

    def test_pixelcnn(self):
        m = genmodels.Model("pixelcnn", channels=4, layers=1, first_kernel=3)
        m.fit(self.X, levels=4, epochs=3, batch_size=16, seed=1)
        self.assertEqual(m.levels, 4)
        lp = m.log_prob(ALL_2X2_M4.reshape(256, 1, 2, 2))
        self.assertAlmostEqual(float(np.exp(lp).sum()), 1.0, places=5)
        s = m.sample(50, seed=2)
        self.assertTrue(np.all((s >= 0) & (s <= 3) & (s == np.floor(s))))
        x = self.X[:5].copy()
        x[:, 0, 1, 1] = np.nan  # the last pixel: completed exactly from p(x_3 | x_<3)
        out = m.complete(x, seed=3)
        np.testing.assert_array_equal(out[:, 0, 0, :], x[:, 0, 0, :])
        self.assertTrue(np.all(np.isin(out[:, 0, 1, 1], [0, 1, 2, 3])))

    def test_errors_name_the_levels(self):
        m = genmodels.Model("categorical").fit(self.X, levels=4)
        with self.assertRaises(genmodels.InvalidDataError) as e:
            m.log_prob(self.X, levels=5)
        self.assertIn("the data has 5 levels", str(e.exception))
        bad = self.X.copy()
        bad[0, 0, 0, 0] = 4
        with self.assertRaises(genmodels.InvalidDataError):
            m.log_prob(bad)
        with self.assertRaises(genmodels.InvalidDataError):
            genmodels.Model("bernoulli").fit(self.X, levels=4)

    def test_dataset_quantises(self):
        ds = genmodels.Dataset("builtin:bars-and-stripes:3", levels=4)
        self.assertEqual(ds.levels, 4)
        self.assertEqual(set(np.unique(ds.X)), {0.0, 3.0})
        self.assertEqual(genmodels.Dataset("builtin:bars-and-stripes:3").levels, 0)
        self.assertEqual(genmodels.Dataset("builtin:bars-and-stripes:3", binarize=0.5).levels, 2)
        with self.assertRaises(genmodels.InvalidArgumentError):
            genmodels.Dataset("builtin:bars-and-stripes:3", levels=300)
        path = os.path.join(self.tmp, "grid.png")
        genmodels.write_png_grid(path, ds.images, levels=4)
        self.assertTrue(os.path.getsize(path) > 0)


if __name__ == "__main__":
    unittest.main()

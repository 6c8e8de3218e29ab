"""Condition vectors and sentences from Python: fit and sample with conditions= (a cgan on
vectors, a text cgan with the learned sentence encoder), text_features (gm_text_features_compute_v)
and Model.text_features (gm_model_text_features). Run as test_genmodels.py says."""
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import genmodels  # noqa: E402

SMALL = {"ngf": 4, "ndf": 4, "latent": 8}


def images(n=32):
    rng = np.random.default_rng(3)
    return (rng.random((n, 1, 8, 8)) < 0.3).astype(np.float32)


class TestTextFeatures(unittest.TestCase):
    def test_versions(self):
        v1 = genmodels.text_features("red dresses", 64)
        self.assertEqual(v1.shape, (64,))
        self.assertAlmostEqual(float(np.linalg.norm(v1)), 1.0, places=5)
        v2 = genmodels.text_features("red dresses", 64, "subword-v2")
        self.assertFalse(np.array_equal(v1, v2))
        # subword-v2 shares most of a plural's features with the singular; words-v1 nothing
        self.assertGreater(float(v2 @ genmodels.text_features("red dress", 64, "subword-v2")), 0.5)
        ids = genmodels.text_features("ankle boots", 64, "subword-ids-v3")
        self.assertTrue((ids == np.round(ids)).all() and ids.max() >= 1)  # piece ids, then 0
        with self.assertRaises(genmodels.InvalidArgumentError):
            genmodels.text_features("a", 64, "words-v9")


class TestConditions(unittest.TestCase):
    def test_vector_cgan(self):
        X = images()
        C = np.repeat(np.eye(2, dtype=np.float32), 16, axis=0)
        m = genmodels.Model("cgan", condition="vector", **SMALL).fit(X, conditions=C, epochs=1, batch_size=16,
                                                                    threads=1, seed=1)
        self.assertEqual(m.condition, ("vector", 2))
        out = m.sample(4, conditions=C[:4], seed=2)
        self.assertEqual(out.shape, (4, 64))
        np.testing.assert_array_equal(m.sample(4, conditions=C[:4], seed=2, threads=2), out)
        with self.assertRaises(genmodels.InvalidArgumentError) as cm:
            m.sample(4, conditions=C[:3])
        self.assertIn("(4, k)", str(cm.exception))

    def test_text_cgan_with_the_learned_encoder(self):
        X = images()
        version, dim = "subword-ids-v3", 64
        sentences = ["red dresses", "ankle boots"]
        C = np.stack([genmodels.text_features(sentences[r % 2], dim, version) for r in range(32)])
        m = genmodels.Model("cgan", condition="text", text_features=version, embed=8, **SMALL)
        m.fit(X, conditions=C, epochs=1, batch_size=16, threads=1, seed=1)
        self.assertEqual(m.condition, ("text", dim))
        # the model's own features are the version it was fitted on, at its width
        np.testing.assert_array_equal(m.text_features("ankle boots"), C[1])
        boots = np.stack([m.text_features("ankle boots")] * 3)
        out = m.sample(3, conditions=boots, seed=5)
        self.assertTrue(((out >= 0) & (out <= 1)).all() and out.shape == (3, 64))
        self.assertFalse(np.array_equal(m.sample(3, conditions=np.stack([C[0]] * 3), seed=5), out))
        with self.assertRaises(genmodels.UnsupportedError):
            genmodels.Model("bernoulli").fit(X.reshape(32, -1)).text_features("ankle boots")


if __name__ == "__main__":
    unittest.main()

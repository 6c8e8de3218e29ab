"""Model.complete_from_parts (gm_model_complete_from_parts) on a tiny fitted puzzlegan, and
sample(stage=) on a tiny progan grown through three stages, and sample(truncation=) on a tiny
gan. Run as test_genmodels.py says."""
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import genmodels  # noqa: E402

S, P, K = 8, 4, 2


def squares(n):
    """n grey S×S images: a bright 3×3 square on a dark background, placed by the row number."""
    X = np.full((n, 1, S, S), 0.1, dtype=np.float32)
    for r in range(n):
        top, left = r % 5, (r * 3) % 5
        X[r, 0, top:top + 3, left:left + 3] = 0.9
    return X


class TestCompleteFromParts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.X = squares(12)
        cls.m = genmodels.Model("puzzlegan", parts=K, patch_size=P, nef=2, ngf=2, ndf=2, noise=2)
        cls.m.fit(cls.X, epochs=1, batch_size=6, threads=1, seed=3)

    def parts(self, n):
        positions = np.tile(np.array([[0, 0], [4, 3]], dtype=np.int64), (n, 1, 1))
        patches = np.stack([[self.X[i, :, t:t + P, l:l + P] for t, l in positions[i]] for i in range(n)])
        return patches, positions  # (n, K, 1, P, P), (n, K, 2)

    def test_images_from_patches(self):
        self.assertIn(genmodels.Capability.COMPLETE_FROM_PARTS, genmodels.kind_capabilities("puzzlegan"))
        patches, positions = self.parts(3)
        out = self.m.complete_from_parts(patches, positions, seed=5)
        self.assertEqual(out.shape, (3, S * S))
        self.assertTrue(((out >= 0) & (out <= 1)).all())
        # The same seed gives the same images on any thread count, and every patch layout
        # (grey (n, k, P, P), channels (n, k, 1, P, P), flat (n, k, P * P)) is the same input.
        np.testing.assert_array_equal(self.m.complete_from_parts(patches, positions, seed=5, threads=2), out)
        np.testing.assert_array_equal(self.m.complete_from_parts(patches[:, :, 0], positions, seed=5), out)
        np.testing.assert_array_equal(self.m.complete_from_parts(patches.reshape(3, K, -1), positions, seed=5), out)
        self.assertFalse(np.array_equal(self.m.complete_from_parts(patches, positions, seed=6), out))

    def test_errors(self):
        patches, positions = self.parts(2)
        outside = positions.copy()
        outside[1, 1, 1] = S - P + 1
        with self.assertRaises(genmodels.InvalidArgumentError):
            self.m.complete_from_parts(patches, outside)
        with self.assertRaises(genmodels.InvalidArgumentError) as cm:
            self.m.complete_from_parts(patches, positions[:, :1])
        self.assertIn("(2, 2, 2)", str(cm.exception))
        with self.assertRaises(genmodels.InvalidDataError):
            self.m.complete_from_parts(patches[:, :, :, :2, :2], positions)  # 2×2 patches, the model's are 4×4
        with self.assertRaises(genmodels.InvalidDataError):
            self.m.complete_from_parts(patches + 1.0, positions)
        flat = (self.X.reshape(12, -1) > 0.5).astype(np.float32)
        with self.assertRaises(genmodels.UnsupportedError):
            genmodels.Model("bernoulli").fit(flat).complete_from_parts(patches, positions)
        with self.assertRaises(genmodels.NotFittedError):
            genmodels.Model("puzzlegan", patch_size=P).complete_from_parts(patches, positions)


class TestSampleStage(unittest.TestCase):
    def test_progan_stages(self):
        rng = np.random.default_rng(1)
        X = rng.random((16, 1, 16, 16), dtype=np.float32)
        m = genmodels.Model("progan", latent=8, fmap_base=16, fmap_max=8, fade_images=8, stable_images=8,
                            mbstd_group=4)
        m.fit(X, epochs=3, batch_size=8, threads=1, seed=5)  # 48 images: stage 3 (16×16), stable
        for stage, block in ((1, 4), (2, 2)):
            out = m.sample(4, seed=11, stage=stage).reshape(4, 16, 16)
            # a lower stage's images come back upsampled (nearest): constant on block × block cells
            coarse = out[:, ::block, ::block].repeat(block, axis=1).repeat(block, axis=2)
            np.testing.assert_array_equal(out, coarse)
        np.testing.assert_array_equal(m.sample(4, seed=11, stage=0), m.sample(4, seed=11, stage=3))
        self.assertFalse(np.array_equal(m.sample(4, seed=11, stage=3), m.sample(4, seed=11, stage=2)))
        with self.assertRaises(genmodels.InvalidArgumentError):
            m.sample(1, stage=4)
        with self.assertRaises(genmodels.InvalidArgumentError):
            genmodels.Model("bernoulli").fit((X.reshape(16, -1) > 0.5).astype(np.float32)).sample(1, stage=2)



class TestSampleTruncation(unittest.TestCase):
    def test_gan_truncation(self):
        X = (np.random.default_rng(2).random((20, 9)) > 0.5).astype(np.float32)
        m = genmodels.Model("gan", latent=2, g_hidden=[8], d_hidden=[8])
        m.fit(X, epochs=2, batch_size=10, threads=1, seed=1)
        out = m.sample(8, seed=7, truncation=0.5)
        self.assertTrue(np.isfinite(out).all())
        np.testing.assert_array_equal(m.sample(8, seed=7, truncation=0.5), out)
        self.assertFalse(np.array_equal(m.sample(8, seed=7, truncation=0.0), out))
        with self.assertRaises(genmodels.InvalidArgumentError):
            m.sample(1, seed=7, truncation=-1.0)
        with self.assertRaises(genmodels.InvalidArgumentError):
            genmodels.Model("bernoulli").fit(X).sample(1, truncation=1.0)

if __name__ == "__main__":
    unittest.main()

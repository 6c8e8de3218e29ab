"""Issue 13 in the Python binding: epoch reports, warm start, partial fit, checkpoints.
Run: GENMODELS_LIBRARY=<build>/capi/libgenmodels.so /usr/bin/python3 -m unittest discover -s bindings/python/tests"""
import dataclasses
import math
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import genmodels  # noqa: E402
from genmodels import _native  # noqa: E402

KINDS = [k["kind"] for k in genmodels.kinds()]
NADE = {"hidden": 8}  # the small configuration of the binding tests


def bars():
    return genmodels.Dataset("builtin:bars-and-stripes:4").X  # 30 rows of 16 pixels


def nade_fit(X, epochs, **kw):
    return genmodels.Model("nade", **NADE).fit(X, epochs=epochs, batch_size=10, seed=7, threads=1, **kw)


class TestEpochReports(unittest.TestCase):
    def test_report_mirrors_the_header(self):
        names = [f.name for f in dataclasses.fields(genmodels.EpochReport)]
        self.assertEqual(names, [f for f, _ in _native.EpochReport._fields_][1:])  # all but struct_size

    @unittest.skipUnless("nade" in KINDS, "no nade kind")
    def test_nade_reports_every_epoch(self):
        reports = []
        m = nade_fit(bars(), 3, on_epoch=reports.append)
        self.assertEqual([r.epoch for r in reports], [1, 2, 3])
        for r in reports:
            self.assertEqual(r.last_epoch, 3)
            self.assertTrue(math.isfinite(r.train_loss) and r.train_loss > 0, r)
            self.assertTrue(math.isnan(r.validation_loss), r)  # no validation split
            self.assertTrue(math.isnan(r.discriminator_loss) and math.isnan(r.generator_loss), r)
            self.assertEqual(r.best_epoch, r.epoch)
            self.assertGreaterEqual(r.elapsed_seconds, r.epoch_seconds)
            self.assertIs(r.stopping, False)
        self.assertEqual(m.training_progress(), (3, 3))

    @unittest.skipUnless("nade" in KINDS, "no nade kind")
    def test_validation_loss_is_reported(self):
        reports = []
        nade_fit(bars(), 2, validation_fraction=0.2, on_epoch=reports.append)
        self.assertEqual(len(reports), 2)
        self.assertTrue(all(math.isfinite(r.validation_loss) for r in reports), reports)

    @unittest.skipUnless("gan" in KINDS, "no gan kind")
    def test_gan_reports_both_losses(self):
        reports = []
        genmodels.Model("gan", latent=2, g_hidden=[8], d_hidden=[8]).fit(
            bars(), epochs=2, batch_size=10, seed=1, threads=1, on_epoch=reports.append)
        self.assertEqual([r.epoch for r in reports], [1, 2])
        for r in reports:
            self.assertTrue(math.isfinite(r.discriminator_loss) and math.isfinite(r.generator_loss), r)
            self.assertAlmostEqual(r.train_loss, r.discriminator_loss + r.generator_loss)

    def test_closed_form_kinds_report_once(self):
        reports = []
        genmodels.Model("markov").fit(bars(), on_epoch=reports.append)
        self.assertEqual(len(reports), 1)
        self.assertEqual(reports[0].epoch, 1)
        self.assertTrue(math.isfinite(reports[0].train_loss))

    @unittest.skipUnless("nade" in KINDS, "no nade kind")
    def test_true_cancels_and_exceptions_are_reraised(self):
        seen = []
        with self.assertRaises(genmodels.CancelledError):
            nade_fit(bars(), 5, on_epoch=lambda r: seen.append(r.epoch) or r.epoch >= 2)
        self.assertEqual(seen, [1, 2])

        class Stop(Exception):
            pass

        def boom(report):
            raise Stop(f"epoch {report.epoch}")

        with self.assertRaisesRegex(Stop, "epoch 1"):
            nade_fit(bars(), 5, on_epoch=boom)
        with self.assertRaises(KeyboardInterrupt):
            nade_fit(bars(), 5, on_epoch=lambda r: (_ for _ in ()).throw(KeyboardInterrupt))

    def test_the_model_cannot_be_used_from_its_own_on_epoch(self):
        X = bars()
        m = genmodels.Model("nade", **NADE)
        with self.assertRaisesRegex(RuntimeError, "on_epoch callback"):
            m.fit(X, epochs=2, batch_size=10, seed=7, threads=1, on_epoch=lambda r: m.log_prob(X))


@unittest.skipUnless("nade" in KINDS, "no nade kind")
class TestWarmStartAndCheckpoints(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="genmodels-py-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_one_plus_one_epochs_equal_two(self):
        X = bars()
        two = nade_fit(X, 2).log_prob(X)
        m = nade_fit(X, 1)
        m.fit(X, epochs=1, batch_size=10, seed=7, threads=1, warm_start=True)
        np.testing.assert_array_equal(m.log_prob(X), two)
        self.assertEqual(m.training_progress(), (2, 2))
        one = nade_fit(X, 1).log_prob(X)
        self.assertFalse(np.array_equal(one, two))  # the second epoch did change something

    def test_warm_start_reports_continue_the_epoch_count(self):
        X = bars()
        m = nade_fit(X, 2)
        reports = []
        m.fit(X, epochs=2, batch_size=10, seed=7, threads=1, warm_start=True, on_epoch=reports.append)
        self.assertEqual([(r.epoch, r.last_epoch) for r in reports], [(3, 4), (4, 4)])

    def test_checkpoint_save_load_resume(self):
        X = bars()
        three = nade_fit(X, 3).log_prob(X)
        path = os.path.join(self.tmp, "nade.ckpt")
        nade_fit(X, 2).save_checkpoint(path)
        m = genmodels.Model.load(path)
        self.assertEqual(m.training_progress()[0], 2)
        m.fit(X, epochs=1, batch_size=10, seed=7, threads=1, warm_start=True)
        np.testing.assert_array_equal(m.log_prob(X), three)

    def test_checkpoint_every(self):
        X = bars()
        path = os.path.join(self.tmp, "every.ckpt")
        m = nade_fit(X, 3, checkpoint_every=2, checkpoint_path=path)
        self.assertTrue(os.path.exists(path))
        loaded = genmodels.Model.load(path)  # written after the last epoch too
        self.assertEqual(loaded.training_progress(), (3, 3))
        np.testing.assert_array_equal(loaded.log_prob(X), m.log_prob(X))

    def test_checkpoint_refusals(self):
        path = os.path.join(self.tmp, "x.ckpt")
        with self.assertRaises(genmodels.NotFittedError):
            genmodels.Model("nade", **NADE).save_checkpoint(path)
        with self.assertRaises(genmodels.UnsupportedError):
            genmodels.Model("markov").fit(bars()).save_checkpoint(path)
        plain = os.path.join(self.tmp, "plain.safetensors")
        nade_fit(bars(), 1).save(plain)
        with self.assertRaises(genmodels.NotFittedError):  # a plain model file has no training state
            genmodels.Model.load(plain).save_checkpoint(path)
        self.assertEqual(genmodels.Model.load(plain).training_progress()[0], 0)


class TestPartialFit(unittest.TestCase):
    def test_chunks_equal_one_fit(self):
        X = bars()
        for kind, config in (("bernoulli", {}), ("markov", {"order": 2})):
            with self.subTest(kind=kind):
                whole = genmodels.Model(kind, **config).fit(X).log_prob(X)
                m = genmodels.Model(kind, **config).fit(X[:11])
                m.fit(X[11:20], warm_start=True)
                m.fit(X[20:], warm_start=True)
                np.testing.assert_array_equal(m.log_prob(X), whole)

    def test_warm_start_of_an_unfitted_model_fits_from_scratch(self):
        X = bars()
        np.testing.assert_array_equal(genmodels.Model("bernoulli").fit(X, warm_start=True).log_prob(X),
                                      genmodels.Model("bernoulli").fit(X).log_prob(X))

    def test_warm_start_refuses_another_width(self):
        m = genmodels.Model("bernoulli").fit(bars())
        with self.assertRaises(genmodels.GenmodelsError):
            m.fit(np.zeros((4, 9), dtype=np.float32), warm_start=True)


if __name__ == "__main__":
    unittest.main()

"""Tests of the Python binding. Run: GENMODELS_LIBRARY=<build>/capi/libgenmodels.so
/usr/bin/python3 -m unittest discover -s bindings/python/tests"""
import ctypes
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
sys.path.insert(0, PACKAGE_ROOT)

import genmodels  # noqa: E402
from genmodels import _native  # noqa: E402

ALL9 = ((np.arange(512)[:, None] >> np.arange(9)) & 1).astype(np.float32)  # every 3x3 binary image


def bars():
    return genmodels.Dataset("builtin:bars-and-stripes:3")


def fitted(kind="markov", **config):
    return genmodels.Model(kind, **config).fit(bars().X, seed=3)


class TestModel(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="genmodels-py-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_library(self):
        self.assertEqual(genmodels.ABI_VERSION, _native.lib.gm_abi_version())
        self.assertRegex(genmodels.version(), r"^\d+\.\d+\.\d+")
        self.assertIn("abi_version", genmodels.build_info())
        self.assertIn("markov", [k["kind"] for k in genmodels.kinds()])
        self.assertIn(genmodels.Capability.COMPLETE, genmodels.kind_capabilities("bernoulli"))

    def test_sized_defaults_keep_our_struct_size(self):
        # The *_init_sized functions write our prefix only, struct_size = our sizeof
        # (tests/test_layout.py checks the layouts themselves against genmodels.h).
        for init, struct in ((_native.lib.gm_data_init_sized, _native.Data),
                             (_native.lib.gm_fit_options_init_sized, _native.FitOptions),
                             (_native.lib.gm_sample_options_init_sized, _native.SampleOptions),
                             (_native.lib.gm_score_options_init_sized, _native.ScoreOptions),
                             (_native.lib.gm_dataset_options_init_sized, _native.DatasetOptions)):
            self.assertEqual(_native.defaults(init, struct).struct_size, ctypes.sizeof(struct), struct.__name__)
        self.assertEqual(_native.defaults(_native.lib.gm_fit_options_init_sized, _native.FitOptions).epochs, 10)

    def test_condition(self):
        self.assertEqual(genmodels.Model("bernoulli").condition, ("none", 0))
        self.assertEqual(genmodels.Model("cgan", classes=7).condition, ("label", 7))
        self.assertEqual(genmodels.Model("cgan", condition="vector", condition_dim=3).condition, ("vector", 3))
        self.assertEqual(genmodels.Model("cgan", condition="text").condition, ("text", 0))

    def test_fit_sample_log_prob_complete(self):
        for kind, config in (("bernoulli", {}), ("markov", {"order": 2})):
            with self.subTest(kind=kind):
                m = genmodels.Model(kind, **config)
                self.assertEqual(m.kind, kind)
                self.assertFalse(m.is_fitted)
                self.assertIs(m.fit(bars().images, seed=1), m)  # image layout (n, 1, 3, 3)
                self.assertTrue(m.is_fitted)
                self.assertEqual(m.data_shape, (9, 1, 3, 3))
                self.assertEqual({k: v for k, v in m.config.items() if k in config}, config)
                self.assertIn(genmodels.Capability.LOG_PROB, m.capabilities)
                self.assertNotIn(genmodels.Capability.ENCODE, m.capabilities)

                lp = m.log_prob(ALL9)
                self.assertEqual((lp.shape, lp.dtype), ((512,), np.float64))
                self.assertAlmostEqual(np.exp(lp).sum(), 1.0, places=9)

                s = m.sample(100, seed=5)
                self.assertEqual((s.shape, s.dtype), ((100, 9), np.float32))
                self.assertTrue(np.isin(s, (0, 1)).all())
                np.testing.assert_array_equal(s, m.sample(100, seed=5))
                self.assertFalse(np.array_equal(s, m.sample(100, seed=6)))

                x = np.array([[1, 1, 1] + [np.nan] * 6, [0, np.nan, 0, np.nan, 1, np.nan, 0, np.nan, 0]])
                filled = m.complete(x)  # NaN = unobserved
                self.assertEqual(filled.shape, (2, 9))
                observed = ~np.isnan(x)
                np.testing.assert_array_equal(filled[observed], x[observed])
                self.assertTrue(np.isin(filled, (0, 1)).all())
                mask = np.zeros((2, 9), dtype=bool)
                mask[:, 0] = True
                self.assertEqual(m.complete(np.zeros((2, 9)), mask, seed=2).shape, (2, 9))
                self.assertEqual(m.log_prob([0] * 9).shape, (1,))  # one row, any array-like

    def test_literal_data_and_labels_pass(self):
        x = np.array([[0, 1, 0, 1], [1, 1, 0, 0], [0, 1, 0, 1]])
        m = genmodels.Model("bernoulli", alpha=0.5).fit(x)
        self.assertEqual(m.data_shape[0], 4)
        self.assertAlmostEqual(np.exp(m.log_prob(((np.arange(16)[:, None] >> np.arange(4)) & 1))).sum(), 1.0)

    def test_version_is_the_librarys(self):
        self.assertEqual(genmodels.__version__, _native.lib.gm_version().decode())
        self.assertRegex(genmodels.__version__, r"^\d+\.\d+\.\d+")

    def test_fit_shape_gives_flat_rows_a_layout(self):
        rng = np.random.default_rng(4)
        flat = (rng.random((30, 64)) < 0.3).astype(np.float32)
        for shape, want in (((1, 8, 8), (64, 1, 8, 8)), ((8, 8), (64, 1, 8, 8)), ((4, 4, 4), (64, 4, 4, 4)),
                            (None, (64, 0, 0, 0))):
            with self.subTest(shape=shape):
                m = genmodels.Model("bernoulli").fit(flat, shape=shape)
                self.assertEqual(m.data_shape, want)
                self.assertEqual(genmodels.Model.from_bytes(m.to_bytes()).data_shape, want)  # saved with it
        m = genmodels.Model("bernoulli").fit(flat.reshape(30, 1, 8, 8), shape=(1, 8, 8))  # agrees with X
        self.assertEqual(m.data_shape, (64, 1, 8, 8))
        # A model with a layout can be drawn: the samples reshape to its images.
        path = os.path.join(self.tmp, "s.png")
        genmodels.write_png_grid(path, m.sample(4, seed=1).reshape(4, 1, 8, 8))
        self.assertTrue(os.path.getsize(path) > 0)

    def test_fit_shape_that_does_not_fit_x_is_refused(self):
        flat = np.zeros((5, 64), dtype=np.float32)
        cases = [
            (flat, (1, 8, 9)),            # 72 values, rows have 64
            (flat, (0, 8, 8)),            # not positive
            (flat, (8,)),                 # neither (c, h, w) nor (h, w)
            (flat, "1,8,8"),              # not a sequence of integers
            (flat.reshape(5, 4, 16), (1, 8, 8)),  # contradicts X's own image dims
            (flat.reshape(5, 1, 8, 8), (2, 4, 8)),
        ]
        for X, shape in cases:
            m = genmodels.Model("bernoulli")
            with self.subTest(X=X.shape, shape=shape), self.assertRaises(ValueError) as cm:
                m.fit(X, shape=shape)
            self.assertIsInstance(cm.exception, genmodels.InvalidArgumentError)
            self.assertIn("shape", str(cm.exception))
            self.assertFalse(m.is_fitted)

    def test_data_of_another_layout_is_invalid_data(self):
        rng = np.random.default_rng(5)
        X = (rng.random((20, 1, 8, 8)) < 0.5).astype(np.float32)
        m = genmodels.Model("markov", order=2).fit(X)
        self.assertEqual(m.data_shape, (64, 1, 8, 8))
        for other in (X.reshape(20, 4, 16), X.reshape(20, 2, 4, 8), X.reshape(20, 1, 1, 64)):
            with self.subTest(shape=other.shape):
                with self.assertRaises(genmodels.InvalidDataError) as cm:
                    m.log_prob(other)
                self.assertIn("1x8x8", str(cm.exception))
                with self.assertRaises(genmodels.InvalidDataError):
                    m.complete(other, np.ones(other.shape, dtype=bool))
        # Flat rows of the right width, and the model's own layout, are accepted.
        np.testing.assert_array_equal(m.log_prob(X.reshape(20, 64)), m.log_prob(X))
        np.testing.assert_array_equal(m.log_prob(X.reshape(20, 8, 8)), m.log_prob(X))  # (h, w): c = 1

    def test_encode_and_decode_are_unsupported_for_closed_forms(self):
        # Their success path is tested once a kind with a latent space (nade, vae) exists.
        m = fitted("bernoulli")
        with self.assertRaises(genmodels.UnsupportedError) as cm:
            m.encode(ALL9[:3])
        self.assertEqual((cm.exception.code, cm.exception.status_name), (2, "GM_UNSUPPORTED"))
        self.assertIn("encode", str(cm.exception))
        with self.assertRaises(genmodels.UnsupportedError):
            m.decode(np.zeros((2, 4), dtype=np.float32))
        with self.assertRaises(genmodels.UnsupportedError):
            m.latent_dim

    def test_save_load_file_and_bytes(self):
        m = fitted("markov", order=2, alpha=0.5)
        path = os.path.join(self.tmp, "m.safetensors")
        m.save(path)
        for other in (genmodels.Model.load(path), genmodels.Model.from_bytes(m.to_bytes()),
                      genmodels.Model.from_bytes(bytearray(m.to_bytes())), pickle.loads(pickle.dumps(m))):
            self.assertEqual(other.kind, "markov")
            self.assertEqual(other.config, m.config)
            np.testing.assert_array_equal(other.log_prob(ALL9), m.log_prob(ALL9))
            np.testing.assert_array_equal(other.sample(50, seed=9), m.sample(50, seed=9))
            self.assertEqual(other.to_bytes(), m.to_bytes())

    def test_every_status_is_an_exception_class(self):
        m = fitted("markov")
        cases = [
            (genmodels.UnknownKindError, lambda: genmodels.Model("markow")),
            (genmodels.InvalidConfigError, lambda: genmodels.Model("markov", ordr=2)),
            (genmodels.InvalidConfigError, lambda: genmodels.Model("bernoulli", alpha=-1)),
            (genmodels.InvalidDataError, lambda: m.log_prob(np.zeros((2, 8)))),  # wrong width
            (genmodels.InvalidDataError, lambda: m.log_prob(np.full((2, 9), 0.5))),  # not binary
            (genmodels.InvalidArgumentError, lambda: m.log_prob(ALL9, threads=-1)),
            (genmodels.InvalidArgumentError, lambda: m.complete(ALL9[:2], np.ones(5))),
            (genmodels.InvalidArgumentError, lambda: m.log_prob(ALL9[:3], y=[0, 1])),  # one label per row
            (genmodels.NotFittedError, lambda: genmodels.Model("bernoulli").sample(1)),
            (genmodels.UnsupportedError, lambda: m.encode(ALL9)),
            (genmodels.IoError, lambda: genmodels.Model.load(os.path.join(self.tmp, "missing"))),
            (genmodels.CorruptFileError, lambda: genmodels.Model.from_bytes(m.to_bytes()[:-20])),
            (genmodels.CancelledError, lambda: genmodels.Model("markov").fit(ALL9, progress=lambda *a: True)),
            (genmodels.InvalidArgumentError, lambda: genmodels.Dataset("nonsense:spec")),
        ]
        for cls, call in cases:
            with self.subTest(cls=cls.__name__), self.assertRaises(cls) as cm:
                call()
            self.assertIsInstance(cm.exception, genmodels.GenmodelsError)
            self.assertEqual(cm.exception.code, cls.code)
            self.assertTrue(cm.exception.message)
        corrupt = os.path.join(self.tmp, "corrupt.safetensors")
        with open(corrupt, "wb") as f:
            f.write(m.to_bytes()[:40])
        with self.assertRaises(genmodels.CorruptFileError):
            genmodels.Model.load(corrupt)
        # The classes cover every status of the header, and input errors are ValueErrors.
        for code, cls in genmodels._ERRORS.items():
            words = _native.lib.gm_status_name(code).decode()[3:].split("_")  # GM_IO_ERROR -> IoError
            self.assertEqual(cls.__name__, "".join(w.capitalize() for w in words).removesuffix("Error") + "Error")
        self.assertEqual(len(genmodels._ERRORS), 14)
        self.assertTrue(issubclass(genmodels.InvalidDataError, ValueError))
        with self.assertRaises(genmodels.GenmodelsError) as cm:
            genmodels._raise(1234, ctypes.c_void_p())  # a status appended later: the base class
        self.assertEqual(cm.exception.code, 1234)

    def test_progress_once_and_cancel(self):
        calls = []
        genmodels.Model("markov").fit(bars().X, progress=lambda *a: calls.append(a))
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][:2], (1, 1))
        self.assertTrue(np.isfinite(calls[0][2]))

        m = genmodels.Model("markov")
        with self.assertRaises(genmodels.CancelledError):
            m.fit(bars().X, progress=lambda step, total, loss: True)
        self.assertFalse(m.is_fitted)

        class Stop(Exception):
            pass

        def boom(*_):
            raise Stop("from the callback")

        with self.assertRaisesRegex(Stop, "from the callback"):
            m.fit(bars().X, progress=boom)
        self.assertFalse(m.is_fitted)

        def interrupt(*_):
            raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):
            m.fit(bars().X, progress=interrupt)

        def ctrl_c(*_):  # a real SIGINT, as Ctrl-C during fit delivers it
            signal.raise_signal(signal.SIGINT)

        # Python's own handler, as in an interactive session: a shell starts background jobs
        # with SIGINT ignored, and then the signal would never reach Python (seen when the test
        # suite was run with `&`).
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with self.assertRaises(KeyboardInterrupt):
                m.fit(bars().X, progress=ctrl_c)
        finally:
            signal.signal(signal.SIGINT, previous)
        self.assertFalse(m.is_fitted)

        def reenter(*_):  # the model is being fitted: using it would be a data race
            m.sample(1)

        with self.assertRaisesRegex(RuntimeError, "progress callback"):
            m.fit(bars().X, progress=reenter)
        m.fit(bars().X)
        self.assertTrue(m.is_fitted)

    @unittest.skipUnless("fvsbn" in [k["kind"] for k in genmodels.kinds()], "no gradient-trained kind")
    def test_progress_of_a_gradient_trained_kind(self):
        calls = []
        genmodels.Model("fvsbn").fit(bars().X, epochs=3, batch_size=7, progress=lambda *a: calls.append(a[:2]))
        self.assertEqual(calls, [(step, 6) for step in range(1, 7)])  # 2 batches x 3 epochs
        with self.assertRaisesRegex(genmodels.CancelledError, "2 of 6"):
            genmodels.Model("fvsbn").fit(bars().X, epochs=3, batch_size=7, progress=lambda step, *_: step >= 2)

    def test_float32_contiguous_input_is_not_copied(self):
        m = fitted("bernoulli")
        seen = []
        real = _native.lib.gm_model_log_prob

        def spy(model, data, *rest):
            seen.append(ctypes.cast(data, ctypes.POINTER(_native.Data)).contents.x)
            return real(model, data, *rest)

        _native.lib.gm_model_log_prob = spy
        try:
            x32 = np.ascontiguousarray(ALL9)
            m.log_prob(x32)
            self.assertEqual(seen[-1], x32.ctypes.data)  # the caller's own memory
            x64 = ALL9.astype(np.float64)
            m.log_prob(x64)
            self.assertNotEqual(seen[-1], x64.ctypes.data)  # converted
            fortran = np.asfortranarray(ALL9)
            m.log_prob(fortran)
            self.assertNotEqual(seen[-1], fortran.ctypes.data)
        finally:
            _native.lib.gm_model_log_prob = real

    def test_dataset_is_a_read_only_view(self):
        ds = bars()
        X = ds.X
        del ds  # the array keeps the data set alive
        self.assertEqual(X.shape, (14, 9))
        self.assertFalse(X.flags.writeable)
        self.assertTrue(np.isin(X, (0, 1)).all())

    def test_eight_threads_agree_with_one(self):
        m = fitted("markov", order=3)
        lp, s = m.log_prob(ALL9), m.sample(300, seed=42)
        results = []

        def work():
            ok = True
            for _ in range(20):
                ok &= np.array_equal(m.log_prob(ALL9), lp) and np.array_equal(m.sample(300, seed=42), s)
            results.append(ok)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [True] * 8)

    def test_close_and_context_manager(self):
        with fitted("bernoulli") as m:
            m.sample(1)
        with self.assertRaises(genmodels.InvalidArgumentError):
            m.sample(1)


def run_python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir(),
                          env=dict(os.environ, **env))


class TestPackaging(unittest.TestCase):
    def test_abi_mismatch_is_a_clear_import_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "fake.c")
            with open(src, "w") as f:
                f.write("int gm_abi_version(void) { return 999; }\n")
            fake = os.path.join(tmp, "libfake.so")
            subprocess.run(["cc", "-shared", "-fPIC", src, "-o", fake], check=True)
            r = run_python(f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r}); import genmodels",
                           GENMODELS_LIBRARY=fake)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("ImportError", r.stderr)
            self.assertIn("ABI version 999", r.stderr)
            r = run_python(f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r}); import genmodels",
                           GENMODELS_LIBRARY=os.path.join(tmp, "missing.so"))
            self.assertIn("set GENMODELS_LIBRARY", r.stderr)

    def test_example_runs(self):
        r = subprocess.run([sys.executable, os.path.join(PACKAGE_ROOT, "examples", "example.py")],
                           capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("round trip identical: True", r.stdout)


if __name__ == "__main__":
    unittest.main()

"""genmodels: generative models over the genmodels C ABI (ctypes + numpy).

    import genmodels
    m = genmodels.Model("markov", order=2)
    m.fit(X)                      # X: (n, d) array of 0/1 values
    lp = m.log_prob(X)            # nats per row
    S = m.sample(10, seed=1)
    m.fit(X64, shape=(1, 8, 8))   # flat rows of 64 values, stored as 1x8x8 images

float32 C-contiguous arrays go to the library without a copy; anything else is converted
once. Every library status is an exception class derived from GenmodelsError. The sample,
log_prob, encode, decode, complete, save and to_bytes methods may run concurrently from many
threads on one model (the GIL is released during the C call); fit waits for them and they
wait for fit.
"""
from __future__ import annotations

import ctypes
import dataclasses
import enum
import json
import numbers
import os
import threading
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import _native
from ._native import ABI_VERSION, lib as _lib

__all__ = [
    "ABI_VERSION", "Capability", "Dataset", "EpochReport", "GenmodelsError", "Model", "build_info",
    "kind_capabilities", "kinds", "text_features", "version", "write_png_grid",
]

#: A fit progress callback: (step, total, loss) -> True to cancel.
ProgressFn = Callable[[int, int, float], Optional[bool]]
#: An image layout: (channels, height, width), or (height, width) for one channel.
Shape = Union[tuple[int, int, int], tuple[int, int], Sequence[int]]

_byref = ctypes.byref
_F32 = np.dtype(np.float32)
_DATA_SIZE = ctypes.sizeof(_native.Data)

# ----------------------------------------------------------------------------- errors


class GenmodelsError(Exception):
    """A failed genmodels call: `code` is the GM_* status, `message` the library's text."""

    code: Optional[int] = None

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def status_name(self) -> str:
        return _lib.gm_status_name(self.code if self.code is not None else -1).decode()


def _error_class(name, code, *bases):
    cls = type(name, (GenmodelsError,) + bases, {"code": code, "__module__": __name__})
    globals()[name] = cls
    __all__.append(name)
    return cls


_ERRORS = {c.code: c for c in (
    _error_class("InvalidArgumentError", 1, ValueError),
    _error_class("UnsupportedError", 2),
    _error_class("BufferTooSmallError", 3),
    _error_class("InvalidDataError", 4, ValueError),
    _error_class("InvalidConfigError", 5, ValueError),
    _error_class("UnknownKindError", 6, ValueError),
    _error_class("NotFittedError", 7),
    _error_class("IoError", 8),
    _error_class("CorruptFileError", 9),
    _error_class("CancelledError", 10),
    _error_class("DivergedError", 11),
    _error_class("OutOfMemoryError", 12),
    _error_class("VersionMismatchError", 13),
    _error_class("InternalError", 99),
)}


def _raise(status, err):
    """Raises the exception of `status`, taking ownership of the gm_error `err`."""
    message = _lib.gm_error_message(err).decode("utf-8", "replace") if err.value else ""
    _lib.gm_error_free(err)
    raise _ERRORS.get(status, GenmodelsError)(message or _lib.gm_status_name(status).decode(), status)


def _check(status, err):
    if status:
        _raise(status, err)


def _require(name):
    if not _native.has(name):
        raise _ERRORS[2](f"{name}: the loaded library ({_native.path}, {version()}) predates it", 2)


# ----------------------------------------------------------------------------- epoch reports


@dataclasses.dataclass(frozen=True)
class EpochReport:
    """What a fit reports after each epoch (gm_epoch_report; Model.fit's on_epoch).

    Losses are mean per-example values: nats (negative log-likelihood or its bound) for
    likelihood kinds; for the GAN family train_loss is discriminator_loss + generator_loss.
    validation_loss is NaN without a validation split; discriminator_loss and generator_loss
    are NaN outside the GAN family.
    """

    epoch: int  #: counts from 1, continuing across warm-started fits
    last_epoch: int  #: the epoch this fit ends at unless it stops early
    train_loss: float
    validation_loss: float
    best_epoch: int  #: the epoch whose parameters a validated fit keeps; else epoch
    discriminator_loss: float
    generator_loss: float
    images_per_second: float
    epoch_seconds: float
    elapsed_seconds: float
    eta_seconds: float
    stopping: bool  #: early stopping ends the fit after this epoch

    @classmethod
    def _from_c(cls, r: _native.EpochReport) -> EpochReport:
        return cls(**{f.name: (bool(r.stopping) if f.name == "stopping" else getattr(r, f.name))
                      for f in dataclasses.fields(cls)})


#: A fit epoch callback: (EpochReport) -> True to cancel.
EpochFn = Callable[[EpochReport], Optional[bool]]

# ----------------------------------------------------------------------------- library


class Capability(enum.IntFlag):
    FIT = 1 << 0
    SAMPLE = 1 << 1
    LOG_PROB = 1 << 2
    ENCODE = 1 << 3
    DECODE = 1 << 4
    COMPLETE = 1 << 5
    TRANSLATE = 1 << 6  # translate: image-to-image kinds (cyclegan, stargan)
    CONDITIONAL = 1 << 7
    BINARY_DATA = 1 << 8
    EXACT_LOG_PROB = 1 << 9
    LEVELS = 1 << 10  # discrete pixels of M levels (Model.levels)
    COMPLETE_FROM_PARTS = 1 << 11  # gm_model_complete_from_parts: whole images from key patches (puzzlegan)


def version() -> str:
    """The loaded library's version, "MAJOR.MINOR.PATCH" (gm_version)."""
    return _lib.gm_version().decode()


__version__: str = version()


def build_info() -> dict[str, Any]:
    return json.loads(_lib.gm_build_info().decode())


def _take_text(buf):
    try:
        return ctypes.string_at(_lib.gm_buffer_data(buf), _lib.gm_buffer_size(buf)).decode()
    finally:
        _lib.gm_buffer_free(buf)


def kinds() -> list[dict[str, Any]]:
    """The kinds this library knows: a list of {"kind", "capabilities", "description"}."""
    buf, err = ctypes.c_void_p(), ctypes.c_void_p()
    _check(_lib.gm_kinds_json(_byref(buf), _byref(err)), err)
    return json.loads(_take_text(buf))


def kind_capabilities(kind: str) -> Capability:
    caps, err = ctypes.c_uint32(), ctypes.c_void_p()
    _check(_lib.gm_kind_capabilities(kind.encode(), _byref(caps), _byref(err)), err)
    return Capability(caps.value)


def text_features(sentence: str, dim: int, version: str = "words-v1") -> np.ndarray:
    """The features of a sentence as a (dim,) float32 vector (gm_text_features_compute_v):
    version "words-v1" (hashed words and bigrams), "subword-v2" (hashed words and character
    3-5-grams) or "subword-ids-v3" (word-piece ids for a learned encoder; dim a multiple of 32).
    A fitted text cgan says which it takes: use Model.text_features for its own."""
    _require("gm_text_features_compute_v")
    out = np.empty(dim, dtype=np.float32)
    err = ctypes.c_void_p()
    _check(_lib.gm_text_features_compute_v(sentence.encode(), version.encode(), dim, out.ctypes.data,
                                           _byref(err)), err)
    return out


def _conditions(C, n):
    """A (n, k) float32 C-contiguous array of condition vectors, one per row."""
    C = np.ascontiguousarray(C, dtype=_F32)
    if C.ndim != 2 or C.shape[0] != n:
        raise _ERRORS[1](f"conditions must be one vector per row, shape ({n}, k); got {C.shape}", 1)
    return C


# ----------------------------------------------------------------------------- data


def _layout(shape: Shape) -> tuple[int, int, int]:
    """(c, h, w) of a shape= argument: three positive integers, or two (h, w) with c = 1."""
    try:
        dims = tuple(int(v) for v in shape)
    except (TypeError, ValueError):
        dims = ()
    if len(dims) == 2:
        dims = (1,) + dims
    if len(dims) != 3 or min(dims) < 1:
        raise _ERRORS[1](f"shape must be (channels, height, width) or (height, width) of positive integers, "
                         f"got {shape!r}", 1)
    return dims


def _set_layout(data: _native.Data, shape: Shape) -> None:
    """Gives the rows of `data` the layout `shape`; refuses one that contradicts X's own image dims."""
    c, h, w = _layout(shape)
    if c * h * w != data.d:
        raise _ERRORS[1](f"shape {(c, h, w)} holds {c * h * w} values but the rows of X have d = {data.d}: "
                         "channels * height * width must equal d", 1)
    own = (data.channels, data.height, data.width)
    if data.width and own != (c, h, w):
        raise _ERRORS[1](f"shape {(c, h, w)} contradicts X's own image layout {own}: drop shape=, or reshape X "
                         f"to (n, {data.d})", 1)
    data.channels, data.height, data.width = c, h, w


def _rows(X, y=None, num_classes=None, levels=None, conditions=None):
    """A gm_data over X (float32, C-contiguous: passed as is, else converted once).

    X is (n, d), (d,) for one row, (n, h, w) or (n, c, h, w) images; levels states the
    level count M of discrete pixels (None: not stated); conditions is one vector per row
    (n, k) for kinds conditioned on vectors or sentences. Returns (data, X).
    """
    if type(X) is not np.ndarray or X.dtype != _F32 or not X.flags.c_contiguous:
        X = np.ascontiguousarray(X, dtype=_F32)
    data = _native.Data(_DATA_SIZE, X.ctypes.data)
    shape = X.shape
    if len(shape) == 2:
        data.n, data.d = shape
    elif len(shape) == 1:
        data.n, data.d = 1, shape[0]
    elif len(shape) in (3, 4):
        c, h, w = (1,) + shape[1:] if len(shape) == 3 else shape[1:]
        data.n, data.d, data.channels, data.height, data.width = shape[0], c * h * w, c, h, w
    else:
        raise _ERRORS[1](f"X must have 1 to 4 dimensions, got shape {shape}", 1)
    if y is not None:
        y = np.ascontiguousarray(y, dtype=np.int32)
        if y.shape != (data.n,):
            raise _ERRORS[1](f"y must hold one label per row ({data.n}), got shape {y.shape}", 1)
        data.labels = y.ctypes.data
        data.num_classes = num_classes if num_classes is not None else (int(y.max()) + 1 if y.size else 0)
        data._keep = y  # the labels live as long as the view
    if levels is not None:
        data.levels = levels
    if conditions is not None:
        C = _conditions(conditions, data.n)
        data.conditions, data.condition_dim = C.ctypes.data, C.shape[1]
        data._keep_conditions = C  # lives as long as the view
    return data, X


def _sample_options(seed, threads, y=None, stage=0, conditions=None, n=0, truncation=0.0):
    if not seed and not threads and y is None and not stage and conditions is None and not truncation:
        return None, None
    o = _native.SampleOptions.from_buffer_copy(_native.SAMPLE_DEFAULTS)
    o.seed, o.threads, o.stage, o.truncation = seed, threads, stage, truncation
    if y is not None:
        y = np.ascontiguousarray(y, dtype=np.int32)
        o.labels = y.ctypes.data
    if conditions is not None:
        conditions = _conditions(conditions, n)
        o.conditions, o.condition_dim = conditions.ctypes.data, conditions.shape[1]
    return _byref(o), (o, y, conditions)


def _score_options(seed, threads, samples):
    if not seed and not threads and not samples:
        return None
    o = _native.ScoreOptions.from_buffer_copy(_native.SCORE_DEFAULTS)
    o.seed, o.threads, o.samples = seed, threads, samples
    return _byref(o)


class _RWLock:
    """Many readers (inference) or one writer (fit, close): the C ABI's thread-safety rule."""

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = None

    def acquire_read(self):
        with self._cond:
            while self._writer is not None:
                if self._writer == threading.get_ident():
                    raise RuntimeError("genmodels: a model cannot be used from its own fit progress callback or on_epoch callback")
                self._cond.wait()
            self._readers += 1

    def release_read(self):
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    def acquire_write(self):
        with self._cond:
            while self._writer is not None or self._readers:
                if self._writer == threading.get_ident():
                    raise RuntimeError("genmodels: a model cannot be used from its own fit progress callback or on_epoch callback")
                self._cond.wait()
            self._writer = threading.get_ident()

    def release_write(self):
        with self._cond:
            self._writer = None
            self._cond.notify_all()


# ----------------------------------------------------------------------------- models


class Model:
    """A generative model of one kind ("bernoulli", "markov", ...) and its hyper-parameters."""

    def __init__(self, kind: str, **config: Any) -> None:
        handle, err = ctypes.c_void_p(), ctypes.c_void_p()
        cfg = json.dumps(config).encode() if config else None
        self._lock = _RWLock()
        self._h = None
        _check(_lib.gm_model_create(kind.encode(), cfg, _byref(handle), _byref(err)), err)
        self._h = handle.value

    @classmethod
    def _adopt(cls, handle):
        m = cls.__new__(cls)
        m._lock, m._h = _RWLock(), handle.value
        return m

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> Model:
        """A model from a file written by save (any safetensors file genmodels wrote)."""
        handle, err = ctypes.c_void_p(), ctypes.c_void_p()
        _check(_lib.gm_model_load(os.fsencode(path), _byref(handle), _byref(err)), err)
        return cls._adopt(handle)

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> Model:
        """A model from the bytes of to_bytes."""
        data = bytes(data)
        handle, err = ctypes.c_void_p(), ctypes.c_void_p()
        _check(_lib.gm_model_load_buffer(data, len(data), _byref(handle), _byref(err)), err)
        return cls._adopt(handle)

    def close(self) -> None:
        """Frees the model now (also done when it is garbage-collected)."""
        if getattr(self, "_h", None) is None:
            return
        self._lock.acquire_write()
        try:
            _lib.gm_model_free(self._h)
            self._h = None
        finally:
            self._lock.release_write()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __reduce__(self):  # pickle and copy through the model file format
        return (Model.from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        return f"<genmodels.Model {self.kind!r} {'fitted' if self._h and self.is_fitted else 'not fitted'}>"

    # -- queries

    def _query(self, fn, ctype):
        out, err = ctype(), ctypes.c_void_p()
        _check(fn(self._h, _byref(out), _byref(err)), err)
        return out.value

    @property
    def kind(self) -> Optional[str]:
        k = _lib.gm_model_kind(self._h)
        return k.decode() if k else None

    @property
    def capabilities(self) -> Capability:
        return Capability(self._query(_lib.gm_model_capabilities, ctypes.c_uint32))

    @property
    def config(self) -> dict[str, Any]:
        """The effective hyper-parameters, defaults filled in."""
        buf = self._query(_lib.gm_model_config_json, ctypes.c_void_p)
        return json.loads(_take_text(buf))

    @property
    def is_fitted(self) -> bool:
        return bool(self._query(_lib.gm_model_is_fitted, ctypes.c_int32))

    @property
    def data_shape(self) -> tuple[int, int, int, int]:
        """(d, channels, height, width) of the data the model was fitted on (0s if not images).

        The layout comes from X's image dims or fit's shape=; it is saved with the model, and
        log_prob, encode and complete refuse image arrays of another layout (flat rows of d
        values are always accepted)."""
        v, err = [ctypes.c_int64() for _ in range(4)], ctypes.c_void_p()
        _check(_lib.gm_model_data_shape(self._h, *map(_byref, v), _byref(err)), err)
        return tuple(x.value for x in v)

    @property
    def levels(self) -> int:
        """The level count M of the model's pixels (gm_model_levels): M for kinds with "levels" in
        their capabilities (2 before a fit), 2 for binary kinds, 0 for kinds of real values.
        Samples of a discrete kind are the integers 0..M-1 as floats."""
        _require("gm_model_levels")
        return self._query(_lib.gm_model_levels, ctypes.c_int64)

    @property
    def condition(self) -> tuple[str, int]:
        """What the model is conditioned on (gm_model_condition): ("none", 0), ("label", number
        of classes), ("vector", width) or ("text", width); the size is 0 until fit fixes it."""
        kind, dim, err = ctypes.c_int32(), ctypes.c_int64(), ctypes.c_void_p()
        _check(_lib.gm_model_condition(self._h, _byref(kind), _byref(dim), _byref(err)), err)
        names = ("none", "label", "vector", "text")
        return (names[kind.value] if 0 <= kind.value < len(names) else f"condition {kind.value}"), dim.value

    @property
    def encode_dim(self) -> int:
        return self._query(_lib.gm_model_encode_dim, ctypes.c_int64)

    @property
    def latent_dim(self) -> int:
        return self._query(_lib.gm_model_latent_dim, ctypes.c_int64)

    # -- fit

    def fit(self, X: npt.ArrayLike, y: Optional[npt.ArrayLike] = None, *, epochs: Optional[int] = None,
            batch_size: Optional[int] = None, lr: Optional[float] = None, seed: Optional[int] = None,
            threads: Optional[int] = None, progress: Optional[ProgressFn] = None,
            num_classes: Optional[int] = None, validation_fraction: Optional[float] = None,
            patience: Optional[int] = None, shape: Optional[Shape] = None, on_epoch: Optional[EpochFn] = None,
            warm_start: bool = False, checkpoint_every: int = 0,
            checkpoint_path: Union[str, os.PathLike, None] = None, levels: Optional[int] = None,
            conditions: Optional[npt.ArrayLike] = None) -> Model:
        """Fits on X (and labels y, or condition vectors conditions (n, k), for conditional
        kinds: a cgan with "condition" "vector" or "text"; for text, the rows of
        text_features(sentence, k, version) with the model's "text_features" version). Returns self.

        shape=(c, h, w) or (h, w) gives flat (n, d) rows an image layout (c*h*w must be d),
        which the model keeps (PNG grids, convolutional kinds, the layout check of the other
        verbs); image arrays (n, h, w) / (n, c, h, w) carry theirs already, and a shape that
        contradicts it is an InvalidArgumentError (a ValueError).

        progress(step, total, loss) is called on this thread; returning True stops fit with
        CancelledError, and an exception it raises (KeyboardInterrupt too) stops fit and is
        re-raised here. A stopped first fit keeps the model's last good parameters; a stopped
        refit leaves the model as it was before the call (closed-form kinds: always).

        on_epoch(report) is called on this thread after every epoch of a gradient-trained kind
        (once for the closed-form kinds) with an EpochReport; returning True cancels and an
        exception it raises is re-raised here, as with progress.

        warm_start=True continues from the model's current state when it is fitted: gradient
        kinds train `epochs` more epochs (a model fitted or loaded from a checkpoint in this
        process also resumes its optimiser, so 1 + 1 epochs equal 2 epochs with the same
        seed); bernoulli and markov add the new rows' counts (partial fit). The rows must
        have the width the model was fitted on.

        checkpoint_every=N with checkpoint_path writes a checkpoint (see save_checkpoint)
        every N epochs and after the last, atomically replacing the previous one.

        levels=M states that X holds discrete pixels, the integers 0..M-1 (M in [2, 256]; see
        Dataset(levels=) to quantise images, and docs/levels.md). Kinds with "levels" in their
        capabilities keep M (the levels property); not stated means 2 on a first fit and the
        model's own M on a warm start.
        """
        data, X = _rows(X, y, num_classes, levels, conditions)
        if shape is not None:
            _set_layout(data, shape)
        o = _native.FitOptions.from_buffer_copy(_native.FIT_DEFAULTS)
        for field, value in (("epochs", epochs), ("batch_size", batch_size), ("learning_rate", lr),
                             ("seed", seed), ("threads", threads),
                             ("validation_fraction", validation_fraction), ("patience", patience)):
            if value is not None:
                setattr(o, field, value)
        o.warm_start = 1 if warm_start else 0
        o.checkpoint_every = checkpoint_every
        if checkpoint_path is not None:
            o.checkpoint_path = os.fsencode(checkpoint_path)  # lives in `o` until fit returns
        raised = []

        def trampoline(step, total, loss, _user):
            # Always installed, so Ctrl-C is seen at the next step even without `progress`.
            try:
                return 1 if progress is not None and progress(step, total, loss) else 0
            except BaseException as e:  # noqa: B902 — KeyboardInterrupt must stop fit too
                raised.append(e)
                return 1

        o.progress = _native.PROGRESS(trampoline)
        if on_epoch is not None:
            def epoch_trampoline(report, _user):
                try:
                    return 1 if on_epoch(EpochReport._from_c(report.contents)) else 0
                except BaseException as e:  # noqa: B902 — never across the C boundary
                    raised.append(e)
                    return 1

            o.epoch_callback = _native.EPOCH(epoch_trampoline)
        err = ctypes.c_void_p()
        self._lock.acquire_write()
        try:
            status = _lib.gm_model_fit(self._h, _byref(data), _byref(o), _byref(err))
        finally:
            self._lock.release_write()
        if raised:
            _lib.gm_error_free(err)
            raise raised[0]
        _check(status, err)
        return self

    # -- inference (concurrent-safe)

    def _call(self, fn, *args):
        err = ctypes.c_void_p()
        self._lock.acquire_read()
        try:
            status = fn(self._h, *args, _byref(err))
        finally:
            self._lock.release_read()
        if status:
            _raise(status, err)

    def sample(self, n: int, *, seed: int = 0, threads: int = 0, y: Optional[npt.ArrayLike] = None,
               stage: int = 0, conditions: Optional[npt.ArrayLike] = None, truncation: float = 0.0) -> np.ndarray:
        """n draws as an (n, d) float32 array; the same seed gives the same draws.

        y: one label per draw, or conditions: one vector per draw (n, k), for conditional kinds
        (a text cgan: rows of Model.text_features). stage (progan): draw at growth stage 1 (the
        lowest resolution) ... the model's own, upsampled to full size; 0 = the current stage.
        truncation (kinds with a Gaussian latent): draw each latent coordinate from the normal
        conditioned on |z| <= truncation; 0 = the full normal."""
        d = self.data_shape[0]
        out = np.empty((n, d), dtype=np.float32)
        opts, _keep = _sample_options(seed, threads, y, stage, conditions, n, truncation)
        self._call(_lib.gm_model_sample, n, opts, out.ctypes.data, out.size)
        return out

    def log_prob(self, X: npt.ArrayLike, *, y: Optional[npt.ArrayLike] = None, seed: int = 0, threads: int = 0,
                 samples: int = 0, levels: Optional[int] = None) -> np.ndarray:
        """log p(x) in nats for each row of X, as a float64 array.

        Images of another layout than the model's are an InvalidDataError (see data_shape), and
        so is a stated level count other than the model's (levels=; None: the model's own)."""
        data, X = _rows(X, y, levels=levels)
        out = np.empty(data.n, dtype=np.float64)
        self._call(_lib.gm_model_log_prob, _byref(data), _score_options(seed, threads, samples),
                   out.ctypes.data, data.n)
        return out

    def encode(self, X: npt.ArrayLike, *, seed: int = 0, threads: int = 0, samples: int = 0) -> np.ndarray:
        """Features of each row: an (n, encode_dim) float32 array."""
        data, X = _rows(X)
        out = np.empty((data.n, self.encode_dim), dtype=np.float32)
        self._call(_lib.gm_model_encode, _byref(data), _score_options(seed, threads, samples),
                   out.ctypes.data, out.size)
        return out

    def decode(self, Z: npt.ArrayLike, *, seed: int = 0, threads: int = 0,
               y: Optional[npt.ArrayLike] = None, stage: int = 0) -> np.ndarray:
        """Latent codes (n, latent_dim) to an (n, d) float32 array (stage: as in sample)."""
        data, Z = _rows(Z)
        out = np.empty((data.n, self.data_shape[0]), dtype=np.float32)
        opts, _keep = _sample_options(seed, threads, y, stage)
        self._call(_lib.gm_model_decode, _byref(data), opts, out.ctypes.data, out.size)
        return out

    def complete(self, X: npt.ArrayLike, mask: Optional[npt.ArrayLike] = None, *, seed: int = 0, threads: int = 0,
                 y: Optional[npt.ArrayLike] = None, levels: Optional[int] = None) -> np.ndarray:
        """X with its unobserved entries drawn from the model (same shape as X).

        mask is True/nonzero where X is observed; None means "observed where X is not NaN".
        """
        data, X = _rows(X, levels=levels)
        if mask is None:
            mask = ~np.isnan(X)
        mask = np.asarray(mask)
        if mask.dtype == np.bool_ and mask.flags.c_contiguous:
            mask = mask.view(np.uint8)
        else:
            mask = np.ascontiguousarray(mask != 0, dtype=np.uint8)
        if mask.size != X.size:
            raise _ERRORS[1](f"mask has {mask.size} entries, X has {X.size}", 1)
        out = np.empty(X.shape, dtype=np.float32)
        opts, _keep = _sample_options(seed, threads, y)
        self._call(_lib.gm_model_complete, _byref(data), mask.ctypes.data, opts, out.ctypes.data, out.size)
        return out

    def complete_from_parts(self, patches: npt.ArrayLike, positions: npt.ArrayLike, *, seed: int = 0,
                            threads: int = 0, truncation: float = 0.0) -> np.ndarray:
        """Whole images generated from k key patches each (puzzlegan; gm_model_complete_from_parts),
        as an (n, d) float32 array.

        patches: (n, k, P, P) grey, (n, k, C, P, P) or (n, k, C * P * P) values in [0, 1], P the
        model's "patch_size"; positions: (n, k, 2) integers, the (top, left) of each patch in its
        image. The same seed gives the same images on any thread count. truncation: as in sample."""
        _require("gm_model_complete_from_parts")
        patches = np.asarray(patches, dtype=_F32)
        if patches.ndim not in (3, 4, 5):
            raise _ERRORS[1](f"patches must be (n, k, ...) with 3 to 5 dimensions, got shape {patches.shape}", 1)
        n, k = patches.shape[:2]
        positions = np.ascontiguousarray(positions, dtype=np.int64)
        if positions.shape != (n, k, 2):
            raise _ERRORS[1](f"positions has shape {positions.shape}; give (top, left) per patch: ({n}, {k}, 2)", 1)
        data, patches = _rows(patches.reshape((n * k,) + patches.shape[2:]))
        out = np.empty((n, self.data_shape[0]), dtype=np.float32)
        opts, _keep = _sample_options(seed, threads, truncation=truncation)
        self._call(_lib.gm_model_complete_from_parts, _byref(data), positions.ctypes.data, k, opts,
                   out.ctypes.data, out.size)
        return out

    def text_features(self, sentence: str) -> np.ndarray:
        """A sentence as this text cgan's condition vector (gm_model_text_features): its own
        feature version and width. UnsupportedError for a model not conditioned on text."""
        _require("gm_model_text_features")
        out = np.empty(max(self.condition[1], 1), dtype=np.float32)
        self._call(_lib.gm_model_text_features, sentence.encode(), out.ctypes.data)
        return out

    @property
    def domains(self) -> list[str]:
        """The domain names of a translating model (cyclegan: ["a", "b"]), in index order
        (gm_model_domains_json); UnsupportedError for kinds that do not translate."""
        _require("gm_model_domains_json")
        buf = self._query(_lib.gm_model_domains_json, ctypes.c_void_p)
        return json.loads(_take_text(buf))

    def translate(self, X: npt.ArrayLike, to: Union[int, str, npt.ArrayLike], *, seed: int = 0,
                  threads: int = 0) -> np.ndarray:
        """X's images translated to domain `to` (same shape as X, float32): a domain name (see
        domains), an index, or one index per row (gm_model_translate)."""
        _require("gm_model_translate")
        data, X = _rows(X)
        o = _native.TranslateOptions.from_buffer_copy(_native.TRANSLATE_DEFAULTS)
        o.seed, o.threads = seed, threads
        per_row = None
        if isinstance(to, str):
            o.domain_name = to.encode()
        elif isinstance(to, numbers.Integral) and not isinstance(to, bool):
            o.domain = int(to)
        else:
            per_row = np.ascontiguousarray(to, dtype=np.int32)
            if per_row.shape != (data.n,):
                raise _ERRORS[1](f"to has shape {per_row.shape}; give one domain per row ({data.n},)", 1)
            o.domains = per_row.ctypes.data
        out = np.empty(X.shape, dtype=np.float32)
        self._call(_lib.gm_model_translate, _byref(data), _byref(o), out.ctypes.data, out.size)
        return out

    # -- files

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the model as a safetensors file (atomically)."""
        self._call(_lib.gm_model_save, os.fsencode(path))

    def save_checkpoint(self, path: Union[str, os.PathLike]) -> None:
        """Writes a checkpoint: the model file plus the training state of a gradient-trained kind
        (optimiser moments, epoch and step counters, shuffle order), atomically.

        Model.load opens it; fit(..., warm_start=True) on the loaded model then resumes exactly
        where the checkpoint was written. UnsupportedError for the closed-form kinds (their
        model file is their whole state); NotFittedError without training state (a model never
        fitted in this process, or loaded from a plain model file)."""
        _require("gm_model_save_checkpoint")
        self._call(_lib.gm_model_save_checkpoint, os.fsencode(path))

    def training_progress(self) -> tuple[int, int]:
        """(epochs_done, epochs_planned): the epochs trained so far (0 without training state)
        and the epoch the last fit was asked to reach."""
        _require("gm_model_training_progress")
        done, planned = ctypes.c_int64(), ctypes.c_int64()
        self._call(_lib.gm_model_training_progress, _byref(done), _byref(planned))
        return done.value, planned.value

    def to_bytes(self) -> bytes:
        """The model file as bytes."""
        buf = ctypes.c_void_p()
        self._call(_lib.gm_model_save_buffer, _byref(buf))
        try:
            return ctypes.string_at(_lib.gm_buffer_data(buf), _lib.gm_buffer_size(buf))
        finally:
            _lib.gm_buffer_free(buf)


# ----------------------------------------------------------------------------- data sets


class _DatasetHandle:
    def __init__(self, handle):
        self.h = handle

    def __del__(self):
        try:
            _lib.gm_dataset_free(self.h)
        except Exception:  # interpreter shutdown
            pass


class Dataset:
    """A data set the library loads (see gm_dataset_load for specs), e.g.
    Dataset("builtin:bars-and-stripes:3"), Dataset("fashion-mnist:train", binarize=0.5),
    Dataset("fashion-mnist:train", levels=256) (pixels as the integers 0..255; levels is then
    the level count, pass it to fit(levels=...)).

    X is an (n, d) read-only float32 view of the library's memory (no copy; it keeps the
    data set alive), y the labels or None, image_shape (channels, height, width) or None,
    and images is X as (n, c, h, w).
    """

    X: np.ndarray
    y: Optional[np.ndarray]
    num_classes: int
    image_shape: Optional[tuple[int, int, int]]
    levels: int

    def __init__(self, spec: str, *, binarize: Optional[float] = None, max_examples: int = 0,
                 levels: Optional[int] = None) -> None:
        o = _native.DatasetOptions.from_buffer_copy(_native.DATASET_DEFAULTS)
        if binarize is not None:
            o.binarize = binarize
        o.max_examples = max_examples
        if levels is not None:
            o.levels = levels
        handle, err = ctypes.c_void_p(), ctypes.c_void_p()
        _check(_lib.gm_dataset_load(spec.encode(), _byref(o), _byref(handle), _byref(err)), err)
        owner = _DatasetHandle(handle.value)
        v = _native.Data()
        _check(_lib.gm_dataset_view_sized(owner.h, _byref(v), ctypes.sizeof(v), _byref(err)), err)
        self.X = _borrowed(owner, v.x, ctypes.c_float, (v.n, v.d))
        self.y = _borrowed(owner, v.labels, ctypes.c_int32, (v.n,)) if v.labels else None
        self.num_classes = v.num_classes
        self.image_shape = (v.channels, v.height, v.width) if v.width else None
        self.levels = v.levels  # 0 when the values are kept as loaded

    @property
    def images(self) -> np.ndarray:
        return self.X.reshape((len(self.X),) + self.image_shape) if self.image_shape else self.X

    def __len__(self) -> int:
        return len(self.X)


def _borrowed(owner, address, ctype, shape):
    """A read-only numpy view of library memory that keeps `owner` alive."""
    size = int(np.prod(shape))
    if size == 0:
        return np.empty(shape, dtype=np.dtype(ctype))
    raw = (ctype * size).from_address(address)
    raw._owner = owner
    a = np.frombuffer(raw, dtype=np.dtype(ctype)).reshape(shape)
    a.flags.writeable = False
    return a


def write_png_grid(path: Union[str, os.PathLike], images: npt.ArrayLike, columns: int = 0,
                   levels: Optional[int] = None) -> None:
    """Writes images ((n, h, w) or (n, c, h, w), values in [0, 1]) as one PNG grid; with
    levels=M the values are the levels 0..M-1 (a discrete model's samples)."""
    data, images = _rows(images, levels=levels)
    err = ctypes.c_void_p()
    _check(_lib.gm_png_grid_write(os.fsencode(path), _byref(data), columns, _byref(err)), err)

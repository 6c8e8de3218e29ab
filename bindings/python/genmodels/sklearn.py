"""scikit-learn estimators over genmodels, following its density models (KernelDensity,
GaussianMixture, BernoulliRBM):

    from genmodels.sklearn import NADE, MarkovDensity
    from sklearn.model_selection import GridSearchCV
    search = GridSearchCV(MarkovDensity(), {"order": [1, 2, 4]}, cv=3).fit(X)   # X: (n, d) of 0/1
    search.best_estimator_.score_samples(X)     # log-density in nats per row
    NADE(hidden=32, epochs=20, random_state=0).fit(X).sample(5, random_state=1)

Constructor keyword arguments are the hyper-parameters: the kind's configuration keys that
matter (None = the library's default) and the fit options. `fit(X, y=None)`, `score_samples(X)`
(log p(x) in nats), `score(X)` (their mean, as GaussianMixture's score), `sample(n_samples=1,
random_state=None)` (an (n_samples, d) array, as KernelDensity's), `transform(X)` for kinds that
encode (nade: hidden units; vae: (mu, log sigma^2)), `partial_fit(X)` for the kinds that
accumulate counts (bernoulli, categorical, markov: a warm-start fit, so chunk by chunk equals one fit).

`GenerativeModel(kind=..., config={...})` takes any kind; `BernoulliDensity`, `MarkovDensity`,
`CategoricalDensity`, `FVSBN`, `NADE`, `PixelCNN` and `VAE` name their keys. Binary kinds need 0/1
data: `binarize=t` maps values >= t to 1 and the rest to 0 first (as gm_dataset_load's
binarize). `levels=M` states that X holds discrete pixels, the integers 0..M-1 (M in [2, 256]),
for the kinds with Capability.LEVELS (categorical, markov, fvsbn, nade, pixelcnn; Model.fit's
levels=, docs/levels.md); it is passed to every fit and score. After fit:
`model_` (a genmodels.Model), `n_features_in_`, `loss_curve_` (mean training loss per epoch),
`validation_loss_curve_` (NaN without validation_fraction) and `n_epochs_` (epochs trained, over
warm starts).

random_state: an int is the library's seed as is (random_state=7 fits as Model.fit(seed=7));
a numpy RandomState, or None (numpy's global one), draws the seed.

Importing this module imports scikit-learn; `import genmodels` does not.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from . import Capability, Model, kind_capabilities

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # Debian 12's 1.2: the BaseEstimator method
    def _validate_data(estimator, X, reset=True, **kw):
        return estimator._validate_data(X, reset=reset, **kw)

__all__ = ["GenerativeModel", "BernoulliDensity", "CategoricalDensity", "MarkovDensity", "FVSBN", "NADE", "PixelCNN",
           "VAE"]

#: The kinds whose warm-start fit adds counts (partial_fit).
ACCUMULATING_KINDS = frozenset({"bernoulli", "categorical", "markov"})

_SEED_LIMIT = 2**31 - 1


def _seed(random_state) -> int:
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, a RandomState or None, got {random_state}")
        return int(random_state)
    return int(check_random_state(random_state).randint(_SEED_LIMIT))


class GenerativeModel(DensityMixin, BaseEstimator):
    """A genmodels model of any kind as a scikit-learn density estimator.

    kind: the genmodels kind ("bernoulli", "markov", "fvsbn", "nade", "vae", ...).
    config: its configuration keys (a dict; None = all defaults).
    epochs, batch_size, learning_rate, threads, validation_fraction, patience: Model.fit's
        options (None = the library's default; the closed-form kinds ignore the training ones).
    random_state: the fit seed (see the module's documentation).
    warm_start: fit continues from the fitted model (gradient kinds: `epochs` more epochs;
        bernoulli/markov: adds the counts), as scikit-learn's warm_start.
    binarize: None, or t: values >= t become 1, the rest 0, before every call.
    verbose: > 0 prints one line per epoch.
    levels: None, or M: X holds the integers 0..M-1 (kinds with Capability.LEVELS).
    """

    def __init__(self, kind: str = "bernoulli", config: Optional[dict[str, Any]] = None, *,
                 epochs: Optional[int] = None, batch_size: Optional[int] = None,
                 learning_rate: Optional[float] = None, random_state=None, threads: Optional[int] = None,
                 validation_fraction: Optional[float] = None, patience: Optional[int] = None,
                 warm_start: bool = False, binarize: Optional[float] = None, verbose: int = 0,
                 levels: Optional[int] = None) -> None:
        self.kind = kind
        self.config = config
        self.levels = levels
        self._training(epochs, batch_size, learning_rate, random_state, threads, validation_fraction, patience,
                       warm_start, binarize, verbose)

    # -- what the named classes override

    def _training(self, epochs, batch_size, learning_rate, random_state, threads, validation_fraction, patience,
                  warm_start, binarize, verbose) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.threads = threads
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.warm_start = warm_start
        self.binarize = binarize
        self.verbose = verbose

    def _kind(self) -> str:
        return self.kind

    def _config(self) -> dict[str, Any]:
        return dict(self.config or {})

    # -- helpers

    def _capabilities(self) -> Capability:
        return kind_capabilities(self._kind())

    def _rows(self, X, reset: bool) -> np.ndarray:
        X = _validate_data(self, X, reset=reset, dtype=[np.float32, np.float64])
        binarize = getattr(self, "binarize", None)
        if binarize is not None:
            return self._layout((X >= binarize).astype(np.float32))
        return self._layout(np.ascontiguousarray(X, dtype=np.float32))

    def _layout(self, X: np.ndarray) -> np.ndarray:
        """The array Model gets: the (n, d) rows, or images for kinds that need a layout."""
        return X

    def _levels(self) -> Optional[int]:
        return getattr(self, "levels", None)

    def _fit_options(self) -> dict[str, Any]:
        names = ("epochs", "batch_size", "threads", "validation_fraction", "patience")
        options = {name: getattr(self, name, None) for name in names}
        options["lr"] = getattr(self, "learning_rate", None)
        return {k: v for k, v in options.items() if v is not None}

    def _fit(self, X, warm: bool) -> GenerativeModel:
        warm = warm and hasattr(self, "model_")
        X = self._rows(X, reset=not warm)
        model = self.model_ if warm else Model(self._kind(), **self._config())
        losses, validation = [], []
        verbose = getattr(self, "verbose", 0)

        def on_epoch(report):
            losses.append(report.train_loss)
            validation.append(report.validation_loss)
            if verbose:
                print(f"[{type(self).__name__}] epoch {report.epoch}/{report.last_epoch}: "
                      f"train loss {report.train_loss:.4f}, validation loss {report.validation_loss:.4f}, "
                      f"{report.elapsed_seconds:.1f} s", flush=True)

        model.fit(X, seed=_seed(self.random_state), warm_start=warm, on_epoch=on_epoch, levels=self._levels(),
                  **self._fit_options())
        self.model_ = model
        self.loss_curve_ = (self.loss_curve_ if warm else []) + losses
        self.validation_loss_curve_ = (self.validation_loss_curve_ if warm else []) + validation
        self.n_epochs_ = (self.n_epochs_ if warm else 0) + len(losses)
        return self

    # -- the estimator

    def fit(self, X, y=None) -> GenerativeModel:
        """Fits on the rows of X (n_samples, n_features); y is ignored. Returns self."""
        return self._fit(X, warm=bool(getattr(self, "warm_start", False)))

    def _can_partial_fit(self) -> bool:
        return self._kind() in ACCUMULATING_KINDS

    @available_if(_can_partial_fit)
    def partial_fit(self, X, y=None) -> GenerativeModel:
        """Adds the counts of X's rows (bernoulli, markov): fitting chunk by chunk equals one fit."""
        return self._fit(X, warm=True)

    def _can_score(self) -> bool:
        return Capability.LOG_PROB in self._capabilities()

    @available_if(_can_score)
    def score_samples(self, X) -> np.ndarray:
        """log p(x) in nats for each row of X (float64, shape (n_samples,))."""
        check_is_fitted(self, "model_")
        return self.model_.log_prob(self._rows(X, reset=False), levels=self._levels())

    @available_if(_can_score)
    def score(self, X, y=None) -> float:
        """The mean log-density of X's rows in nats (higher is better; GridSearchCV's default)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """n_samples draws as an (n_samples, n_features) float32 array."""
        check_is_fitted(self, "model_")
        return self.model_.sample(int(n_samples), seed=_seed(random_state))

    def _can_encode(self) -> bool:
        return Capability.ENCODE in self._capabilities()

    @available_if(_can_encode)
    def transform(self, X) -> np.ndarray:
        """Features of each row: (n_samples, encode_dim) (nade: hidden units; vae: (mu, log sigma^2))."""
        check_is_fitted(self, "model_")
        return self.model_.encode(self._rows(X, reset=False))

    @available_if(_can_encode)
    def fit_transform(self, X, y=None) -> np.ndarray:
        """fit(X), then transform(X)."""
        return self.fit(X).transform(X)

    def _more_tags(self):
        return {"preserves_dtype": [np.float32]}  # transform returns float32 whatever X was


class _Named(GenerativeModel):
    """A GenerativeModel of a fixed kind whose configuration keys are constructor arguments."""

    _KIND = ""
    _KEYS: tuple[str, ...] = ()

    def _kind(self) -> str:
        return self._KIND

    def _config(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._KEYS if getattr(self, k) is not None}


class BernoulliDensity(_Named):
    """Independent pixels (kind "bernoulli"): alpha is the Beta(alpha, alpha) prior (default 1).
    Closed form: one pass, no epochs; partial_fit adds counts."""

    _KIND, _KEYS = "bernoulli", ("alpha",)

    def __init__(self, alpha: Optional[float] = None, *, random_state=None, threads: Optional[int] = None,
                 warm_start: bool = False, binarize: Optional[float] = None) -> None:
        self.alpha = alpha
        self.random_state = random_state
        self.threads = threads
        self.warm_start = warm_start
        self.binarize = binarize


class MarkovDensity(_Named):
    """An order-k chain along the raster order (kind "markov"): order 1..12 (default 1), alpha as
    BernoulliDensity, tied=True for one transition table shared by all positions. Closed form;
    partial_fit adds counts."""

    _KIND, _KEYS = "markov", ("order", "alpha", "tied")

    def __init__(self, order: Optional[int] = None, alpha: Optional[float] = None, *, tied: Optional[bool] = None,
                 random_state=None, threads: Optional[int] = None, warm_start: bool = False,
                 binarize: Optional[float] = None, levels: Optional[int] = None) -> None:
        self.order = order
        self.alpha = alpha
        self.tied = tied
        self.random_state = random_state
        self.threads = threads
        self.warm_start = warm_start
        self.binarize = binarize
        self.levels = levels


class CategoricalDensity(_Named):
    """Independent pixels of M levels (kind "categorical"): alpha is the Dirichlet(alpha, ...,
    alpha) prior (default 1); give levels=M. Closed form; partial_fit adds counts."""

    _KIND, _KEYS = "categorical", ("alpha",)

    def __init__(self, alpha: Optional[float] = None, *, levels: Optional[int] = None, random_state=None,
                 threads: Optional[int] = None, warm_start: bool = False) -> None:
        self.alpha = alpha
        self.levels = levels
        self.random_state = random_state
        self.threads = threads
        self.warm_start = warm_start


class _Trained(_Named):
    """The gradient-trained kinds: their __init__s take the fit options (see _training)."""


class FVSBN(_Trained):
    """A fully visible sigmoid belief net (kind "fvsbn"), trained with Adam."""

    _KIND, _KEYS = "fvsbn", ("weight_decay",)

    def __init__(self, weight_decay: Optional[float] = None, *, epochs: Optional[int] = None,
                 batch_size: Optional[int] = None, learning_rate: Optional[float] = None, random_state=None,
                 threads: Optional[int] = None, validation_fraction: Optional[float] = None,
                 patience: Optional[int] = None, warm_start: bool = False, binarize: Optional[float] = None,
                 verbose: int = 0, levels: Optional[int] = None) -> None:
        self.weight_decay = weight_decay
        self.levels = levels
        self._training(epochs, batch_size, learning_rate, random_state, threads, validation_fraction, patience,
                       warm_start, binarize, verbose)


class NADE(_Trained):
    """NADE (kind "nade") with `hidden` sigmoid units (default 500); transform gives h(x)."""

    _KIND, _KEYS = "nade", ("hidden", "weight_decay")

    def __init__(self, hidden: Optional[int] = None, weight_decay: Optional[float] = None, *,
                 epochs: Optional[int] = None, batch_size: Optional[int] = None,
                 learning_rate: Optional[float] = None, random_state=None, threads: Optional[int] = None,
                 validation_fraction: Optional[float] = None, patience: Optional[int] = None,
                 warm_start: bool = False, binarize: Optional[float] = None, verbose: int = 0,
                 levels: Optional[int] = None) -> None:
        self.hidden = hidden
        self.weight_decay = weight_decay
        self.levels = levels
        self._training(epochs, batch_size, learning_rate, random_state, threads, validation_fraction, patience,
                       warm_start, binarize, verbose)


class PixelCNN(_Trained):
    """A gated PixelCNN (kind "pixelcnn"): channels (F, default 64), layers (L, default 7),
    kernel, first_kernel. X is (n, d) rows as scikit-learn wants; the network needs the image
    layout: image_shape = (channels, height, width), or None for square one-channel images."""

    _KIND, _KEYS = "pixelcnn", ("channels", "layers", "kernel", "first_kernel")

    def __init__(self, channels: Optional[int] = None, layers: Optional[int] = None, kernel: Optional[int] = None,
                 first_kernel: Optional[int] = None, *, image_shape: Optional[tuple[int, int, int]] = None,
                 levels: Optional[int] = None, epochs: Optional[int] = None,
                 batch_size: Optional[int] = None, learning_rate: Optional[float] = None, random_state=None,
                 threads: Optional[int] = None, validation_fraction: Optional[float] = None,
                 patience: Optional[int] = None, warm_start: bool = False, binarize: Optional[float] = None,
                 verbose: int = 0) -> None:
        self.channels = channels
        self.layers = layers
        self.kernel = kernel
        self.first_kernel = first_kernel
        self.image_shape = image_shape
        self.levels = levels
        self._training(epochs, batch_size, learning_rate, random_state, threads, validation_fraction, patience,
                       warm_start, binarize, verbose)

    def _layout(self, X: np.ndarray) -> np.ndarray:
        n, d = X.shape
        if self.image_shape is not None:
            shape = tuple(int(v) for v in self.image_shape)
            if len(shape) != 3 or shape[0] * shape[1] * shape[2] != d:
                raise ValueError(f"image_shape {self.image_shape} is not (channels, height, width) of {d} values")
        else:
            side = int(round(d ** 0.5))
            if side * side != d:
                raise ValueError(f"{d} features are not a square image: give image_shape=(channels, height, width)")
            shape = (1, side, side)
        return X.reshape((n,) + shape)


class VAE(_Trained):
    """A variational auto-encoder (kind "vae"): hidden (a list of widths), latent, architecture
    ("mlp" | "conv"), decoder ("bernoulli" | "gaussian"), iwae_samples (k of score_samples'
    importance-weighted bound). transform gives (mu, log sigma^2)."""

    _KIND, _KEYS = "vae", ("hidden", "latent", "architecture", "decoder", "iwae_samples", "weight_decay")

    def __init__(self, hidden: Optional[list[int]] = None, latent: Optional[int] = None,
                 architecture: Optional[str] = None, decoder: Optional[str] = None,
                 iwae_samples: Optional[int] = None, weight_decay: Optional[float] = None, *,
                 epochs: Optional[int] = None, batch_size: Optional[int] = None,
                 learning_rate: Optional[float] = None, random_state=None, threads: Optional[int] = None,
                 validation_fraction: Optional[float] = None, patience: Optional[int] = None,
                 warm_start: bool = False, binarize: Optional[float] = None, verbose: int = 0) -> None:
        self.hidden = hidden
        self.latent = latent
        self.architecture = architecture
        self.decoder = decoder
        self.iwae_samples = iwae_samples
        self.weight_decay = weight_decay
        self._training(epochs, batch_size, learning_rate, random_state, threads, validation_fraction, patience,
                       warm_start, binarize, verbose)

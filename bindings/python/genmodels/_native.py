"""The C ABI through ctypes: finds libgenmodels, checks its ABI, declares prototypes.

The library is looked up, in order, at $GENMODELS_LIBRARY (a file), next to this package
(a copy of libgenmodels.so* placed in the package folder), then by the system loader
(LD_LIBRARY_PATH, ldconfig's cache).
"""
import ctypes
import glob
import os

ABI_VERSION = 1  # GM_ABI_VERSION of the genmodels.h this binding mirrors

_i32, _i64, _u32, _u64, _f64 = ctypes.c_int32, ctypes.c_int64, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_double
_p, _s = ctypes.c_void_p, ctypes.c_char_p
_pp = ctypes.POINTER(ctypes.c_void_p)


class Data(ctypes.Structure):  # gm_data
    _fields_ = [("struct_size", _u32), ("x", _p), ("n", _i64), ("d", _i64),
                ("channels", _i64), ("height", _i64), ("width", _i64),
                ("labels", _p), ("num_classes", _i64), ("conditions", _p), ("condition_dim", _i64),
                # appended with M-level pixels
                ("levels", _i64)]


PROGRESS = ctypes.CFUNCTYPE(_i32, _i64, _i64, _f64, _p)


class EpochReport(ctypes.Structure):  # gm_epoch_report
    _fields_ = [("struct_size", _u32), ("epoch", _i64), ("last_epoch", _i64), ("train_loss", _f64),
                ("validation_loss", _f64), ("best_epoch", _i64), ("discriminator_loss", _f64),
                ("generator_loss", _f64), ("images_per_second", _f64), ("epoch_seconds", _f64),
                ("elapsed_seconds", _f64), ("eta_seconds", _f64), ("stopping", _i32)]


EPOCH = ctypes.CFUNCTYPE(_i32, ctypes.POINTER(EpochReport), _p)


class FitOptions(ctypes.Structure):  # gm_fit_options
    _fields_ = [("struct_size", _u32), ("epochs", _i64), ("batch_size", _i64), ("learning_rate", _f64),
                ("seed", _u64), ("threads", _i32), ("progress", PROGRESS), ("user_data", _p),
                ("validation_fraction", _f64), ("patience", _i64),
                # appended in 0.3
                ("epoch_callback", EPOCH), ("epoch_user_data", _p), ("warm_start", _i32),
                ("checkpoint_every", _i64), ("checkpoint_path", _s),
                # appended in issue 18 (docs/distributed.md; the command line's --distributed)
                ("distributed", _i32), ("mpi_comm", _p), ("sync_batch_norm", _i32),
                ("sharded", _i32)]  # appended in session 12 (docs/distributed.md, "Sharded reading")


class SampleOptions(ctypes.Structure):  # gm_sample_options
    _fields_ = [("struct_size", _u32), ("seed", _u64), ("threads", _i32), ("labels", _p),
                ("conditions", _p), ("condition_dim", _i64), ("stage", _i64),
                ("truncation", _f64)]  # appended in issue 17


class ScoreOptions(ctypes.Structure):  # gm_score_options (gm_eval_options before issue 11)
    _fields_ = [("struct_size", _u32), ("seed", _u64), ("threads", _i32), ("samples", _i64)]


EvalOptions = ScoreOptions  # the old name


class DatasetOptions(ctypes.Structure):  # gm_dataset_options
    _fields_ = [("struct_size", _u32), ("binarize", _f64), ("max_examples", _i64),
                # appended with M-level pixels
                ("levels", _i64)]


class TranslateOptions(ctypes.Structure):  # gm_translate_options (appended with translation)
    _fields_ = [("struct_size", _u32), ("seed", _u64), ("threads", _i32), ("domain", _i64),
                ("domain_name", _s), ("domains", _p)]


_D, _F, _S, _E, _O = (ctypes.POINTER(t) for t in (Data, FitOptions, SampleOptions, ScoreOptions, DatasetOptions))
_T = ctypes.POINTER(TranslateOptions)

# The public structs by their C names (the layout test compares them with genmodels.h).
STRUCTS = {"gm_data": Data, "gm_epoch_report": EpochReport, "gm_fit_options": FitOptions,
           "gm_sample_options": SampleOptions, "gm_score_options": ScoreOptions,
           "gm_dataset_options": DatasetOptions, "gm_translate_options": TranslateOptions}

# name: (restype, argtypes); every status-returning function ends with gm_error** err.
_PROTOTYPES = {
    "gm_error_code": (_i32, [_p]),
    "gm_error_message": (_s, [_p]),
    "gm_error_free": (None, [_p]),
    "gm_status_name": (_s, [_i32]),
    "gm_version": (_s, []),
    "gm_build_info": (_s, []),
    "gm_buffer_data": (_p, [_p]),
    "gm_buffer_size": (_i64, [_p]),
    "gm_buffer_free": (None, [_p]),
    # The sized initialisers fill only the first struct_size bytes: a newer library, whose
    # structs have grown, never writes past these (smaller) ones.
    "gm_data_init_sized": (None, [_D, _u32]),
    "gm_fit_options_init_sized": (None, [_F, _u32]),
    "gm_sample_options_init_sized": (None, [_S, _u32]),
    "gm_score_options_init_sized": (None, [_E, _u32]),
    "gm_dataset_options_init_sized": (None, [_O, _u32]),
    "gm_kinds_json": (_i32, [_pp, _pp]),
    "gm_kind_capabilities": (_i32, [_s, ctypes.POINTER(_u32), _pp]),
    "gm_model_create": (_i32, [_s, _s, _pp, _pp]),
    "gm_model_free": (None, [_p]),
    "gm_model_kind": (_s, [_p]),
    "gm_model_capabilities": (_i32, [_p, ctypes.POINTER(_u32), _pp]),
    "gm_model_config_json": (_i32, [_p, _pp, _pp]),
    "gm_model_is_fitted": (_i32, [_p, ctypes.POINTER(_i32), _pp]),
    "gm_model_data_shape": (_i32, [_p] + [ctypes.POINTER(_i64)] * 4 + [_pp]),
    "gm_model_encode_dim": (_i32, [_p, ctypes.POINTER(_i64), _pp]),
    "gm_model_latent_dim": (_i32, [_p, ctypes.POINTER(_i64), _pp]),
    "gm_model_condition": (_i32, [_p, ctypes.POINTER(_i32), ctypes.POINTER(_i64), _pp]),
    "gm_model_fit": (_i32, [_p, _D, _F, _pp]),
    "gm_model_sample": (_i32, [_p, _i64, _S, _p, _i64, _pp]),
    "gm_model_log_prob": (_i32, [_p, _D, _E, _p, _i64, _pp]),
    "gm_model_encode": (_i32, [_p, _D, _E, _p, _i64, _pp]),
    "gm_model_decode": (_i32, [_p, _D, _S, _p, _i64, _pp]),
    "gm_model_complete": (_i32, [_p, _D, _p, _S, _p, _i64, _pp]),
    "gm_model_save": (_i32, [_p, _s, _pp]),
    "gm_model_load": (_i32, [_s, _pp, _pp]),
    "gm_model_save_buffer": (_i32, [_p, _pp, _pp]),
    "gm_model_load_buffer": (_i32, [_p, _i64, _pp, _pp]),
    "gm_dataset_load": (_i32, [_s, _O, _pp, _pp]),
    "gm_dataset_free": (None, [_p]),
    "gm_dataset_view_sized": (_i32, [_p, _D, _u32, _pp]),
    "gm_png_grid_write": (_i32, [_s, _D, _i64, _pp]),
}

# Appended in 0.3; a 0.2 library (same ABI version) lacks them: declared when present, and
# the methods calling them raise UnsupportedError otherwise (see has()).
_OPTIONAL_PROTOTYPES = {
    "gm_model_save_checkpoint": (_i32, [_p, _s, _pp]),
    "gm_model_training_progress": (_i32, [_p, ctypes.POINTER(_i64), ctypes.POINTER(_i64), _pp]),
    # appended with M-level pixels
    "gm_model_levels": (_i32, [_p, ctypes.POINTER(_i64), _pp]),
    # appended with translation (cyclegan, stargan)
    "gm_translate_options_init_sized": (None, [_T, _u32]),
    "gm_model_translate": (_i32, [_p, _D, _T, _p, _i64, _pp]),
    "gm_model_domains_json": (_i32, [_p, _pp, _pp]),
    # appended with puzzlegan
    "gm_model_complete_from_parts": (_i32, [_p, _D, _p, _i64, _S, _p, _i64, _pp]),
    # appended with versioned sentence features
    "gm_text_features_compute_v": (_i32, [_s, _s, _i64, _p, _pp]),
    "gm_model_text_features": (_i32, [_p, _s, _p, _pp]),
}


def _candidates():
    env = os.environ.get("GENMODELS_LIBRARY")
    if env:
        return [env]  # an explicit choice is not second-guessed
    here = os.path.dirname(os.path.abspath(__file__))
    return sorted(glob.glob(os.path.join(here, "libgenmodels.so*")), key=len) + ["libgenmodels.so.1", "libgenmodels.so"]


def _load():
    tried = []
    for name in _candidates():
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            tried.append(f"{name}: {e}")
    raise ImportError("genmodels: cannot load libgenmodels; set GENMODELS_LIBRARY to the path of "
                      "libgenmodels.so (e.g. <build>/capi/libgenmodels.so). Tried:\n  " + "\n  ".join(tried))


lib, path = _load()
try:
    lib.gm_abi_version.restype = _i32
    lib.gm_abi_version.argtypes = []
    _found = lib.gm_abi_version()
except AttributeError:
    raise ImportError(f"genmodels: {path} is not a genmodels library (no gm_abi_version)") from None
if _found != ABI_VERSION:
    raise ImportError(f"genmodels: {path} has ABI version {_found} but this binding was written for ABI "
                      f"version {ABI_VERSION}; install the matching genmodels Python package or library")
for _name, (_res, _args) in _PROTOTYPES.items():
    _fn = getattr(lib, _name)
    _fn.restype, _fn.argtypes = _res, _args
_missing = set()
for _name, (_res, _args) in _OPTIONAL_PROTOTYPES.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:
        _missing.add(_name)
        continue
    _fn.restype, _fn.argtypes = _res, _args


def has(name: str) -> bool:
    """Whether the loaded library exports `name` (the functions appended after 0.2 may be absent)."""
    return name not in _missing


def defaults(init_sized, struct):
    """A `struct` holding the library's defaults, through its *_init_sized function."""
    out = struct()
    init_sized(ctypes.byref(out), ctypes.sizeof(struct))
    return out


# The library's defaults, copied per call with from_buffer_copy.
FIT_DEFAULTS = bytes(defaults(lib.gm_fit_options_init_sized, FitOptions))
SAMPLE_DEFAULTS = bytes(defaults(lib.gm_sample_options_init_sized, SampleOptions))
SCORE_DEFAULTS = bytes(defaults(lib.gm_score_options_init_sized, ScoreOptions))
DATASET_DEFAULTS = bytes(defaults(lib.gm_dataset_options_init_sized, DatasetOptions))
TRANSLATE_DEFAULTS = (bytes(defaults(lib.gm_translate_options_init_sized, TranslateOptions))
                      if has("gm_translate_options_init_sized") else None)

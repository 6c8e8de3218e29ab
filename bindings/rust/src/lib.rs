//! Generative models over the genmodels C ABI: a thin, safe wrapper over [`sys`].
//!
//! ```
//! use genmodels::{Data, Dataset, FitOptions, Model, SampleOptions, ScoreOptions};
//!
//! let bars = Dataset::load("builtin:bars-and-stripes:3", &Default::default())?;
//! let mut model = Model::new("markov", r#"{"order": 2}"#)?;
//! model.fit(&bars.data(), &FitOptions::default())?;
//! let x = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
//! let log_p = model.log_prob(&Data::new(&x, 9), &ScoreOptions::default())?;
//! let draws = model.sample(4, &SampleOptions { seed: 1, ..Default::default() })?;
//! assert_eq!((log_p.len(), draws.len()), (1, 36));
//! # Ok::<(), genmodels::Error>(())
//! ```
//!
//! Thread safety follows the ABI: every `&self` method of [`Model`] may run concurrently
//! (so `Model` is `Send + Sync`), while [`Model::fit`] takes `&mut self`.

pub mod sys;

use std::any::Any;
use std::ffi::{CStr, CString};
use std::fmt;
use std::mem;
use std::ops::ControlFlow;
use std::os::raw::{c_char, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};

// ------------------------------------------------------------------------- errors

/// The status of a failed call (`GM_*` in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    InvalidArgument,
    Unsupported,
    BufferTooSmall,
    InvalidData,
    InvalidConfig,
    UnknownKind,
    NotFitted,
    IoError,
    CorruptFile,
    Cancelled,
    Diverged,
    OutOfMemory,
    VersionMismatch,
    Internal,
    /// A status appended to the ABI after this crate was written.
    Other(i32),
}

const STATUSES: [(Status, i32); 14] = [
    (Status::InvalidArgument, sys::GM_INVALID_ARGUMENT),
    (Status::Unsupported, sys::GM_UNSUPPORTED),
    (Status::BufferTooSmall, sys::GM_BUFFER_TOO_SMALL),
    (Status::InvalidData, sys::GM_INVALID_DATA),
    (Status::InvalidConfig, sys::GM_INVALID_CONFIG),
    (Status::UnknownKind, sys::GM_UNKNOWN_KIND),
    (Status::NotFitted, sys::GM_NOT_FITTED),
    (Status::IoError, sys::GM_IO_ERROR),
    (Status::CorruptFile, sys::GM_CORRUPT_FILE),
    (Status::Cancelled, sys::GM_CANCELLED),
    (Status::Diverged, sys::GM_DIVERGED),
    (Status::OutOfMemory, sys::GM_OUT_OF_MEMORY),
    (Status::VersionMismatch, sys::GM_VERSION_MISMATCH),
    (Status::Internal, sys::GM_INTERNAL),
];

impl Status {
    pub fn from_code(code: i32) -> Status {
        STATUSES.iter().find(|s| s.1 == code).map_or(Status::Other(code), |s| s.0)
    }
    pub fn code(self) -> i32 {
        match self {
            Status::Other(code) => code,
            s => STATUSES.iter().find(|t| t.0 == s).map_or(sys::GM_INTERNAL, |t| t.1),
        }
    }
    /// The constant's name, e.g. "GM_INVALID_DATA".
    pub fn name(self) -> &'static str {
        unsafe { static_str(sys::gm_status_name(self.code())) }
    }
}

/// A failed call: its status and the library's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl Error {
    fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Runs one C call with its own error slot and turns a failed status into an [`Error`].
fn call(f: impl FnOnce(*mut *mut sys::gm_error) -> i32) -> Result<()> {
    let mut err: *mut sys::gm_error = ptr::null_mut();
    let status = f(&mut err);
    check(status, err)
}

/// The result of a call's status, taking ownership of its error object.
fn check(status: i32, err: *mut sys::gm_error) -> Result<()> {
    let result = if status == sys::GM_OK {
        Ok(())
    } else {
        let status = Status::from_code(status);
        let message = if err.is_null() {
            status.name().to_owned()
        } else {
            unsafe { CStr::from_ptr(sys::gm_error_message(err)) }.to_string_lossy().into_owned()
        };
        Err(Error { status, message })
    };
    unsafe { sys::gm_error_free(err) };
    result
}

unsafe fn static_str(p: *const c_char) -> &'static str {
    if p.is_null() {
        ""
    } else {
        CStr::from_ptr(p).to_str().unwrap_or("")
    }
}

fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::new(Status::InvalidArgument, format!("{s:?} contains a NUL byte")))
}

fn c_path(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    CString::new(bytes).map_err(|_| Error::new(Status::InvalidArgument, "the path contains a NUL byte"))
}

/// The library's defaults for our `T`, through its `*_init_sized` function: it fills only
/// `size_of::<T>()` bytes (and says so in `struct_size`), so a newer library, whose structs
/// have grown, never writes past ours.
fn defaults<T: Copy>(init_sized: unsafe extern "C" fn(*mut T, u32)) -> T {
    let mut value = mem::MaybeUninit::<T>::zeroed();
    unsafe {
        init_sized(value.as_mut_ptr(), mem::size_of::<T>() as u32);
        value.assume_init() // every field is an integer, float, nullable pointer or Option<fn>
    }
}

// ------------------------------------------------------------------------- library

pub fn version() -> &'static str {
    unsafe { static_str(sys::gm_version()) }
}

pub fn abi_version() -> i32 {
    unsafe { sys::gm_abi_version() }
}

/// Fails with [`Status::VersionMismatch`] when the linked library has another ABI.
pub fn check_abi() -> Result<()> {
    match abi_version() {
        sys::GM_ABI_VERSION => Ok(()),
        found => Err(Error::new(
            Status::VersionMismatch,
            format!("the linked library has ABI {found}, this crate was written for ABI {}", sys::GM_ABI_VERSION),
        )),
    }
}

/// JSON: version, compiler, oneDNN, build type, OpenMP threads.
pub fn build_info() -> &'static str {
    unsafe { static_str(sys::gm_build_info()) }
}

fn take_buffer(buf: *mut sys::gm_buffer) -> Vec<u8> {
    unsafe {
        let size = sys::gm_buffer_size(buf) as usize;
        let bytes =
            if size == 0 { Vec::new() } else { std::slice::from_raw_parts(sys::gm_buffer_data(buf), size).to_vec() };
        sys::gm_buffer_free(buf);
        bytes
    }
}

/// The known kinds as a JSON array of {"kind", "capabilities", "description"}.
pub fn kinds_json() -> Result<String> {
    let mut buf = ptr::null_mut();
    call(|err| unsafe { sys::gm_kinds_json(&mut buf, err) })?;
    Ok(String::from_utf8_lossy(&take_buffer(buf)).into_owned())
}

/// The features of `sentence` as `dim` floats (`gm_text_features_compute_v`): `version`
/// "words-v1" (hashed words and bigrams), "subword-v2" (hashed words and character 3-5-grams)
/// or "subword-ids-v3" (word-piece ids for a learned encoder; `dim` a multiple of 32). A fitted
/// text cgan says which it takes: [`Model::text_features`] uses its own.
pub fn text_features(sentence: &str, dim: usize, version: &str) -> Result<Vec<f32>> {
    let (s, v) = (c_string(sentence)?, c_string(version)?);
    let mut out = vec![0f32; dim];
    call(|err| unsafe { sys::gm_text_features_compute_v(s.as_ptr(), v.as_ptr(), dim as i64, out.as_mut_ptr(), err) })?;
    Ok(out)
}

pub fn kind_capabilities(kind: &str) -> Result<Capabilities> {
    let kind = c_string(kind)?;
    let mut caps = 0;
    call(|err| unsafe { sys::gm_kind_capabilities(kind.as_ptr(), &mut caps, err) })?;
    Ok(Capabilities(caps))
}

/// A set of `GM_CAP_*` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(pub u32);

impl Capabilities {
    pub const FIT: Capabilities = Capabilities(sys::GM_CAP_FIT);
    pub const SAMPLE: Capabilities = Capabilities(sys::GM_CAP_SAMPLE);
    pub const LOG_PROB: Capabilities = Capabilities(sys::GM_CAP_LOG_PROB);
    pub const ENCODE: Capabilities = Capabilities(sys::GM_CAP_ENCODE);
    pub const DECODE: Capabilities = Capabilities(sys::GM_CAP_DECODE);
    pub const COMPLETE: Capabilities = Capabilities(sys::GM_CAP_COMPLETE);
    /// [`Model::translate`]: image-to-image kinds (cyclegan, stargan).
    pub const TRANSLATE: Capabilities = Capabilities(sys::GM_CAP_TRANSLATE);
    pub const CONDITIONAL: Capabilities = Capabilities(sys::GM_CAP_CONDITIONAL);
    pub const BINARY_DATA: Capabilities = Capabilities(sys::GM_CAP_BINARY_DATA);
    pub const EXACT_LOG_PROB: Capabilities = Capabilities(sys::GM_CAP_EXACT_LOG_PROB);
    /// Discrete pixels of M levels: see [`Model::levels`] and [`Data::levels`].
    pub const LEVELS: Capabilities = Capabilities(sys::GM_CAP_LEVELS);
    /// Whole images from key patches (puzzlegan; the C function gm_model_complete_from_parts).
    pub const COMPLETE_FROM_PARTS: Capabilities = Capabilities(sys::GM_CAP_COMPLETE_FROM_PARTS);

    pub fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Capabilities {
    type Output = Capabilities;
    fn bitor(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 | other.0)
    }
}

// ------------------------------------------------------------------------- data and options

/// A borrowed view of rows of `d` float32 values, row-major (nothing is copied).
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    x: &'a [f32],
    d: usize,
    image: (usize, usize, usize),
    labels: Option<(&'a [i32], usize)>,
    conditions: Option<(&'a [f32], usize)>,
    levels: usize,
}

impl<'a> Data<'a> {
    /// All of `x` as rows of width `d` (`x.len()` must be a multiple of `d`).
    pub fn new(x: &'a [f32], d: usize) -> Data<'a> {
        Data { x, d, image: (0, 0, 0), labels: None, conditions: None, levels: 0 }
    }
    /// States that the values are discrete pixels, the integers 0..M-1 (M in [2, 256]); kinds
    /// with [`Capabilities::LEVELS`] keep M (see docs/levels.md). 0 = not stated.
    pub fn levels(mut self, levels: usize) -> Data<'a> {
        self.levels = levels;
        self
    }
    /// The image layout of each row (channels * height * width == d).
    pub fn image(mut self, channels: usize, height: usize, width: usize) -> Data<'a> {
        self.image = (channels, height, width);
        self
    }
    /// One class index per row in [0, num_classes), for conditional kinds.
    pub fn labels(mut self, labels: &'a [i32], num_classes: usize) -> Data<'a> {
        self.labels = Some((labels, num_classes));
        self
    }
    /// One condition vector of `dim` values per row, for conditional kinds.
    pub fn conditions(mut self, conditions: &'a [f32], dim: usize) -> Data<'a> {
        self.conditions = Some((conditions, dim));
        self
    }
    pub fn rows(&self) -> usize {
        self.x.len().checked_div(self.d).unwrap_or(0)
    }
    pub fn width(&self) -> usize {
        self.d
    }
    pub fn values(&self) -> &'a [f32] {
        self.x
    }

    /// The C view; checks every length the library will trust.
    fn to_c(self) -> Result<sys::gm_data> {
        let n = self.rows();
        if n * self.d != self.x.len() {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("{} values are not a whole number of rows of width {}", self.x.len(), self.d),
            ));
        }
        let (labels, num_classes) = match self.labels {
            Some((l, _)) if l.len() != n => return Err(length_error("labels", l.len(), n)),
            Some((l, k)) => (l.as_ptr(), k as i64),
            None => (ptr::null(), 0),
        };
        let (conditions, condition_dim) = match self.conditions {
            Some((c, k)) if c.len() != n * k => return Err(length_error("conditions", c.len(), n * k)),
            Some((c, k)) => (c.as_ptr(), k as i64),
            None => (ptr::null(), 0),
        };
        Ok(sys::gm_data {
            struct_size: mem::size_of::<sys::gm_data>() as u32,
            x: self.x.as_ptr(),
            n: n as i64,
            d: self.d as i64,
            channels: self.image.0 as i64,
            height: self.image.1 as i64,
            width: self.image.2 as i64,
            labels,
            num_classes,
            conditions,
            condition_dim,
            levels: self.levels as i64,
        })
    }
}

fn length_error(what: &str, got: usize, want: usize) -> Error {
    Error::new(Status::InvalidArgument, format!("{what} has {got} values, the call needs {want}"))
}

/// Options of [`Model::fit`]; `Default` gives the library's defaults.
/// (Not `Copy` since 0.3: it holds the checkpoint path.)
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    pub epochs: i64,
    pub batch_size: i64,
    /// 0 = the kind's own default.
    pub learning_rate: f64,
    pub seed: u64,
    /// 0 = all cores.
    pub threads: i32,
    /// Gradient-trained kinds: the held-out fraction scored after every epoch.
    pub validation_fraction: f64,
    /// > 0: stop after this many epochs without improvement.
    pub patience: i64,
    /// Continue from the model's current state when it is fitted: gradient-trained kinds train
    /// `epochs` more epochs (a model fitted, or loaded from a checkpoint, in this process also
    /// resumes its optimiser, so 1 + 1 epochs equal 2 epochs with the same seed); bernoulli and
    /// markov add the new rows' counts (partial fit). The data must have the fitted width.
    pub warm_start: bool,
    /// Gradient-trained kinds: with `checkpoint_path`, write a checkpoint every this many
    /// epochs and after the last (atomically replacing the previous one). 0: none.
    pub checkpoint_every: i64,
    pub checkpoint_path: Option<PathBuf>,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        let o = defaults(sys::gm_fit_options_init_sized);
        FitOptions {
            epochs: o.epochs,
            batch_size: o.batch_size,
            learning_rate: o.learning_rate,
            seed: o.seed,
            threads: o.threads,
            validation_fraction: o.validation_fraction,
            patience: o.patience,
            warm_start: o.warm_start != 0,
            checkpoint_every: o.checkpoint_every,
            checkpoint_path: None,
        }
    }
}

/// What a fit reports after each epoch ([`Model::fit_with_epochs`]). Losses are mean
/// per-example values: nats (negative log-likelihood or its bound) for likelihood kinds; for
/// the GAN family `train_loss` is `discriminator_loss + generator_loss`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochReport {
    /// Counts from 1, continuing across warm-started fits.
    pub epoch: i64,
    /// The epoch this fit ends at unless it stops early.
    pub last_epoch: i64,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Mean loss on the held-out rows; NaN without a validation split.
    pub validation_loss: f64,
    /// The epoch whose parameters a validated fit keeps; else `epoch`.
    pub best_epoch: i64,
    /// GAN family: the epoch's mean L_D; else NaN.
    pub discriminator_loss: f64,
    /// GAN family: the epoch's mean L_G; else NaN.
    pub generator_loss: f64,
    pub images_per_second: f64,
    pub epoch_seconds: f64,
    pub elapsed_seconds: f64,
    /// Estimated wall time to `last_epoch`.
    pub eta_seconds: f64,
    /// Early stopping ends the fit after this epoch.
    pub stopping: bool,
}

impl EpochReport {
    fn from_c(r: &sys::gm_epoch_report) -> EpochReport {
        EpochReport {
            epoch: r.epoch,
            last_epoch: r.last_epoch,
            train_loss: r.train_loss,
            validation_loss: r.validation_loss,
            best_epoch: r.best_epoch,
            discriminator_loss: r.discriminator_loss,
            generator_loss: r.generator_loss,
            images_per_second: r.images_per_second,
            epoch_seconds: r.epoch_seconds,
            elapsed_seconds: r.elapsed_seconds,
            eta_seconds: r.eta_seconds,
            stopping: r.stopping != 0,
        }
    }
}

type ProgressFn<'f> = dyn FnMut(i64, i64, f64) -> ControlFlow<()> + 'f;
type EpochFn<'f> = dyn FnMut(&EpochReport) -> ControlFlow<()> + 'f;

/// The training a model holds ([`Model::training_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingProgress {
    /// Epochs trained so far (0 without training state).
    pub epochs_done: i64,
    /// The epoch its last fit was asked to reach.
    pub epochs_planned: i64,
}

/// Options of sample, decode and complete. The same seed gives the same output.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SampleOptions<'a> {
    pub seed: u64,
    pub threads: i32,
    /// One label per output row, for conditional kinds.
    pub labels: Option<&'a [i32]>,
    /// One condition vector of `condition_dim` values per output row.
    pub conditions: Option<&'a [f32]>,
    pub condition_dim: usize,
    /// progan: the growth stage to draw at (1 = the lowest resolution, its images upsampled to
    /// full size); 0 = the model's current stage. Other kinds take only 0.
    pub stage: usize,
    /// sample and complete_from_parts of kinds with a Gaussian latent: draw each latent
    /// coordinate from the normal conditioned on |z| <= truncation; 0 = the full normal.
    pub truncation: f64,
}

impl SampleOptions<'_> {
    fn to_c(self, rows: usize) -> Result<sys::gm_sample_options> {
        let mut o = defaults(sys::gm_sample_options_init_sized);
        o.seed = self.seed;
        o.threads = self.threads;
        o.stage = i64::try_from(self.stage).unwrap_or(i64::MAX); // beyond any model: refused
        o.truncation = self.truncation;
        if let Some(l) = self.labels {
            if l.len() != rows {
                return Err(length_error("labels", l.len(), rows));
            }
            o.labels = l.as_ptr();
        }
        if let Some(c) = self.conditions {
            if c.len() != rows * self.condition_dim {
                return Err(length_error("conditions", c.len(), rows * self.condition_dim));
            }
            o.conditions = c.as_ptr();
            o.condition_dim = self.condition_dim as i64;
        }
        Ok(o)
    }
}

/// The target domain of [`Model::translate`]: one for every row (by index or by name, see
/// [`Model::domains_json`]) or one index per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain<'a> {
    Index(usize),
    Name(&'a str),
    PerRow(&'a [i32]),
}

/// Options of [`Model::translate`]. The same seed gives the same output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranslateOptions {
    pub seed: u64,
    pub threads: i32,
}

/// Options of log_prob and encode (`gm_score_options`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScoreOptions {
    pub seed: u64,
    pub threads: i32,
    /// 0 = the model's own count (vae: the importance samples of its configuration's
    /// `iwae_samples`); other kinds ignore it.
    pub samples: i64,
}

/// The name of [`ScoreOptions`] before issue 11.
pub type EvalOptions = ScoreOptions;

impl ScoreOptions {
    fn to_c(self) -> sys::gm_score_options {
        let mut o = defaults(sys::gm_score_options_init_sized);
        o.seed = self.seed;
        o.threads = self.threads;
        o.samples = self.samples;
        o
    }
}

/// The width of the data a model was fitted on and its image layout (0s if none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataShape {
    pub d: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

fn out_len(rows: usize, width: usize) -> Result<usize> {
    rows.checked_mul(width).ok_or_else(|| Error::new(Status::InvalidArgument, "output size overflows"))
}

// ------------------------------------------------------------------------- models

/// A generative model owning its `gm_model` handle (freed on drop).
pub struct Model {
    raw: NonNull<sys::gm_model>,
}

// SAFETY: the ABI lets any thread use and free a model, lets the queries, sample, log_prob,
// encode, decode, complete and save run concurrently on one model (the `&self` methods),
// and requires exclusive access for fit and free (`&mut self` and drop).
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        unsafe { sys::gm_model_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model").field("kind", &self.kind()).field("fitted", &self.is_fitted().unwrap_or(false)).finish()
    }
}

/// What a model is conditioned on: [`Model::condition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Not conditional.
    None,
    /// Class labels in `0..classes`.
    Label { classes: usize },
    /// Float vectors of width `dim`.
    Vector { dim: usize },
    /// Sentences, as vectors of `dim` ([`Model::text_features`]).
    Text { dim: usize },
    /// A kind of condition newer than this binding.
    Other { code: i32, dim: usize },
}

impl Model {
    fn adopt(raw: *mut sys::gm_model) -> Result<Model> {
        NonNull::new(raw)
            .map(|raw| Model { raw })
            .ok_or_else(|| Error::new(Status::Internal, "the library returned GM_OK without a model"))
    }

    /// A model of `kind` with hyper-parameters as a JSON object ("" or "{}" = defaults).
    pub fn new(kind: &str, config_json: &str) -> Result<Model> {
        let (kind, config) = (c_string(kind)?, c_string(config_json)?);
        let mut raw = ptr::null_mut();
        call(|err| unsafe { sys::gm_model_create(kind.as_ptr(), config.as_ptr(), &mut raw, err) })?;
        Model::adopt(raw)
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = c_path(path.as_ref())?;
        let mut raw = ptr::null_mut();
        call(|err| unsafe { sys::gm_model_load(path.as_ptr(), &mut raw, err) })?;
        Model::adopt(raw)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let mut raw = ptr::null_mut();
        call(|err| unsafe {
            sys::gm_model_load_buffer(bytes.as_ptr() as *const c_void, bytes.len() as i64, &mut raw, err)
        })?;
        Model::adopt(raw)
    }

    /// The handle, for calling [`sys`] directly.
    pub fn as_ptr(&self) -> *const sys::gm_model {
        self.raw.as_ptr()
    }

    fn ptr(&self) -> *const sys::gm_model {
        self.raw.as_ptr()
    }

    pub fn kind(&self) -> &'static str {
        unsafe { static_str(sys::gm_model_kind(self.ptr())) }
    }

    pub fn capabilities(&self) -> Result<Capabilities> {
        let mut caps = 0;
        call(|err| unsafe { sys::gm_model_capabilities(self.ptr(), &mut caps, err) })?;
        Ok(Capabilities(caps))
    }

    /// The effective hyper-parameters (defaults filled in) as a JSON object.
    pub fn config_json(&self) -> Result<String> {
        let mut buf = ptr::null_mut();
        call(|err| unsafe { sys::gm_model_config_json(self.ptr(), &mut buf, err) })?;
        Ok(String::from_utf8_lossy(&take_buffer(buf)).into_owned())
    }

    pub fn is_fitted(&self) -> Result<bool> {
        let mut fitted = 0;
        call(|err| unsafe { sys::gm_model_is_fitted(self.ptr(), &mut fitted, err) })?;
        Ok(fitted != 0)
    }

    pub fn data_shape(&self) -> Result<DataShape> {
        let mut s = [0i64; 4];
        let [d, c, h, w] = &mut s;
        call(|err| unsafe { sys::gm_model_data_shape(self.ptr(), d, c, h, w, err) })?;
        Ok(DataShape { d: s[0] as usize, channels: s[1] as usize, height: s[2] as usize, width: s[3] as usize })
    }

    /// The level count M of the model's pixels: M for kinds with [`Capabilities::LEVELS`] (2
    /// before a fit), 2 for binary kinds, 0 for kinds of real values.
    pub fn levels(&self) -> Result<usize> {
        let mut m = 0;
        call(|err| unsafe { sys::gm_model_levels(self.ptr(), &mut m, err) })?;
        Ok(m as usize)
    }

    pub fn encode_dim(&self) -> Result<usize> {
        let mut w = 0;
        call(|err| unsafe { sys::gm_model_encode_dim(self.ptr(), &mut w, err) })?;
        Ok(w as usize)
    }

    pub fn latent_dim(&self) -> Result<usize> {
        let mut w = 0;
        call(|err| unsafe { sys::gm_model_latent_dim(self.ptr(), &mut w, err) })?;
        Ok(w as usize)
    }

    /// What the model is conditioned on (`gm_model_condition`); the size is 0 until fit fixes it.
    pub fn condition(&self) -> Result<Condition> {
        let (mut kind, mut dim) = (0i32, 0i64);
        call(|err| unsafe { sys::gm_model_condition(self.ptr(), &mut kind, &mut dim, err) })?;
        let dim = dim as usize;
        Ok(match kind {
            0 => Condition::None,
            1 => Condition::Label { classes: dim },
            2 => Condition::Vector { dim },
            3 => Condition::Text { dim },
            other => Condition::Other { code: other, dim },
        })
    }

    /// A sentence as this text cgan's condition vector (`gm_model_text_features`: its own
    /// feature version and width); `Unsupported` for a model not conditioned on text.
    pub fn text_features(&self, sentence: &str) -> Result<Vec<f32>> {
        let dim = match self.condition()? {
            Condition::Text { dim } => dim.max(1),
            _ => 1, // the library says why it cannot
        };
        let s = c_string(sentence)?;
        let mut out = vec![0f32; dim];
        call(|err| unsafe { sys::gm_model_text_features(self.ptr(), s.as_ptr(), out.as_mut_ptr(), err) })?;
        Ok(out)
    }

    /// Fits on `data`; refitting replaces the parameters.
    pub fn fit(&mut self, data: &Data, opts: &FitOptions) -> Result<()> {
        self.fit_with_progress(data, opts, |_, _, _| ControlFlow::Continue(()))
    }

    /// Fits, calling `progress(step, total, loss)` on this thread after each step;
    /// `ControlFlow::Break(())` stops fit with [`Status::Cancelled`]: a first fit keeps its
    /// last good parameters, a refit leaves the model as it was (closed-form kinds: always). A panic in `progress`
    /// stops fit the same way and resumes after it returns.
    pub fn fit_with_progress<F>(&mut self, data: &Data, opts: &FitOptions, mut progress: F) -> Result<()>
    where
        F: FnMut(i64, i64, f64) -> ControlFlow<()>,
    {
        self.fit_impl(data, opts, &mut progress, None)
    }

    /// Fits, calling `on_epoch` on this thread after every epoch of a gradient-trained kind
    /// (once for the closed-form kinds); `ControlFlow::Break(())` and panics stop fit as in
    /// [`Model::fit_with_progress`].
    pub fn fit_with_epochs<E>(&mut self, data: &Data, opts: &FitOptions, mut on_epoch: E) -> Result<()>
    where
        E: FnMut(&EpochReport) -> ControlFlow<()>,
    {
        self.fit_impl(data, opts, &mut |_, _, _| ControlFlow::Continue(()), Some(&mut on_epoch))
    }

    /// Fits with both callbacks: `progress` after each step, `on_epoch` after each epoch.
    pub fn fit_with_callbacks<F, E>(
        &mut self,
        data: &Data,
        opts: &FitOptions,
        mut progress: F,
        mut on_epoch: E,
    ) -> Result<()>
    where
        F: FnMut(i64, i64, f64) -> ControlFlow<()>,
        E: FnMut(&EpochReport) -> ControlFlow<()>,
    {
        self.fit_impl(data, opts, &mut progress, Some(&mut on_epoch))
    }

    fn fit_impl<'f>(
        &mut self,
        data: &Data,
        opts: &FitOptions,
        progress: &'f mut ProgressFn<'f>,
        on_epoch: Option<&'f mut EpochFn<'f>>,
    ) -> Result<()> {
        struct Context<'f> {
            progress: &'f mut ProgressFn<'f>,
            on_epoch: Option<&'f mut EpochFn<'f>>,
            panic: Option<Box<dyn Any + Send>>,
        }
        // A panic must not unwind into C: keep it and cancel.
        fn guard(ctx: &mut Option<Box<dyn Any + Send>>, f: impl FnOnce() -> ControlFlow<()>) -> i32 {
            match panic::catch_unwind(AssertUnwindSafe(f)) {
                Ok(ControlFlow::Continue(())) => 0,
                Ok(ControlFlow::Break(())) => 1,
                Err(payload) => {
                    *ctx = Some(payload);
                    1
                }
            }
        }
        unsafe extern "C" fn trampoline(step: i64, total: i64, loss: f64, user: *mut c_void) -> i32 {
            let ctx = &mut *(user as *mut Context);
            let progress = &mut ctx.progress;
            guard(&mut ctx.panic, || progress(step, total, loss))
        }
        unsafe extern "C" fn epoch_trampoline(report: *const sys::gm_epoch_report, user: *mut c_void) -> i32 {
            let ctx = &mut *(user as *mut Context);
            let report = EpochReport::from_c(&*report);
            match ctx.on_epoch.as_mut() {
                Some(on_epoch) => guard(&mut ctx.panic, || on_epoch(&report)),
                None => 0,
            }
        }
        let view = data.to_c()?;
        let path = opts.checkpoint_path.as_deref().map(c_path).transpose()?;
        let has_epoch = on_epoch.is_some();
        let mut ctx = Context { progress, on_epoch, panic: None };
        let mut o = defaults(sys::gm_fit_options_init_sized);
        o.epochs = opts.epochs;
        o.batch_size = opts.batch_size;
        o.learning_rate = opts.learning_rate;
        o.seed = opts.seed;
        o.threads = opts.threads;
        o.validation_fraction = opts.validation_fraction;
        o.patience = opts.patience;
        o.warm_start = opts.warm_start as i32;
        o.checkpoint_every = opts.checkpoint_every;
        o.checkpoint_path = path.as_ref().map_or(ptr::null(), |p| p.as_ptr());
        let user = &mut ctx as *mut Context as *mut c_void;
        o.progress = Some(trampoline);
        o.user_data = user;
        if has_epoch {
            o.epoch_callback = Some(epoch_trampoline);
            o.epoch_user_data = user;
        }
        let result = call(|err| unsafe { sys::gm_model_fit(self.raw.as_ptr(), &view, &o, err) });
        if let Some(payload) = ctx.panic.take() {
            panic::resume_unwind(payload);
        }
        result
    }

    /// `n` draws, row-major (n * d values).
    pub fn sample(&self, n: usize, opts: &SampleOptions) -> Result<Vec<f32>> {
        let o = opts.to_c(n)?;
        let mut out = vec![0f32; out_len(n, self.data_shape()?.d)?];
        call(|err| unsafe { sys::gm_model_sample(self.ptr(), n as i64, &o, out.as_mut_ptr(), out.len() as i64, err) })?;
        Ok(out)
    }

    /// log p(x) in nats for each row.
    pub fn log_prob(&self, data: &Data, opts: &ScoreOptions) -> Result<Vec<f64>> {
        let view = data.to_c()?;
        let o = opts.to_c();
        let mut out = vec![0f64; data.rows()];
        call(|err| unsafe { sys::gm_model_log_prob(self.ptr(), &view, &o, out.as_mut_ptr(), out.len() as i64, err) })?;
        Ok(out)
    }

    /// Features of each row (rows * encode_dim values).
    pub fn encode(&self, data: &Data, opts: &ScoreOptions) -> Result<Vec<f32>> {
        let view = data.to_c()?;
        let o = opts.to_c();
        let mut out = vec![0f32; out_len(data.rows(), self.encode_dim()?)?];
        call(|err| unsafe { sys::gm_model_encode(self.ptr(), &view, &o, out.as_mut_ptr(), out.len() as i64, err) })?;
        Ok(out)
    }

    /// Latent codes (rows of latent_dim values) to rows of d values.
    pub fn decode(&self, codes: &Data, opts: &SampleOptions) -> Result<Vec<f32>> {
        let view = codes.to_c()?;
        let o = opts.to_c(codes.rows())?;
        self.latent_dim()?; // an unsupported verb says so before sizes are checked
        let mut out = vec![0f32; out_len(codes.rows(), self.data_shape()?.d)?];
        call(|err| unsafe { sys::gm_model_decode(self.ptr(), &view, &o, out.as_mut_ptr(), out.len() as i64, err) })?;
        Ok(out)
    }

    /// `data` with the entries whose `observed` flag is false drawn from the model.
    pub fn complete(&self, data: &Data, observed: &[bool], opts: &SampleOptions) -> Result<Vec<f32>> {
        let view = data.to_c()?;
        let o = opts.to_c(data.rows())?;
        if observed.len() != data.values().len() {
            return Err(length_error("observed", observed.len(), data.values().len()));
        }
        let mut out = vec![0f32; data.values().len()];
        // bool is one byte holding 0 or 1: the ABI's nonzero-means-observed bytes.
        let mask = observed.as_ptr() as *const u8;
        call(|err| unsafe {
            sys::gm_model_complete(self.ptr(), &view, mask, &o, out.as_mut_ptr(), out.len() as i64, err)
        })?;
        Ok(out)
    }

    /// Whole images from `k` key patches each (puzzlegan; `gm_model_complete_from_parts`):
    /// `patches` holds n * k patches of C x P x P values, image after image, and `positions` the
    /// (top, left) of each in its image. Returns n * d values, image r generated from its k
    /// patches.
    pub fn complete_from_parts(
        &self,
        patches: &Data,
        positions: &[[i64; 2]],
        k: usize,
        opts: &SampleOptions,
    ) -> Result<Vec<f32>> {
        let view = patches.to_c()?;
        if positions.len() != patches.rows() {
            return Err(length_error("positions", positions.len(), patches.rows()));
        }
        // k = 0 or a count that does not split into images of k: the library says which.
        let n = if k > 0 && patches.rows() % k == 0 { patches.rows() / k } else { 0 };
        let o = opts.to_c(n)?;
        let mut out = vec![0f32; out_len(n, self.data_shape()?.d)?];
        // [i64; 2] has no padding: the slice is the ABI's 2 * n * k values.
        let flat = positions.as_ptr() as *const i64;
        call(|err| unsafe {
            sys::gm_model_complete_from_parts(
                self.ptr(),
                &view,
                flat,
                k as i64,
                &o,
                out.as_mut_ptr(),
                out.len() as i64,
                err,
            )
        })?;
        Ok(out)
    }

    /// The domain names of a translating model (cyclegan: `["a","b"]`) as a JSON array, in
    /// index order (`gm_model_domains_json`); `Unsupported` for kinds that do not translate.
    pub fn domains_json(&self) -> Result<String> {
        let mut buf = ptr::null_mut();
        call(|err| unsafe { sys::gm_model_domains_json(self.ptr(), &mut buf, err) })?;
        Ok(String::from_utf8_lossy(&take_buffer(buf)).into_owned())
    }

    /// The rows of `data` translated to the domain `to` (`gm_model_translate`): one output row
    /// per input row, the same width.
    pub fn translate(&self, data: &Data, to: Domain, opts: &TranslateOptions) -> Result<Vec<f32>> {
        let view = data.to_c()?;
        let mut o = defaults(sys::gm_translate_options_init_sized);
        o.seed = opts.seed;
        o.threads = opts.threads;
        let name;
        match to {
            Domain::Index(i) => o.domain = i as i64,
            Domain::Name(n) => {
                name = c_string(n)?;
                o.domain_name = name.as_ptr();
            }
            Domain::PerRow(d) => {
                if d.len() != data.rows() {
                    return Err(length_error("domains", d.len(), data.rows()));
                }
                o.domains = d.as_ptr();
            }
        }
        let mut out = vec![0f32; data.values().len()];
        call(|err| unsafe { sys::gm_model_translate(self.ptr(), &view, &o, out.as_mut_ptr(), out.len() as i64, err) })?;
        Ok(out)
    }

    /// Writes the model as a safetensors file (atomically).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = c_path(path.as_ref())?;
        call(|err| unsafe { sys::gm_model_save(self.ptr(), path.as_ptr(), err) })
    }

    /// Writes a checkpoint: the model file plus the training state of a gradient-trained kind
    /// (optimiser moments, epoch and step counters, shuffle order), atomically. [`Model::load`]
    /// opens it, and a fit with `warm_start` then resumes exactly where it was written.
    /// [`Status::Unsupported`] for the closed-form kinds; [`Status::NotFitted`] without
    /// training state (never fitted in this process, or loaded from a plain model file).
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = c_path(path.as_ref())?;
        call(|err| unsafe { sys::gm_model_save_checkpoint(self.ptr(), path.as_ptr(), err) })
    }

    /// The epochs trained so far and the epoch the last fit was asked to reach.
    pub fn training_progress(&self) -> Result<TrainingProgress> {
        let (mut epochs_done, mut epochs_planned) = (0i64, 0i64);
        call(|err| unsafe { sys::gm_model_training_progress(self.ptr(), &mut epochs_done, &mut epochs_planned, err) })?;
        Ok(TrainingProgress { epochs_done, epochs_planned })
    }

    /// The model file as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut buf = ptr::null_mut();
        call(|err| unsafe { sys::gm_model_save_buffer(self.ptr(), &mut buf, err) })?;
        Ok(take_buffer(buf))
    }
}

// ------------------------------------------------------------------------- data sets

/// Options of [`Dataset::load`]; `Default` gives the library's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetOptions {
    /// Some(t): values >= t become 1, the rest 0.
    pub binarize: Option<f64>,
    /// 0 = all examples.
    pub max_examples: usize,
    /// M in [2, 256]: quantise values in [0, 1] to the levels 0..M-1 (the view then states M);
    /// 0 = keep values. Not together with `binarize`.
    pub levels: usize,
}

impl Default for DatasetOptions {
    fn default() -> DatasetOptions {
        let o = defaults(sys::gm_dataset_options_init_sized);
        DatasetOptions {
            binarize: if o.binarize >= 0.0 { Some(o.binarize) } else { None },
            max_examples: o.max_examples as usize,
            levels: o.levels as usize,
        }
    }
}

/// A data set loaded by the library (e.g. "builtin:bars-and-stripes:3", "fashion-mnist:test").
pub struct Dataset {
    raw: NonNull<sys::gm_dataset>,
    view: sys::gm_data,
}

// SAFETY: a data set is immutable after loading; only its memory is read through the view.
unsafe impl Send for Dataset {}
unsafe impl Sync for Dataset {}

impl Drop for Dataset {
    fn drop(&mut self) {
        unsafe { sys::gm_dataset_free(self.raw.as_ptr()) }
    }
}

impl Dataset {
    pub fn load(spec: &str, opts: &DatasetOptions) -> Result<Dataset> {
        let spec = c_string(spec)?;
        let mut o = defaults(sys::gm_dataset_options_init_sized);
        o.binarize = opts.binarize.unwrap_or(-1.0);
        o.max_examples = opts.max_examples as i64;
        o.levels = opts.levels as i64;
        let mut raw = ptr::null_mut();
        call(|err| unsafe { sys::gm_dataset_load(spec.as_ptr(), &o, &mut raw, err) })?;
        let raw = NonNull::new(raw).ok_or_else(|| Error::new(Status::Internal, "no data set"))?;
        let mut ds = Dataset { raw, view: defaults(sys::gm_data_init_sized) }; // frees the data set on error
        let size = mem::size_of::<sys::gm_data>() as u32;
        call(|err| unsafe { sys::gm_dataset_view_sized(raw.as_ptr(), &mut ds.view, size, err) })?;
        Ok(ds)
    }

    pub fn len(&self) -> usize {
        self.view.n as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows (with their image layout and labels), borrowed from the data set.
    pub fn data(&self) -> Data<'_> {
        let v = &self.view;
        let (n, d) = (v.n as usize, v.d as usize);
        let x = if n * d == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(v.x, n * d) } };
        let mut data = Data::new(x, d)
            .image(v.channels as usize, v.height as usize, v.width as usize)
            .levels(v.levels as usize);
        if let Some(labels) = self.labels() {
            data = data.labels(labels, v.num_classes as usize);
        }
        data
    }

    pub fn labels(&self) -> Option<&[i32]> {
        let v = &self.view;
        if v.labels.is_null() || v.n == 0 {
            None
        } else {
            Some(unsafe { std::slice::from_raw_parts(v.labels, v.n as usize) })
        }
    }
}

/// Writes image rows (values in [0, 1], with an image layout) as one PNG grid.
pub fn write_png_grid(path: impl AsRef<Path>, images: &Data, columns: usize) -> Result<()> {
    let path = c_path(path.as_ref())?;
    let view = images.to_c()?;
    call(|err| unsafe { sys::gm_png_grid_write(path.as_ptr(), &view, columns as i64, err) })
}

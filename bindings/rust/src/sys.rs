//! Raw FFI: hand-written declarations matching `include/genmodels/genmodels.h`
//! (`tests/layout.rs` checks the structs and constants against the C compiler's view).
//! Initialise structs with the `*_init_sized` functions, passing `size_of` the struct: they
//! fill only that prefix, so a newer library (whose structs have grown) never writes past
//! these. The plain `*_init` functions write the library's own `sizeof` and are not declared.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_void};

pub const GM_ABI_VERSION: i32 = 1;

pub const GM_OK: i32 = 0;
pub const GM_INVALID_ARGUMENT: i32 = 1;
pub const GM_UNSUPPORTED: i32 = 2;
pub const GM_BUFFER_TOO_SMALL: i32 = 3;
pub const GM_INVALID_DATA: i32 = 4;
pub const GM_INVALID_CONFIG: i32 = 5;
pub const GM_UNKNOWN_KIND: i32 = 6;
pub const GM_NOT_FITTED: i32 = 7;
pub const GM_IO_ERROR: i32 = 8;
pub const GM_CORRUPT_FILE: i32 = 9;
pub const GM_CANCELLED: i32 = 10;
pub const GM_DIVERGED: i32 = 11;
pub const GM_OUT_OF_MEMORY: i32 = 12;
pub const GM_VERSION_MISMATCH: i32 = 13;
pub const GM_INTERNAL: i32 = 99;

pub const GM_CAP_FIT: u32 = 1 << 0;
pub const GM_CAP_SAMPLE: u32 = 1 << 1;
pub const GM_CAP_LOG_PROB: u32 = 1 << 2;
pub const GM_CAP_ENCODE: u32 = 1 << 3;
pub const GM_CAP_DECODE: u32 = 1 << 4;
pub const GM_CAP_COMPLETE: u32 = 1 << 5;
/// Reserved for translate: no kind reports it until the library has a translate function.
pub const GM_CAP_TRANSLATE: u32 = 1 << 6;
pub const GM_CAP_CONDITIONAL: u32 = 1 << 7;
pub const GM_CAP_BINARY_DATA: u32 = 1 << 8;
pub const GM_CAP_EXACT_LOG_PROB: u32 = 1 << 9;
/// Discrete pixels of M levels (`gm_model_levels`).
pub const GM_CAP_LEVELS: u32 = 1 << 10;
/// `gm_model_complete_from_parts`: whole images from key patches (puzzlegan).
pub const GM_CAP_COMPLETE_FROM_PARTS: u32 = 1 << 11;

pub const GM_CONDITION_NONE: i32 = 0;
pub const GM_CONDITION_LABEL: i32 = 1;
pub const GM_CONDITION_VECTOR: i32 = 2;
pub const GM_CONDITION_TEXT: i32 = 3;

#[repr(C)]
pub struct gm_error {
    _private: [u8; 0],
}
#[repr(C)]
pub struct gm_buffer {
    _private: [u8; 0],
}
#[repr(C)]
pub struct gm_model {
    _private: [u8; 0],
}
#[repr(C)]
pub struct gm_dataset {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct gm_data {
    pub struct_size: u32,
    pub x: *const f32,
    pub n: i64,
    pub d: i64,
    pub channels: i64,
    pub height: i64,
    pub width: i64,
    pub labels: *const i32,
    pub num_classes: i64,
    pub conditions: *const f32,
    pub condition_dim: i64,
    /// Appended with M-level pixels: the level count M, 0 = not stated.
    pub levels: i64,
}

pub type gm_progress_fn = Option<unsafe extern "C" fn(step: i64, total: i64, loss: f64, user_data: *mut c_void) -> i32>;

/// What a fit reports after each epoch (`gm_fit_options.epoch_callback`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gm_epoch_report {
    pub struct_size: u32,
    pub epoch: i64,
    pub last_epoch: i64,
    pub train_loss: f64,
    pub validation_loss: f64,
    pub best_epoch: i64,
    pub discriminator_loss: f64,
    pub generator_loss: f64,
    pub images_per_second: f64,
    pub epoch_seconds: f64,
    pub elapsed_seconds: f64,
    pub eta_seconds: f64,
    pub stopping: i32,
}

pub type gm_epoch_fn = Option<unsafe extern "C" fn(report: *const gm_epoch_report, user_data: *mut c_void) -> i32>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct gm_fit_options {
    pub struct_size: u32,
    pub epochs: i64,
    pub batch_size: i64,
    pub learning_rate: f64,
    pub seed: u64,
    pub threads: i32,
    pub progress: gm_progress_fn,
    pub user_data: *mut c_void,
    pub validation_fraction: f64,
    pub patience: i64,
    // appended in 0.3
    pub epoch_callback: gm_epoch_fn,
    pub epoch_user_data: *mut c_void,
    pub warm_start: i32,
    pub checkpoint_every: i64,
    pub checkpoint_path: *const c_char,
    // appended in issue 18 (docs/distributed.md)
    pub distributed: i32,
    pub mpi_comm: *const c_void,
    pub sync_batch_norm: i32,
    pub sharded: i32, // docs/distributed.md, "Sharded reading"
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct gm_sample_options {
    pub struct_size: u32,
    pub seed: u64,
    pub threads: i32,
    pub labels: *const i32,
    pub conditions: *const f32,
    pub condition_dim: i64,
    pub stage: i64,
    pub truncation: f64, // appended in issue 17
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct gm_score_options {
    pub struct_size: u32,
    pub seed: u64,
    pub threads: i32,
    pub samples: i64,
}

/// The name of `gm_score_options` before issue 11.
pub type gm_eval_options = gm_score_options;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct gm_dataset_options {
    pub struct_size: u32,
    pub binarize: f64,
    pub max_examples: i64,
    /// Appended with M-level pixels: quantise to M levels, 0 = keep values.
    pub levels: i64,
}

/// Appended with translation (cyclegan, stargan): the target of `gm_model_translate`, given
/// exactly once (`domain` >= 0, `domain_name` non-null, or `domains` one index per row).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct gm_translate_options {
    pub struct_size: u32,
    pub seed: u64,
    pub threads: i32,
    pub domain: i64,
    pub domain_name: *const c_char,
    pub domains: *const i32,
}

extern "C" {
    pub fn gm_error_code(err: *const gm_error) -> i32;
    pub fn gm_error_message(err: *const gm_error) -> *const c_char;
    pub fn gm_error_free(err: *mut gm_error);
    pub fn gm_status_name(status: i32) -> *const c_char;

    pub fn gm_version() -> *const c_char;
    pub fn gm_abi_version() -> i32;
    pub fn gm_build_info() -> *const c_char;

    pub fn gm_buffer_data(buf: *const gm_buffer) -> *const u8;
    pub fn gm_buffer_size(buf: *const gm_buffer) -> i64;
    pub fn gm_buffer_free(buf: *mut gm_buffer);

    pub fn gm_data_init_sized(data: *mut gm_data, struct_size: u32);
    pub fn gm_fit_options_init_sized(opts: *mut gm_fit_options, struct_size: u32);
    pub fn gm_sample_options_init_sized(opts: *mut gm_sample_options, struct_size: u32);
    pub fn gm_score_options_init_sized(opts: *mut gm_score_options, struct_size: u32);
    pub fn gm_dataset_options_init_sized(opts: *mut gm_dataset_options, struct_size: u32);

    pub fn gm_kinds_json(out: *mut *mut gm_buffer, err: *mut *mut gm_error) -> i32;
    pub fn gm_kind_capabilities(kind: *const c_char, out: *mut u32, err: *mut *mut gm_error) -> i32;

    pub fn gm_model_create(
        kind: *const c_char,
        config_json: *const c_char,
        out: *mut *mut gm_model,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_free(model: *mut gm_model);
    pub fn gm_model_kind(model: *const gm_model) -> *const c_char;
    pub fn gm_model_capabilities(model: *const gm_model, out: *mut u32, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_config_json(model: *const gm_model, out: *mut *mut gm_buffer, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_is_fitted(model: *const gm_model, out: *mut i32, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_data_shape(
        model: *const gm_model,
        d: *mut i64,
        channels: *mut i64,
        height: *mut i64,
        width: *mut i64,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_levels(model: *const gm_model, out: *mut i64, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_encode_dim(model: *const gm_model, out: *mut i64, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_latent_dim(model: *const gm_model, out: *mut i64, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_condition(model: *const gm_model, kind: *mut i32, dim: *mut i64, err: *mut *mut gm_error) -> i32;

    pub fn gm_model_fit(
        model: *mut gm_model,
        data: *const gm_data,
        opts: *const gm_fit_options,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_sample(
        model: *const gm_model,
        n: i64,
        opts: *const gm_sample_options,
        out: *mut f32,
        out_capacity: i64,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_log_prob(
        model: *const gm_model,
        data: *const gm_data,
        opts: *const gm_score_options,
        out: *mut f64,
        out_capacity: i64,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_encode(
        model: *const gm_model,
        data: *const gm_data,
        opts: *const gm_score_options,
        out: *mut f32,
        out_capacity: i64,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_decode(
        model: *const gm_model,
        codes: *const gm_data,
        opts: *const gm_sample_options,
        out: *mut f32,
        out_capacity: i64,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_complete(
        model: *const gm_model,
        data: *const gm_data,
        observed: *const u8,
        opts: *const gm_sample_options,
        out: *mut f32,
        out_capacity: i64,
        err: *mut *mut gm_error,
    ) -> i32;

    pub fn gm_translate_options_init_sized(opts: *mut gm_translate_options, struct_size: u32);
    pub fn gm_model_translate(
        model: *const gm_model,
        x: *const gm_data,
        opts: *const gm_translate_options,
        out: *mut f32,
        out_capacity: i64,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_domains_json(model: *const gm_model, out: *mut *mut gm_buffer, err: *mut *mut gm_error) -> i32;

    /// Appended with puzzlegan: whole images from k key patches each.
    pub fn gm_model_complete_from_parts(
        model: *const gm_model,
        patches: *const gm_data,
        positions: *const i64,
        k: i64,
        opts: *const gm_sample_options,
        out: *mut f32,
        out_capacity: i64,
        err: *mut *mut gm_error,
    ) -> i32;

    pub fn gm_model_save(model: *const gm_model, path: *const c_char, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_load(path: *const c_char, out: *mut *mut gm_model, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_save_checkpoint(model: *const gm_model, path: *const c_char, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_training_progress(
        model: *const gm_model,
        epochs_done: *mut i64,
        epochs_planned: *mut i64,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_save_buffer(model: *const gm_model, out: *mut *mut gm_buffer, err: *mut *mut gm_error) -> i32;
    pub fn gm_model_load_buffer(
        data: *const c_void,
        size: i64,
        out: *mut *mut gm_model,
        err: *mut *mut gm_error,
    ) -> i32;

    pub fn gm_dataset_load(
        spec: *const c_char,
        opts: *const gm_dataset_options,
        out: *mut *mut gm_dataset,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_dataset_free(ds: *mut gm_dataset);
    pub fn gm_dataset_view_sized(
        ds: *const gm_dataset,
        out: *mut gm_data,
        struct_size: u32,
        err: *mut *mut gm_error,
    ) -> i32;

    pub fn gm_png_grid_write(path: *const c_char, images: *const gm_data, columns: i64, err: *mut *mut gm_error)
        -> i32;
    pub fn gm_text_features_compute(sentence: *const c_char, dim: i64, out: *mut f32, err: *mut *mut gm_error) -> i32;
    /// Appended with versioned sentence features (issue 17).
    pub fn gm_text_features_compute_v(
        sentence: *const c_char,
        version: *const c_char,
        dim: i64,
        out: *mut f32,
        err: *mut *mut gm_error,
    ) -> i32;
    pub fn gm_model_text_features(
        model: *const gm_model,
        sentence: *const c_char,
        out: *mut f32,
        err: *mut *mut gm_error,
    ) -> i32;
}

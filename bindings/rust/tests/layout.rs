//! The `sys` structs and constants against genmodels.h as the C compiler lays them out.
//! bindings/run_tests.sh compiles bindings/layout/print_layout.c and points
//! `GENMODELS_LAYOUT_JSON` at its output; without it this test says so and passes.
//! Offsets come from raw pointers into a `MaybeUninit` (std::mem::offset_of! needs Rust
//! 1.77; this crate supports 1.63).
use genmodels::sys;
use std::collections::BTreeMap;
use std::mem::{align_of, size_of, MaybeUninit};

/// A JSON value, as much of JSON as print_layout.c writes.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Num(i64),
    Str(String),
    List(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

fn parse(text: &str) -> Json {
    fn skip(b: &[u8], i: &mut usize) {
        while *i < b.len() && (b[*i] as char).is_ascii_whitespace() {
            *i += 1;
        }
    }
    fn value(b: &[u8], i: &mut usize) -> Json {
        skip(b, i);
        match b[*i] {
            b'{' => {
                *i += 1;
                let mut m = BTreeMap::new();
                loop {
                    skip(b, i);
                    if b[*i] == b'}' {
                        *i += 1;
                        return Json::Obj(m);
                    }
                    let key = match value(b, i) {
                        Json::Str(s) => s,
                        other => panic!("a key must be a string, got {other:?}"),
                    };
                    skip(b, i);
                    assert_eq!(b[*i], b':');
                    *i += 1;
                    m.insert(key, value(b, i));
                    skip(b, i);
                    if b[*i] == b',' {
                        *i += 1;
                    }
                }
            }
            b'[' => {
                *i += 1;
                let mut v = Vec::new();
                loop {
                    skip(b, i);
                    if b[*i] == b']' {
                        *i += 1;
                        return Json::List(v);
                    }
                    v.push(value(b, i));
                    skip(b, i);
                    if b[*i] == b',' {
                        *i += 1;
                    }
                }
            }
            b'"' => {
                let start = *i + 1;
                *i = start;
                while b[*i] != b'"' {
                    *i += 1;
                }
                *i += 1;
                Json::Str(String::from_utf8(b[start..*i - 1].to_vec()).unwrap())
            }
            _ => {
                let start = *i;
                while *i < b.len() && (b[*i] == b'-' || b[*i].is_ascii_digit()) {
                    *i += 1;
                }
                Json::Num(std::str::from_utf8(&b[start..*i]).unwrap().parse().unwrap())
            }
        }
    }
    value(text.as_bytes(), &mut 0)
}

fn get<'a>(j: &'a Json, key: &str) -> &'a Json {
    match j {
        Json::Obj(m) => m.get(key).unwrap_or_else(|| panic!("no {key:?} in the layout")),
        _ => panic!("not an object"),
    }
}

fn num(j: &Json) -> i64 {
    match j {
        Json::Num(n) => *n,
        _ => panic!("not a number: {j:?}"),
    }
}

/// [name, offset, size] of each field, in declaration order.
type Fields = Vec<(String, usize, usize)>;

fn size_of_pointee<T>(_: *const T) -> usize {
    size_of::<T>()
}

/// (C name, size, alignment, fields) of `$t`: offsets from pointers into an uninitialised value.
macro_rules! fields {
    ($name:literal, $t:ty; $($field:ident),* $(,)?) => {{
        let value = MaybeUninit::<$t>::uninit();
        let base = value.as_ptr();
        let mut out: Fields = Vec::new();
        $(
            // SAFETY: addr_of! computes the address without reading the uninitialised field.
            let p = unsafe { std::ptr::addr_of!((*base).$field) };
            out.push((stringify!($field).to_string(), p as usize - base as usize, size_of_pointee(p)));
        )*
        ($name, size_of::<$t>(), align_of::<$t>(), out)
    }};
}

fn object(j: &Json) -> &BTreeMap<String, Json> {
    match j {
        Json::Obj(m) => m,
        _ => panic!("not an object: {j:?}"),
    }
}

#[test]
fn structs_and_constants_match_genmodels_h() {
    let path = match std::env::var("GENMODELS_LAYOUT_JSON") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("GENMODELS_LAYOUT_JSON is not set (bindings/run_tests.sh sets it): layout not checked");
            return;
        }
    };
    let layout = parse(&std::fs::read_to_string(&path).unwrap());

    let ours = vec![
        fields!("gm_data", sys::gm_data; struct_size, x, n, d, channels, height, width, labels, num_classes,
                conditions, condition_dim, levels),
        fields!("gm_fit_options", sys::gm_fit_options; struct_size, epochs, batch_size, learning_rate, seed, threads,
                progress, user_data, validation_fraction, patience, epoch_callback, epoch_user_data, warm_start,
                checkpoint_every, checkpoint_path, distributed, mpi_comm, sync_batch_norm, sharded),
        fields!("gm_epoch_report", sys::gm_epoch_report; struct_size, epoch, last_epoch, train_loss, validation_loss,
                best_epoch, discriminator_loss, generator_loss, images_per_second, epoch_seconds, elapsed_seconds,
                eta_seconds, stopping),
        fields!("gm_sample_options", sys::gm_sample_options; struct_size, seed, threads, labels, conditions,
                condition_dim, stage, truncation),
        fields!("gm_score_options", sys::gm_score_options; struct_size, seed, threads, samples),
        fields!("gm_dataset_options", sys::gm_dataset_options; struct_size, binarize, max_examples, levels),
        fields!("gm_translate_options", sys::gm_translate_options; struct_size, seed, threads, domain, domain_name,
                domains),
    ];
    let structs = get(&layout, "structs");
    let all = object(structs);
    assert_eq!(all.len(), ours.len(), "genmodels.h has structs sys.rs does not check: {:?}", all.keys());
    for (c_name, size, align, fields) in ours {
        let c = get(structs, c_name);
        let c_fields: Fields = match get(c, "fields") {
            Json::List(v) => v
                .iter()
                .map(|f| match f {
                    Json::List(t) => match &t[0] {
                        Json::Str(s) => (s.clone(), num(&t[1]) as usize, num(&t[2]) as usize),
                        _ => panic!("bad field {f:?}"),
                    },
                    _ => panic!("bad field {f:?}"),
                })
                .collect(),
            _ => panic!("fields is not a list"),
        };
        assert_eq!(fields, c_fields, "{c_name}: [name, offset, size] of sys.rs against genmodels.h");
        assert_eq!(size as i64, num(get(c, "size")), "{c_name}: size");
        assert_eq!(align as i64, num(get(c, "align")), "{c_name}: alignment");
    }

    let constants = get(&layout, "constants");
    let c = |name: &str| num(get(constants, name));
    let ours: &[(&str, i64)] = &[
        ("GM_ABI_VERSION", sys::GM_ABI_VERSION as i64),
        ("GM_OK", sys::GM_OK as i64),
        ("GM_INVALID_ARGUMENT", sys::GM_INVALID_ARGUMENT as i64),
        ("GM_UNSUPPORTED", sys::GM_UNSUPPORTED as i64),
        ("GM_BUFFER_TOO_SMALL", sys::GM_BUFFER_TOO_SMALL as i64),
        ("GM_INVALID_DATA", sys::GM_INVALID_DATA as i64),
        ("GM_INVALID_CONFIG", sys::GM_INVALID_CONFIG as i64),
        ("GM_UNKNOWN_KIND", sys::GM_UNKNOWN_KIND as i64),
        ("GM_NOT_FITTED", sys::GM_NOT_FITTED as i64),
        ("GM_IO_ERROR", sys::GM_IO_ERROR as i64),
        ("GM_CORRUPT_FILE", sys::GM_CORRUPT_FILE as i64),
        ("GM_CANCELLED", sys::GM_CANCELLED as i64),
        ("GM_DIVERGED", sys::GM_DIVERGED as i64),
        ("GM_OUT_OF_MEMORY", sys::GM_OUT_OF_MEMORY as i64),
        ("GM_VERSION_MISMATCH", sys::GM_VERSION_MISMATCH as i64),
        ("GM_INTERNAL", sys::GM_INTERNAL as i64),
        ("GM_CAP_FIT", sys::GM_CAP_FIT as i64),
        ("GM_CAP_SAMPLE", sys::GM_CAP_SAMPLE as i64),
        ("GM_CAP_LOG_PROB", sys::GM_CAP_LOG_PROB as i64),
        ("GM_CAP_ENCODE", sys::GM_CAP_ENCODE as i64),
        ("GM_CAP_DECODE", sys::GM_CAP_DECODE as i64),
        ("GM_CAP_COMPLETE", sys::GM_CAP_COMPLETE as i64),
        ("GM_CAP_TRANSLATE", sys::GM_CAP_TRANSLATE as i64),
        ("GM_CAP_CONDITIONAL", sys::GM_CAP_CONDITIONAL as i64),
        ("GM_CAP_BINARY_DATA", sys::GM_CAP_BINARY_DATA as i64),
        ("GM_CAP_EXACT_LOG_PROB", sys::GM_CAP_EXACT_LOG_PROB as i64),
        ("GM_CAP_LEVELS", sys::GM_CAP_LEVELS as i64),
        ("GM_CAP_COMPLETE_FROM_PARTS", sys::GM_CAP_COMPLETE_FROM_PARTS as i64),
        ("GM_CONDITION_NONE", sys::GM_CONDITION_NONE as i64),
        ("GM_CONDITION_LABEL", sys::GM_CONDITION_LABEL as i64),
        ("GM_CONDITION_VECTOR", sys::GM_CONDITION_VECTOR as i64),
        ("GM_CONDITION_TEXT", sys::GM_CONDITION_TEXT as i64),
    ];
    let all = object(constants);
    assert_eq!(all.len(), ours.len(), "genmodels.h has constants sys.rs does not check: {:?}", all.keys());
    for (name, value) in ours {
        assert_eq!(*value, c(name), "{name}");
    }
}

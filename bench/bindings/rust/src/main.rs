//! Per-call overhead of the Rust binding's log_prob versus the direct C call (through the
//! raw `sys` declarations, which add nothing), in one process. Prints "rust <direct ns> <binding ns>".
use genmodels::{sys, Data, EvalOptions, FitOptions, Model};
use std::time::Instant;

const D: usize = 784;

fn direct_ns(m: &Model, x: &[f32], calls: u32) -> f64 {
    let mut v: sys::gm_data = unsafe { std::mem::zeroed() };
    v.struct_size = std::mem::size_of::<sys::gm_data>() as u32;
    v.x = x.as_ptr();
    v.n = 1;
    v.d = D as i64;
    let o = sys::gm_eval_options {
        struct_size: std::mem::size_of::<sys::gm_eval_options>() as u32,
        seed: 0,
        threads: 1,
        samples: 0,
    };
    let mut out = 0f64;
    let t0 = Instant::now();
    let mut sink = 0.0; // FFI calls cannot be optimised away; the sink keeps the results used
    for _ in 0..calls {
        unsafe { sys::gm_model_log_prob(m.as_ptr(), &v, &o, &mut out, 1, std::ptr::null_mut()) };
        sink += out;
    }
    let ns = t0.elapsed().as_nanos() as f64 / calls as f64;
    assert!(sink < 0.0);
    ns
}

fn binding_ns(m: &Model, x: &[f32], calls: u32) -> f64 {
    let opts = EvalOptions { threads: 1, ..Default::default() };
    let t0 = Instant::now();
    let mut sink = 0.0;
    for _ in 0..calls {
        sink += m.log_prob(&Data::new(x, D), &opts).unwrap()[0];
    }
    let ns = t0.elapsed().as_nanos() as f64 / calls as f64;
    assert!(sink < 0.0);
    ns
}

/// The fastest round: the per-call cost with the least interference.
fn min(v: Vec<f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

fn main() {
    let train: Vec<f32> =
        (0..200usize).flat_map(|i| (0..D).map(move |j| if (i * 31 + j * 17) % 7 < 3 { 1.0 } else { 0.0 })).collect();
    let mut m = Model::new("bernoulli", "").unwrap();
    m.fit(&Data::new(&train, D), &FitOptions::default()).unwrap();
    let one = &train[..D];
    let calls = 1000;
    direct_ns(&m, one, calls);
    binding_ns(&m, one, calls);
    let (mut d, mut b) = (Vec::new(), Vec::new());
    for _ in 0..101 {
        d.push(direct_ns(&m, one, calls));
        b.push(binding_ns(&m, one, calls));
    }
    println!("rust {:.1} {:.1}", min(d), min(b));
}

//! M-level pixels through the Rust wrapper (docs/levels.md): `Data::levels`,
//! `DatasetOptions::levels`, `Model::levels`, and the errors.
use genmodels::{Capabilities, Data, Dataset, DatasetOptions, FitOptions, Model, ScoreOptions, Status};

/// Every 2x2 image of 4 levels: row k holds the base-4 digits of k.
fn all_2x2_m4() -> Vec<f32> {
    (0..256u32).flat_map(|k| (0..4).map(move |j| ((k >> (2 * j)) & 3) as f32)).collect()
}

fn train() -> Vec<f32> {
    let mut s = 12345u32;
    (0..64 * 4)
        .map(|_| {
            s = s.wrapping_mul(1103515245).wrapping_add(12345);
            ((s >> 16) % 4) as f32
        })
        .collect()
}

#[test]
fn categorical_normalises_and_keeps_its_levels() {
    assert!(genmodels::kind_capabilities("categorical").unwrap().contains(Capabilities::LEVELS));
    let mut m = Model::new("categorical", r#"{"alpha": 0.5}"#).unwrap();
    assert_eq!(m.levels().unwrap(), 2);
    let x = train();
    m.fit(&Data::new(&x, 4).image(1, 2, 2).levels(4), &FitOptions::default()).unwrap();
    assert_eq!(m.levels().unwrap(), 4);
    let all = all_2x2_m4();
    let lp = m.log_prob(&Data::new(&all, 4).levels(4), &ScoreOptions::default()).unwrap();
    let total: f64 = lp.iter().map(|v| v.exp()).sum();
    assert!((total - 1.0).abs() < 1e-9, "total {total}");
    let err = m.log_prob(&Data::new(&all, 4).levels(5), &ScoreOptions::default()).unwrap_err();
    assert_eq!(err.status, Status::InvalidData);
    assert!(err.message.contains("the data has 5 levels"), "{}", err.message);
}

#[test]
fn datasets_quantise() {
    let opts = DatasetOptions { levels: 4, ..Default::default() };
    let ds = Dataset::load("builtin:bars-and-stripes:3", &opts).unwrap();
    assert!(ds.data().values().iter().all(|&v| v == 0.0 || v == 3.0));
    let mut b = Model::new("bernoulli", "{}").unwrap();
    assert_eq!(b.fit(&ds.data(), &FitOptions::default()).unwrap_err().status, Status::InvalidData);
    let bad = DatasetOptions { levels: 300, ..Default::default() };
    assert_eq!(Dataset::load("builtin:bars-and-stripes:3", &bad).err().unwrap().status, Status::InvalidArgument);
}

#[test]
fn pixelcnn_fits_levels() {
    let mut m = Model::new("pixelcnn", r#"{"channels": 4, "layers": 1, "first_kernel": 3}"#).unwrap();
    let x = train();
    let opts = FitOptions { epochs: 3, batch_size: 16, ..Default::default() };
    m.fit(&Data::new(&x, 4).image(1, 2, 2).levels(4), &opts).unwrap();
    assert_eq!(m.levels().unwrap(), 4);
    let all = all_2x2_m4();
    let lp = m.log_prob(&Data::new(&all, 4).image(1, 2, 2), &ScoreOptions::default()).unwrap();
    let total: f64 = lp.iter().map(|v| v.exp()).sum();
    assert!((total - 1.0).abs() < 1e-5, "total {total}");
}

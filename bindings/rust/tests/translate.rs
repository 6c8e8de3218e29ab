//! `Model::translate` and `Model::domains_json` (gm_model_translate): a fitted cyclegan by
//! name, index and row, and the errors of a kind that does not translate.
use genmodels::{Capabilities, Data, Domain, FitOptions, Model, Status, TranslateOptions};

#[test]
fn a_kind_without_translate_says_so() {
    assert!(!genmodels::kind_capabilities("nade").unwrap().contains(Capabilities::TRANSLATE));
    let x: Vec<f32> = (0..64).map(|i| ((i * 7) % 3 == 0) as u8 as f32).collect();
    let mut m = Model::new("bernoulli", "").unwrap();
    m.fit(&Data::new(&x, 16), &FitOptions::default()).unwrap();
    let per_row = [0i32; 4];
    for to in [Domain::Index(1), Domain::Name("b"), Domain::PerRow(&per_row)] {
        let err = m.translate(&Data::new(&x, 16), to, &TranslateOptions::default()).unwrap_err();
        assert_eq!(err.status, Status::Unsupported, "{to:?}");
        assert!(err.message.contains("translate"), "{}", err.message);
    }
    assert_eq!(m.domains_json().unwrap_err().status, Status::Unsupported);
}

#[test]
fn per_row_targets_need_one_per_row() {
    let x = vec![0f32; 64];
    let mut m = Model::new("bernoulli", "").unwrap();
    m.fit(&Data::new(&x, 16), &FitOptions::default()).unwrap();
    let err = m.translate(&Data::new(&x, 16), Domain::PerRow(&[0, 0, 0]), &TranslateOptions::default()).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
}

#[test]
fn a_fitted_cyclegan_translates_by_name_index_and_row() {
    assert!(genmodels::kind_capabilities("cyclegan").unwrap().contains(Capabilities::TRANSLATE));
    // 16 images 1×8×8, labels r mod 2: domain b (odd rows) is brighter.
    let x: Vec<f32> = (0..16 * 64)
        .map(|i| ((i * 37) % 11) as f32 / 22.0 + if (i / 64) % 2 == 1 { 0.5 } else { 0.0 })
        .collect();
    let labels: Vec<i32> = (0..16).map(|r| r % 2).collect();
    let data = Data::new(&x, 64).image(1, 8, 8).labels(&labels, 2);
    let mut m = Model::new("cyclegan", r#"{"ngf": 2, "ndf": 2, "n_res": 1}"#).unwrap();
    let opts = FitOptions { epochs: 1, batch_size: 8, threads: 1, ..FitOptions::default() };
    m.fit(&data, &opts).unwrap();
    assert_eq!(m.domains_json().unwrap(), r#"["a","b"]"#);
    let rows = Data::new(&x, 64).image(1, 8, 8);
    let t = TranslateOptions::default();
    let to_b = m.translate(&rows, Domain::Name("b"), &t).unwrap();
    assert_eq!(to_b.len(), x.len());
    assert!(to_b.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(m.translate(&rows, Domain::Index(1), &t).unwrap(), to_b);
    let to_a = m.translate(&rows, Domain::Index(0), &t).unwrap();
    let mixed = m.translate(&rows, Domain::PerRow(&labels), &t).unwrap();
    for r in 0..16 {
        let want = if r % 2 == 1 { &to_b } else { &to_a };
        assert_eq!(mixed[r * 64..(r + 1) * 64], want[r * 64..(r + 1) * 64], "row {r}");
    }
    let err = m.translate(&rows, Domain::Name("c"), &t).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.contains(r#""a", "b""#), "{}", err.message);
}

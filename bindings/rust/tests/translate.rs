//! `Model::translate` and `Model::domains_json` (gm_model_translate): the errors of a kind that
//! does not translate. The translating kinds (cyclegan, stargan, issue 15) add their cases as
//! they land.
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

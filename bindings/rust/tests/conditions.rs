//! Sentences from Rust: `text_features` (gm_text_features_compute_v) and `Model::text_features`
//! (gm_model_text_features) on a text cgan with the learned encoder, fitted and sampled with
//! condition vectors.
use genmodels::{Condition, Data, FitOptions, Model, SampleOptions, Status};

#[test]
fn versions_of_the_sentence_features() {
    let v1 = genmodels::text_features("red dresses", 64, "words-v1").unwrap();
    let norm: f32 = v1.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    let plural = genmodels::text_features("red dresses", 64, "subword-v2").unwrap();
    let singular = genmodels::text_features("red dress", 64, "subword-v2").unwrap();
    assert!(plural.iter().zip(&singular).map(|(a, b)| a * b).sum::<f32>() > 0.5);
    let err = genmodels::text_features("a", 64, "words-v9").unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
}

#[test]
fn a_text_cgan_fitted_and_sampled_from_sentences() {
    let (n, dim, version) = (32usize, 64usize, "subword-ids-v3");
    let x: Vec<f32> = (0..n * 64).map(|i| ((i * 7919) % 10 < 3) as u8 as f32).collect();
    let sentences = ["red dresses", "ankle boots"];
    let mut c = Vec::new();
    for r in 0..n {
        c.extend(genmodels::text_features(sentences[r % 2], dim, version).unwrap());
    }
    let config =
        r#"{"ngf": 4, "ndf": 4, "latent": 8, "condition": "text", "text_features": "subword-ids-v3", "embed": 8}"#;
    let mut m = Model::new("cgan", config).unwrap();
    let fit = FitOptions { epochs: 1, batch_size: 16, threads: 1, seed: 1, ..FitOptions::default() };
    m.fit(&Data::new(&x, 64).image(1, 8, 8).conditions(&c, dim), &fit).unwrap();
    assert_eq!(m.condition().unwrap(), Condition::Text { dim });
    let boots = m.text_features("ankle boots").unwrap();
    assert_eq!(boots, c[dim..2 * dim]);
    let three: Vec<f32> = boots.iter().copied().cycle().take(3 * dim).collect();
    let opts = SampleOptions { seed: 5, conditions: Some(&three), condition_dim: dim, ..SampleOptions::default() };
    let out = m.sample(3, &opts).unwrap();
    assert_eq!(out.len(), 3 * 64);
    assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));

    let mut b = Model::new("bernoulli", "").unwrap();
    b.fit(&Data::new(&x, 64), &FitOptions::default()).unwrap();
    assert_eq!(b.text_features("ankle boots").unwrap_err().status, Status::Unsupported);
}

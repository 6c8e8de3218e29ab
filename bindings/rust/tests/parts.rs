//! `Model::complete_from_parts` (gm_model_complete_from_parts) on a tiny fitted puzzlegan, and
//! `SampleOptions::stage` on a tiny progan grown through its three stages, and
//! `SampleOptions::truncation` on a tiny gan.
use genmodels::{Capabilities, Data, FitOptions, Model, SampleOptions, Status};

const S: usize = 8;
const P: usize = 4;

/// 12 grey 8×8 images: a bright 3×3 square on a dark background, placed by the row number.
fn squares() -> Vec<f32> {
    let mut x = vec![0.1f32; 12 * S * S];
    for r in 0..12 {
        for i in r % 5..r % 5 + 3 {
            for j in (r * 3) % 5..(r * 3) % 5 + 3 {
                x[r * S * S + i * S + j] = 0.9;
            }
        }
    }
    x
}

#[test]
fn puzzlegan_images_from_two_patches_each() {
    assert!(genmodels::kind_capabilities("puzzlegan").unwrap().contains(Capabilities::COMPLETE_FROM_PARTS));
    let x = squares();
    let mut m =
        Model::new("puzzlegan", r#"{"parts": 2, "patch_size": 4, "nef": 2, "ngf": 2, "ndf": 2, "noise": 2}"#).unwrap();
    let fit = FitOptions { epochs: 1, batch_size: 6, threads: 1, seed: 3, ..FitOptions::default() };
    m.fit(&Data::new(&x, S * S).image(1, S, S), &fit).unwrap();

    // Images 0..3, patches at (0, 0) and (4, 3).
    let mut patches = Vec::new();
    let mut positions = Vec::new();
    for r in 0..3 {
        for (top, left) in [(0usize, 0usize), (4, 3)] {
            positions.push([top as i64, left as i64]);
            for i in 0..P {
                for j in 0..P {
                    patches.push(x[r * S * S + (top + i) * S + left + j]);
                }
            }
        }
    }
    let parts = Data::new(&patches, P * P).image(1, P, P);
    let opts = SampleOptions { seed: 5, ..SampleOptions::default() };
    let out = m.complete_from_parts(&parts, &positions, 2, &opts).unwrap();
    assert_eq!(out.len(), 3 * S * S);
    assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
    let two_threads = SampleOptions { threads: 2, ..opts };
    assert_eq!(m.complete_from_parts(&parts, &positions, 2, &two_threads).unwrap(), out);

    let status = |r: genmodels::Result<Vec<f32>>| r.unwrap_err().status;
    assert_eq!(status(m.complete_from_parts(&parts, &positions[..5], 2, &opts)), Status::InvalidArgument);
    assert_eq!(status(m.complete_from_parts(&parts, &positions, 0, &opts)), Status::InvalidArgument);
    assert_eq!(status(m.complete_from_parts(&parts, &positions, 4, &opts)), Status::InvalidArgument);
    let mut outside = positions.clone();
    outside[1][1] = (S - P + 1) as i64;
    assert_eq!(status(m.complete_from_parts(&parts, &outside, 2, &opts)), Status::InvalidArgument);
    let small = Data::new(&patches[..6 * 4], 4).image(1, 2, 2);
    assert_eq!(status(m.complete_from_parts(&small, &positions, 2, &opts)), Status::InvalidData);

    let mut b = Model::new("bernoulli", "").unwrap();
    let bits: Vec<f32> = x.iter().map(|v| (*v > 0.5) as u8 as f32).collect();
    b.fit(&Data::new(&bits, S * S), &FitOptions::default()).unwrap();
    assert_eq!(status(b.complete_from_parts(&parts, &positions, 2, &opts)), Status::Unsupported);
}

#[test]
fn progan_samples_at_a_lower_stage() {
    const N: usize = 16;
    const W: usize = 16;
    let x: Vec<f32> = (0..N * W * W).map(|i| ((i * 2654435761usize) % 1000) as f32 / 1000.0).collect();
    let config =
        r#"{"latent": 8, "fmap_base": 16, "fmap_max": 8, "fade_images": 8, "stable_images": 8, "mbstd_group": 4}"#;
    let mut m = Model::new("progan", config).unwrap();
    let fit = FitOptions { epochs: 3, batch_size: 8, threads: 1, seed: 5, ..FitOptions::default() };
    m.fit(&Data::new(&x, W * W).image(1, W, W), &fit).unwrap(); // 48 images: stage 3, stable
    let at = |stage| m.sample(2, &SampleOptions { seed: 11, stage, ..SampleOptions::default() });
    let low = at(1).unwrap(); // 4×4, upsampled (nearest) to 16×16: constant on 4×4 cells
    for r in 0..2 {
        for i in 0..W {
            for j in 0..W {
                assert_eq!(low[r * W * W + i * W + j], low[r * W * W + (i / 4 * 4) * W + j / 4 * 4]);
            }
        }
    }
    let top = at(3).unwrap();
    assert_eq!(at(0).unwrap(), top);
    assert_ne!(top, low);
    assert_eq!(at(4).unwrap_err().status, Status::InvalidArgument);
}

#[test]
fn gan_samples_with_truncation() {
    let x: Vec<f32> = (0..20 * 9).map(|i| ((i * 2654435761usize) % 1000 >= 500) as u8 as f32).collect();
    let mut m = Model::new("gan", r#"{"latent": 2, "g_hidden": [8], "d_hidden": [8]}"#).unwrap();
    let fit = FitOptions { epochs: 2, batch_size: 10, threads: 1, seed: 1, ..FitOptions::default() };
    m.fit(&Data::new(&x, 9), &fit).unwrap();
    let at = |truncation| m.sample(8, &SampleOptions { seed: 7, truncation, ..SampleOptions::default() });
    let out = at(0.5).unwrap();
    assert!(out.iter().all(|v| v.is_finite()));
    assert_eq!(at(0.5).unwrap(), out);
    assert_ne!(at(0.0).unwrap(), out);
    assert_eq!(at(-1.0).unwrap_err().status, Status::InvalidArgument);
    let mut b = Model::new("bernoulli", "").unwrap();
    b.fit(&Data::new(&x, 9), &FitOptions::default()).unwrap();
    let one = SampleOptions { truncation: 1.0, ..SampleOptions::default() };
    assert_eq!(b.sample(1, &one).unwrap_err().status, Status::InvalidArgument);
}

//! Issue 13 in the Rust binding: epoch reports, warm start, checkpoints, training progress.
use genmodels::{Dataset, DatasetOptions, EpochReport, FitOptions, Model, ScoreOptions, Status, TrainingProgress};
use std::ops::ControlFlow;

fn bars() -> Dataset {
    // 30 rows of 16 pixels
    Dataset::load("builtin:bars-and-stripes:4", &DatasetOptions::default()).unwrap()
}

fn opts(epochs: i64) -> FitOptions {
    FitOptions { epochs, batch_size: 10, seed: 7, threads: 1, ..Default::default() }
}

fn nade() -> Model {
    Model::new("nade", r#"{"hidden": 8}"#).unwrap()
}

fn log_prob(m: &Model, ds: &Dataset) -> Vec<f64> {
    m.log_prob(&ds.data(), &ScoreOptions::default()).unwrap()
}

#[test]
fn nade_reports_epochs_1_2_3() {
    let ds = bars();
    let mut m = nade();
    let mut reports: Vec<EpochReport> = Vec::new();
    m.fit_with_epochs(&ds.data(), &opts(3), |r| {
        reports.push(*r);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(reports.iter().map(|r| r.epoch).collect::<Vec<_>>(), [1, 2, 3]);
    for r in &reports {
        assert!(r.train_loss.is_finite() && r.train_loss > 0.0, "{r:?}");
        assert!(r.validation_loss.is_nan(), "{r:?}");
        assert_eq!(r.last_epoch, 3);
        assert!(!r.stopping);
    }
    assert_eq!(m.training_progress().unwrap(), TrainingProgress { epochs_done: 3, epochs_planned: 3 });
}

#[test]
fn break_cancels_and_a_panic_resumes_after_fit() {
    let ds = bars();
    let mut seen = Vec::new();
    let e = nade()
        .fit_with_epochs(&ds.data(), &opts(5), |r| {
            seen.push(r.epoch);
            if r.epoch >= 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap_err();
    assert_eq!(e.status, Status::Cancelled);
    assert_eq!(seen, [1, 2]);
    let caught = std::panic::catch_unwind(|| {
        let _ = nade().fit_with_epochs(&ds.data(), &opts(5), |_| panic!("stop here"));
    });
    assert!(caught.is_err());
}

#[test]
fn warm_start_one_plus_one_equals_two() {
    let ds = bars();
    let mut two = nade();
    two.fit(&ds.data(), &opts(2)).unwrap();
    let mut m = nade();
    m.fit(&ds.data(), &opts(1)).unwrap();
    m.fit(&ds.data(), &FitOptions { warm_start: true, ..opts(1) }).unwrap();
    assert_eq!(log_prob(&m, &ds), log_prob(&two, &ds));
    assert_eq!(m.training_progress().unwrap().epochs_done, 2);
}

#[test]
fn checkpoints() {
    let ds = bars();
    let dir = std::env::temp_dir().join(format!("genmodels-rs-training-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("nade.ckpt");
    let mut three = nade();
    three.fit(&ds.data(), &opts(3)).unwrap();
    let mut m = nade();
    m.fit(&ds.data(), &FitOptions { checkpoint_every: 2, checkpoint_path: Some(path.clone()), ..opts(2) }).unwrap();
    let mut resumed = Model::load(&path).unwrap();
    assert_eq!(resumed.training_progress().unwrap().epochs_done, 2);
    resumed.fit(&ds.data(), &FitOptions { warm_start: true, ..opts(1) }).unwrap();
    assert_eq!(log_prob(&resumed, &ds), log_prob(&three, &ds));
    three.save_checkpoint(dir.join("three.ckpt")).unwrap();
    assert_eq!(nade().save_checkpoint(dir.join("x.ckpt")).unwrap_err().status, Status::NotFitted);
    let mut markov = Model::new("markov", "").unwrap();
    markov.fit(&ds.data(), &FitOptions::default()).unwrap();
    assert_eq!(markov.save_checkpoint(dir.join("x.ckpt")).unwrap_err().status, Status::Unsupported);
    std::fs::remove_dir_all(&dir).unwrap();
}

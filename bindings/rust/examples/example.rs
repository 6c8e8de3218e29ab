//! Fit a Markov model on bars and stripes, score two images, draw a few and round-trip it.
use genmodels::{Data, Dataset, FitOptions, Model, SampleOptions, ScoreOptions, Status};
use std::ops::ControlFlow;

fn main() -> Result<(), genmodels::Error> {
    genmodels::check_abi()?;
    let bars = Dataset::load("builtin:bars-and-stripes:3", &Default::default())?;
    let mut model = Model::new("markov", r#"{"order": 2}"#)?;
    model.fit_with_progress(&bars.data(), &FitOptions::default(), |step, total, loss| {
        println!("fit {step}/{total} loss {loss:.4}");
        ControlFlow::Continue(()) // Break(()) would stop fit
    })?;

    let images = [
        1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, // stripes: likely
        1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, // a diagonal: unlikely
    ];
    let log_p = model.log_prob(&Data::new(&images, 9), &ScoreOptions::default())?;
    println!("log p = {:.3}, {:.3} nats", log_p[0], log_p[1]);
    let x = model.sample(2, &SampleOptions { seed: 1, ..Default::default() })?;
    for row in x.chunks(9) {
        let rows: Vec<String> = row.chunks(3).map(|r| r.iter().map(|v| v.to_string()).collect()).collect();
        println!("sample: {}", rows.join("/"));
    }

    let copy = Model::from_bytes(&model.to_bytes()?)?;
    let same = copy.log_prob(&Data::new(&images, 9), &ScoreOptions::default())? == log_p;
    println!("round trip identical: {}", if same { "yes" } else { "no" });

    match model.encode(&Data::new(&images, 9), &ScoreOptions::default()) {
        Err(e) if e.status == Status::Unsupported => println!("encode: {}", e.status.name()),
        other => println!("encode: {:?}", other.map(|v| v.len())),
    }
    Ok(())
}

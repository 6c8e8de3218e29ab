//! A user's Rust program: fit bernoulli on an .npy file and print the mean training NLL.
use genmodels::{Dataset, EvalOptions, FitOptions, Model};

fn main() -> Result<(), genmodels::Error> {
    let path = std::env::args().nth(1).expect("usage: myapp FILE.npy");
    let data = Dataset::load(&format!("npy:{path}"), &Default::default())?;
    let mut model = Model::new("bernoulli", "{}")?;
    model.fit(&data.data(), &FitOptions::default())?;
    let lp = model.log_prob(&data.data(), &EvalOptions::default())?;
    let nll = -lp.iter().sum::<f64>() / lp.len() as f64;
    println!("rust: nll {nll:.6}");
    Ok(())
}

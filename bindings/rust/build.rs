// Links libgenmodels. With GENMODELS_BUILD_DIR=<meson build folder>: its static archive
// <dir>/capi/libgenmodels.a. Otherwise the `pkg-config --static --libs genmodels` command
// (an installed library, or PKG_CONFIG_PATH=<build>/capi for a build tree), linking the
// archive when one is there and the shared library else. The private libraries (oneDNN,
// OpenMP, the C++ runtime...) come from the .pc file in both cases.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=GENMODELS_BUILD_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let (pc, force_static) = match env::var_os("GENMODELS_BUILD_DIR") {
        Some(dir) => {
            let capi = Path::new(&dir).join("capi");
            println!("cargo:rerun-if-changed={}", capi.join("libgenmodels.a").display());
            (capi.join("genmodels.pc").into_os_string(), true)
        }
        None => ("genmodels".into(), false),
    };
    let out = Command::new("pkg-config").args(["--static", "--libs"]).arg(&pc).output().unwrap_or_else(|e| {
        panic!("genmodels: cannot run pkg-config ({e}); install pkg-config or set GENMODELS_BUILD_DIR")
    });
    if !out.status.success() {
        panic!(
            "genmodels: `pkg-config --static --libs {}` failed: {}\nset GENMODELS_BUILD_DIR to a meson build folder \
             or PKG_CONFIG_PATH to where genmodels.pc is",
            pc.to_string_lossy(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let flags = String::from_utf8(out.stdout).expect("pkg-config output is UTF-8");
    let mut search: Vec<PathBuf> = Vec::new();
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            search.push(dir.into());
        } else if flag == "-lgenmodels" {
            let archive = search.iter().any(|d| d.join("libgenmodels.a").exists());
            if force_static && !archive {
                panic!("genmodels: no libgenmodels.a in {:?}; build the library first", search);
            }
            println!("cargo:rustc-link-lib={}=genmodels", if archive { "static" } else { "dylib" });
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        } else if flag == "-fopenmp" {
            println!("cargo:rustc-link-lib=gomp");
        } else if flag == "-pthread" {
            println!("cargo:rustc-link-lib=pthread");
        } else if flag.starts_with("-Wl,-rpath") {
            println!("cargo:rustc-link-arg={flag}"); // this crate's tests and examples only
        }
    }
}

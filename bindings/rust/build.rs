// Links libgenmodels statically, so a Rust binary needs no libgenmodels.so where it runs.
// With GENMODELS_BUILD_DIR=<meson build folder>: that folder's capi/genmodels-static.pc
// (its libgenmodels.a). Otherwise `pkg-config --libs genmodels-static`: an install under
// /usr or /usr/local needs nothing, another prefix PKG_CONFIG_PATH=<prefix>/lib/pkgconfig.
// An older install without genmodels-static.pc falls back to `pkg-config --static
// --libs genmodels`, linking the archive when one is there and the shared library else.
// The private libraries (oneDNN, OpenMP, libjpeg-turbo, zlib, the C++ runtime...) come from the
// .pc file, each -lNAME as cargo:rustc-link-lib=NAME.
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
            (capi.join("genmodels-static.pc").into_os_string(), true)
        }
        None => ("genmodels-static".into(), false),
    };
    let flags = match pkg_config(&["--libs"], &pc) {
        Ok(flags) => flags,
        Err(_) if !force_static => {
            pkg_config(&["--static", "--libs"], "genmodels".as_ref()).unwrap_or_else(|e| fail(&e))
        }
        Err(e) => fail(&e),
    };
    let mut search: Vec<PathBuf> = Vec::new();
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            search.push(dir.into());
        } else if flag == "-l:libgenmodels.a" {
            println!("cargo:rustc-link-lib=static=genmodels");
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

/// The output of `pkg-config ARGS PC`, or what went wrong.
fn pkg_config(args: &[&str], pc: &std::ffi::OsStr) -> Result<String, String> {
    let out = Command::new("pkg-config")
        .args(args)
        .arg(pc)
        .output()
        .map_err(|e| format!("cannot run pkg-config ({e}); install pkg-config"))?;
    if !out.status.success() {
        return Err(format!(
            "`pkg-config {} {}` failed: {}",
            args.join(" "),
            pc.to_string_lossy(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8(out.stdout).expect("pkg-config output is UTF-8"))
}

fn fail(why: &str) -> ! {
    panic!(
        "genmodels: {why}\nInstall genmodels (meson install), and if its prefix is not /usr or /usr/local set \
         PKG_CONFIG_PATH=<prefix>/lib/pkgconfig (the folder holding genmodels-static.pc); \
         or set GENMODELS_BUILD_DIR to a meson build folder"
    )
}

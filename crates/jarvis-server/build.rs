// The UI is embedded into jarvisd; say plainly when it has not been built.
fn main() {
    // Read at run time, not baked in with env!(): a build cache shared
    // between checkouts at different paths must look in this checkout.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = format!("{manifest}/../../src-ui/dist");
    println!("cargo:rerun-if-changed={dist}");
    if !std::path::Path::new(&dist).join("index.html").exists() {
        panic!(
            "src-ui/dist/index.html is missing: build the UI first \
             (`cd src-ui && npm ci && npm run build`, or run scripts/run)"
        );
    }
}

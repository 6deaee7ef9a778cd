// The UI is embedded into jarvisd; say plainly when it has not been built.
fn main() {
    let dist = concat!(env!("CARGO_MANIFEST_DIR"), "/../../src-ui/dist");
    println!("cargo:rerun-if-changed={dist}");
    if !std::path::Path::new(dist).join("index.html").exists() {
        panic!(
            "src-ui/dist/index.html is missing: build the UI first \
             (`cd src-ui && npm ci && npm run build`, or run scripts/run)"
        );
    }
}

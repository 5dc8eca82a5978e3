//! Compiles the contract in `proto/` with protox (no system protoc), generates the tonic
//! servers and clients, and saves the encoded descriptor set (with the `google.api.http` and
//! access options intact) for reflection and the REST gateway.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let mut files = Vec::new();
    collect_protos(Path::new("proto/janua"), &mut files)?;
    files.sort();
    // No Janua file imports the error detail types, yet every error carries them
    // (`google.rpc.ErrorInfo`, `BadRequest`, `RetryInfo`): compiled in, reflection serves
    // them, so `grpcurl` prints an error's details decoded instead of as base64.
    files.push(PathBuf::from("google/rpc/error_details.proto"));

    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // `encode_file_descriptor_set` keeps custom options; prost's re-encoding would drop them.
    std::fs::write(
        out_dir.join("janua_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .generate_default_stubs(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path.strip_prefix("proto").unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}

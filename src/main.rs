//! The `norman-mcp` binary: the command line lives in `cli/`.

mod cli;

/// Every request allocates many small buffers (HTTP, JSON, rmcp's per-request service);
/// mimalloc serves them faster than glibc's malloc under load (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}

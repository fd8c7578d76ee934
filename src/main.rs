//! The `pointauth` binary: everything happens in the library.

fn main() -> std::process::ExitCode {
    pointauth::main()
}

fn main() -> std::process::ExitCode {
    copbook::cli::run()
}

//! The `rds-iam` command: see `rds_iam::cli`.

fn main() {
    let code = rds_iam::cli::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}

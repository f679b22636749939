fn main() {
    std::process::exit(plandeck::cli::main());
}

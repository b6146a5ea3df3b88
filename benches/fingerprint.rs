//! Criterion benches for the fingerprint stage (filled in below).
fn main() {}

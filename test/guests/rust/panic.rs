// Rust panic guest: prints a line, then panics; with panic=abort on wasm32 the panic ends in an
// `unreachable` trap after the message is written to stderr.
fn main() {
    println!("before the panic");
    let v: Vec<u32> = std::env::args().skip(1).map(|a| a.parse().unwrap_or(0)).collect();
    if v.is_empty() {
        panic!("boom: no numbers given");
    }
    println!("sum = {}", v.iter().sum::<u32>());
}

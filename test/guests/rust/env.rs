// Rust std::env guest: prints argv and the environment (sorted), looks up a missing variable,
// and exits with the code in EXIT_CODE (if set) through std::process::exit.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("argc={}", args.len());
    for (i, a) in args.iter().enumerate() {
        println!("argv[{}]={:?}", i, a);
    }
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    for (k, v) in &vars {
        println!("env {}={:?}", k, v);
    }
    println!("MISSING is set: {}", std::env::var("MISSING").is_ok());
    if let Ok(code) = std::env::var("EXIT_CODE") {
        let code: i32 = code.parse().expect("EXIT_CODE must be an integer");
        eprintln!("exiting with {}", code);
        std::process::exit(code);
    }
}

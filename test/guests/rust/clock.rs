// Rust std::time guest: wall clock after 2020, monotonic Instant never goes back, thread::sleep
// lasts at least what it asked for, and HashMap's random seed (random_get) works.
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock before 1970");
    println!("after 2020: {}", since_epoch.as_secs() > 1_577_836_800);

    let start = Instant::now();
    let mut last = start;
    let mut backwards = 0;
    for _ in 0..1000 {
        let now = Instant::now();
        if now < last {
            backwards += 1;
        }
        last = now;
    }
    println!("monotonic went backwards: {} times", backwards);

    let before = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    println!("slept at least 20ms: {}", before.elapsed() >= Duration::from_millis(20));

    let mut m = HashMap::new();
    for i in 0..100 {
        m.insert(i, i * i);
    }
    println!("hashmap: {} entries, 9 -> {}", m.len(), m[&9]);
}

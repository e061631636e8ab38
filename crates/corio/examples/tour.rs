//! A first tour: spawn a thousand tasks and add up their results.
//!
//! Run with `cargo run --release -p corio --example tour`.

fn main() {
    let total = corio::run(async {
        let tasks: Vec<_> = (0..1000u64).map(|i| corio::create_task(async move { i * 2 })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    println!("{total}");
    assert_eq!(total, 999_000);
}

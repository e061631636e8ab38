//! Seed `000_6c219cbf8ab46d13.txt` "concurrent.futures.Future对象":
//! `ThreadPoolExecutor(5)` and `pool.submit(func, i)` for ten values, each
//! returning a `concurrent.futures.Future`. (The seed's `ProcessPoolExecutor`
//! has no corio counterpart: use `std::process` or threads.)
//!
//! In corio the user-owned pool is `ThreadPool`, and submitting from async
//! code is `run_in_executor`, which gives a `Task`.
//!
//! Run with `cargo run -p corio --example seed_thread_pool`.

use std::time::Duration;

fn func(value: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(5));
    println!("{value}");
    value
}

fn main() {
    let pool = corio::ThreadPool::new(5); // ThreadPoolExecutor(max_workers=5)
    let total = corio::run(async {
        let futs: Vec<_> = (0..10).map(|i| corio::run_in_executor(&pool, move || func(i))).collect();
        for fut in &futs {
            println!("{fut:?}");
        }
        let mut total = 0;
        for fut in futs {
            total += fut.await.unwrap();
        }
        total
    });
    println!("sum = {total}");
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}

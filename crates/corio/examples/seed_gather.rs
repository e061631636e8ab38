//! Seeds `001_16af2edd1f85fe62.txt` 2.2.1 "多任务的运行" and 2.2.3, and
//! `002_2726b7433830937b.txt` "并发多 task / asyncio.gather()": run several
//! coroutines concurrently and get their results as an ordered list.
//!
//! Run with `cargo run -p corio --example seed_gather`.

use std::time::Duration;

async fn coro(name: &'static str, ms: u64) -> String {
    corio::sleep(Duration::from_millis(ms)).await;
    format!("{name} slept {ms} ms")
}

fn main() {
    corio::run(async {
        // results = await asyncio.gather(coro1(), coro2()) — different types
        // are fine with the macro; results come back in argument order.
        let (a, b) = corio::gather!(coro("coro1", 30), async { 2 + 3 }).await.unwrap();
        println!("{a}; add3(2) = {b}");

        // asyncio.gather(*[coro1(), coro2()]) — the iterator form.
        let results = corio::gather((1..=5).map(|i| coro("task", 10 * (6 - i)))).await.unwrap();
        for r in &results {
            println!("{r}"); // input order, although the last finished first
        }

        // gather(..., return_exceptions=True): failures become values.
        let settled = corio::gather([10u64, 0, 5].map(|n| async move {
            if n == 0 {
                panic!("bad input");
            }
            100 / n
        }))
        .return_exceptions()
        .await;
        for r in settled {
            match r {
                Ok(v) => println!("ok {v}"),
                Err(e) => println!("error {e}"),
            }
        }
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}

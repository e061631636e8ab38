//! Seed `001_16af2edd1f85fe62.txt` 2.3.2 "异步生成器" and 2.3.3 "异步推导式":
//! an `async def` with `yield` that sleeps between values, `async for`
//! over it, `[item async for item in gen()]`, and `[await x for x in
//! awaitables]`.
//!
//! Rust has no async generators yet: the generator's body runs as a task
//! that puts each value into a bounded `Queue` (put waits for room, like a
//! generator waits for the next `anext`) and shuts the queue down when it
//! returns; `Queue::stream()` reads the values and ends there
//! (`StopAsyncIteration`). Dropping the generator cancels the task — like
//! `aclose()`. futures-lite's `StreamExt` gives `next` (`anext`) and
//! `collect` (the async comprehension).
//!
//! Run with `cargo run -p corio --example seed_async_generator`.

use std::time::Duration;

use corio::sync::{Fifo, Queue, QueueStream};
use futures_lite::{StreamExt, stream};

/// A generator: its body's task and the queue it yields into.
struct AsyncGenerator<T> {
    queue: Queue<T>,
    _body: corio::Task<()>,
}

impl<T: Send + 'static> AsyncGenerator<T> {
    /// Runs `body`, which yields with `y.put(value).await`.
    fn new<F, Fut>(body: F) -> AsyncGenerator<T>
    where
        F: FnOnce(Queue<T>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let queue = Queue::new(1);
        let fut = body(queue.clone());
        let done = queue.clone();
        let task = corio::create_task(async move {
            fut.await;
            done.shutdown(false); // return: the consumer drains, then stops
        });
        AsyncGenerator { queue, _body: task }
    }

    /// The values, for `async for`.
    fn iter(&self) -> QueueStream<'_, Fifo<T>> {
        self.queue.stream()
    }
}

/// `async def async_generator(): for i in range(10): await sleep; yield i`
fn numbers() -> AsyncGenerator<u32> {
    AsyncGenerator::new(|y| async move {
        for i in 0..10 {
            corio::sleep(Duration::from_millis(2)).await;
            let _ = y.put(i).await; // yield i
        }
    })
}

async fn fetch_data(item: u32) -> String {
    corio::sleep(Duration::from_millis(2)).await;
    format!("Data for {item}")
}

fn main() {
    corio::run(async {
        // async for result in async_generator(): print(result)
        let gen_ = numbers();
        let mut it = gen_.iter();
        while let Some(result) = it.next().await {
            print!("{result} ");
        }
        println!();

        // results = [item async for item in async_generator()]
        let results: Vec<u32> = numbers().iter().collect().await;
        assert_eq!(results, (0..10).collect::<Vec<_>>());
        println!("{results:?}");

        // [item async for item in gen() if item % 2 == 0]
        let evens: Vec<u32> = numbers().iter().filter(|i| i % 2 == 0).collect().await;
        println!("evens: {evens:?}");

        // async_list = [x * 2 for x in await get_data()] (and set, dict)
        let data = async { vec![1, 2, 3, 4, 5] }.await;
        let list: Vec<_> = data.iter().map(|x| x * 2).collect();
        let set: std::collections::BTreeSet<_> = data.iter().map(|x| x * 2).collect();
        let dict: std::collections::BTreeMap<_, _> = data.iter().map(|&x| (x, x * 2)).collect();
        println!("Async List: {list:?}\nAsync Set: {set:?}\nAsync Dict: {dict:?}");

        // results = [await x for x in awaitables] — one after the other.
        let awaitables: Vec<_> = (0..5).map(fetch_data).collect();
        let results: Vec<String> = stream::iter(awaitables).then(|x| x).collect().await;
        println!("{results:?}");
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}

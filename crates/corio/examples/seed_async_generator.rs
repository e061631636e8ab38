//! Seed `001_16af2edd1f85fe62.txt` 2.3.2 "异步生成器" and 2.3.3 "异步推导式":
//! an `async def` with `yield` that sleeps between values, `async for`
//! over it, `[item async for item in gen()]`, and `[await x for x in
//! awaitables]`.
//!
//! Rust has no async generators yet: the generator's body runs as a task
//! that sends each value into a bounded `Queue` (put waits for room, like
//! a generator waits for the next `anext`), and a `Stream` reads it. The
//! task is cancelled when the stream is dropped — like `aclose()`.
//!
//! Run with `cargo run -p corio --example seed_async_generator`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::sync::Queue;
use futures_core::Stream;

/// A stream fed by a producer task.
struct AsyncGenerator<T> {
    queue: Queue<Option<T>>,
    _producer: corio::Task<()>,
    next: Option<Pin<Box<dyn std::future::Future<Output = Option<T>> + Send>>>,
}

/// Turns "a body that yields through `y`" into a stream.
fn async_generator<T, F, Fut>(body: F) -> AsyncGenerator<T>
where
    T: Send + 'static,
    F: FnOnce(Queue<Option<T>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let queue = Queue::new(1);
    let tx = queue.clone();
    let fut = body(queue.clone());
    let producer = corio::create_task(async move {
        fut.await;
        let _ = tx.put(None).await; // StopAsyncIteration
    });
    AsyncGenerator { queue, _producer: producer, next: None }
}

impl<T: Send + 'static> Stream for AsyncGenerator<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.next.is_none() {
            let q = self.queue.clone();
            self.next = Some(Box::pin(async move { q.get().await.ok().flatten() }));
        }
        let item = std::task::ready!(self.next.as_mut().unwrap().as_mut().poll(cx));
        self.next = None;
        Poll::Ready(item)
    }
}

impl<T> Unpin for AsyncGenerator<T> {}

async fn anext<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// `async def async_generator(): for i in range(10): await sleep; yield i`
fn numbers() -> AsyncGenerator<u32> {
    async_generator(|y| async move {
        for i in 0..10 {
            corio::sleep(Duration::from_millis(2)).await;
            let _ = y.put(Some(i)).await; // yield i
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
        let mut gen_ = numbers();
        while let Some(result) = anext(&mut gen_).await {
            print!("{result} ");
        }
        println!();

        // results = [item async for item in async_generator()]
        let mut results = Vec::new();
        let mut gen_ = numbers();
        while let Some(item) = anext(&mut gen_).await {
            results.push(item);
        }
        println!("{results:?}");

        // async_list = [x * 2 for x in await get_data()] (and set, dict)
        let data = async { vec![1, 2, 3, 4, 5] }.await;
        let list: Vec<_> = data.iter().map(|x| x * 2).collect();
        let set: std::collections::BTreeSet<_> = data.iter().map(|x| x * 2).collect();
        let dict: std::collections::BTreeMap<_, _> = data.iter().map(|&x| (x, x * 2)).collect();
        println!("Async List: {list:?}\nAsync Set: {set:?}\nAsync Dict: {dict:?}");

        // results = [await x for x in awaitables] — one after the other.
        let awaitables: Vec<_> = (0..5).map(fetch_data).collect();
        let mut results = Vec::new();
        for x in awaitables {
            results.push(x.await);
        }
        println!("{results:?}");
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}

//! Seeds `000_6c219cbf8ab46d13.txt` "异步迭代器" (the `Reader` with
//! `readline`) and `001_16af2edd1f85fe62.txt` 2.3.1 (the counting
//! `AsyncIterator`, `async for`, `anext`).
//!
//! An async iterator is a `futures_core::Stream`: `poll_next` is
//! `__anext__`, `Ready(None)` is `StopAsyncIteration`. Without a
//! combinator crate, `async for` is `while let Some(x) = next(&mut s).await`.
//!
//! Run with `cargo run -p corio --example seed_async_iterator`.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

/// `anext(it)`: the next item of any `Unpin` stream.
async fn anext<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// Seed 001's `AsyncIterator`: counts 1..=10.
struct AsyncIterator {
    counter: u32,
}

impl Stream for AsyncIterator {
    type Item = u32;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.counter >= 10 {
            return Poll::Ready(None); // raise StopAsyncIteration
        }
        self.counter += 1;
        Poll::Ready(Some(self.counter))
    }
}

/// Seed 000's `Reader`: an async `readline` that ends at 100. A stream
/// whose step awaits something keeps that step's future in a field.
struct Reader {
    count: u32,
    pending: Option<Pin<Box<dyn std::future::Future<Output = Option<u32>> + Send>>>,
}

impl Reader {
    fn new() -> Reader {
        Reader { count: 0, pending: None }
    }

    /// `async def readline(self)`: one "line" per call, `None` at the end.
    fn readline(&mut self) -> impl std::future::Future<Output = Option<u32>> + Send + 'static {
        self.count += 1;
        let count = self.count;
        async move {
            corio::yield_now().await; // pretend to wait for I/O
            if count == 100 { None } else { Some(count) }
        }
    }
}

impl Stream for Reader {
    type Item = u32;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.pending.is_none() {
            let step = Box::pin(self.readline());
            self.pending = Some(step);
        }
        let val = std::task::ready!(self.pending.as_mut().unwrap().as_mut().poll(cx));
        self.pending = None;
        Poll::Ready(val) // `if val == None: raise StopAsyncIteration`
    }
}

fn main() {
    corio::run(async {
        // async for result in AsyncIterator(): print(result)
        let mut it = AsyncIterator { counter: 0 };
        while let Some(result) = anext(&mut it).await {
            print!("{result} ");
        }
        println!();

        // await anext(it) on a fresh iterator
        let mut it = AsyncIterator { counter: 0 };
        println!("anext: {:?}", anext(&mut it).await);

        // async for item in Reader(): print(item)
        let mut obj = Reader::new();
        let mut last = 0;
        while let Some(item) = anext(&mut obj).await {
            last = item;
        }
        println!("Reader yielded 1..={last}");
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}

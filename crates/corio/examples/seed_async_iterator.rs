//! Seeds `000_6c219cbf8ab46d13.txt` "异步迭代器" (the `Reader` with
//! `readline`) and `001_16af2edd1f85fe62.txt` 2.3.1 (the counting
//! `AsyncIterator`, `async for`, `anext`).
//!
//! An async iterator is a `futures_core::Stream`: `poll_next` is
//! `__anext__`, `Ready(None)` is `StopAsyncIteration`. With futures-lite's
//! `StreamExt`, `async for x in s` is `while let Some(x) = s.next().await`
//! and `await anext(s)` is `s.next().await`. corio's own sources are streams
//! too: `StreamReader::lines()`, `Queue::stream()`, `interval`, `Signal`,
//! `TcpListener::incoming()`.
//!
//! Run with `cargo run -p corio --example seed_async_iterator`.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_lite::{StreamExt, stream};

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
/// whose step awaits something is easiest written with `stream::unfold`:
/// the state goes in, the next item and the new state come out.
fn reader() -> impl Stream<Item = u32> {
    stream::unfold(0u32, |count| async move {
        let count = count + 1;
        corio::yield_now().await; // pretend to wait for I/O (readline)
        if count == 100 { None } else { Some((count, count)) } // `if val == None: raise StopAsyncIteration`
    })
}

fn main() {
    corio::run(async {
        // async for result in AsyncIterator(): print(result)
        let mut it = AsyncIterator { counter: 0 };
        while let Some(result) = it.next().await {
            print!("{result} ");
        }
        println!();

        // await anext(it) on a fresh iterator
        let mut it = AsyncIterator { counter: 0 };
        println!("anext: {:?}", it.next().await);

        // async for item in Reader(): print(item)
        let mut obj = Box::pin(reader());
        let mut last = 0;
        while let Some(item) = obj.next().await {
            last = item;
        }
        assert_eq!(last, 99);
        println!("Reader yielded 1..={last}");

        // The real thing: `async for line in stream_reader` over a connection.
        let (a, b) = corio::net::UnixStream::pair().unwrap();
        let (mut lines_in, _unused) = corio::streams::from_unix_stream(a);
        let (_unused2, writer) = corio::streams::from_unix_stream(b);
        writer.write(b"first line\nsecond line\nno newline at EOF");
        writer.close();
        writer.wait_closed().await;
        let mut lines = lines_in.lines();
        let mut n = 0;
        while let Some(line) = lines.next().await {
            let line = line.unwrap();
            n += 1;
            println!("line {n}: {:?}", String::from_utf8_lossy(&line));
        }
        assert_eq!(n, 3);
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}

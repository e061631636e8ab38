//! Seed `002_2726b7433830937b.txt` "Python 协程-asyncio、async/await":
//! "Task类提供了一种实现异步生产者消费者模型的途径" — producers put work on
//! an `asyncio.Queue`, consumer tasks take it, `queue.join()` waits until
//! every item was processed (`task_done`), then the consumers are cancelled.
//!
//! Run with `cargo run -p corio --example seed_producer_consumer`.

use std::time::Duration;

use corio::sync::Queue;

async fn producer(id: u32, queue: Queue<u32>) {
    for i in 0..5 {
        let item = id * 100 + i;
        queue.put(item).await.unwrap(); // waits while the queue is full
        println!("producer {id} put {item}");
    }
}

async fn consumer(id: u32, queue: Queue<u32>) {
    loop {
        let item = queue.get().await.unwrap();
        corio::sleep(Duration::from_millis(2)).await; // "process" it
        println!("consumer {id} got {item}");
        queue.task_done().unwrap();
    }
}

fn main() {
    corio::run(async {
        let queue = Queue::new(3); // asyncio.Queue(maxsize=3)
        let consumers: Vec<_> = (0..2).map(|id| corio::create_task(consumer(id, queue.clone()))).collect();
        let producers = corio::gather((0..3).map(|id| producer(id, queue.clone())));
        producers.await.unwrap();
        queue.join().await; // every item processed
        // for c in consumers: c.cancel() — here, dropping them cancels them.
        drop(consumers);
        println!("all work done");
    });
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main();
}

//! Seed `000_6c219cbf8ab46d13.txt` "实际的案例 / 异步和非异步的支持": download
//! images with the blocking `requests.get` through
//! `loop.run_in_executor(None, requests.get, url)`, then save each file.
//!
//! Offline here: the "download" is a blocking function that sleeps and
//! makes bytes, and the files go to a temporary directory.
//!
//! Run with `cargo run -p corio --example seed_run_in_executor_download`.

use std::path::PathBuf;
use std::time::Duration;

/// Stands in for `requests.get(url).content`: blocking, slow.
fn blocking_get(url: &str) -> Vec<u8> {
    std::thread::sleep(Duration::from_millis(20));
    format!("fake image bytes of {url}").into_bytes()
}

async fn download_image(url: &'static str, dir: PathBuf) -> std::io::Result<PathBuf> {
    println!("开始下载 {url}");
    // future = loop.run_in_executor(None, requests.get, url); response = await future
    let content = corio::to_thread(move || blocking_get(url)).await.expect("download task failed");
    println!("下载完成");
    // file_name = url.rsplit('_')[-1]; the file write is blocking too.
    let file_name = dir.join(url.rsplit('_').next().unwrap());
    let path = file_name.clone();
    corio::to_thread(move || std::fs::write(&path, content)).await.expect("write task failed")?;
    println!("图片保存完成");
    Ok(file_name)
}

fn main() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("corio-seed-download-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url_list = [
        "https://img.example/imgextra/i3/O1CN01lywipS27US0reYkHE_0-saturn_solar.jpg",
        "https://img.example/imgextra/i2/O1CN01M4cuWt27US1BH6Ke6_0-saturn_solar.jpg",
        "https://img.example/imgextra/i4/O1CN01HKfJ251Bx53r6kuqZ_0-saturn_solar.jpg",
    ];
    // tasks = [download_images(url) for url in url_list]
    // loop.run_until_complete(asyncio.wait(tasks))
    let rt = corio::Runtime::new()?;
    let saved = rt.block_on(async {
        let d = dir.clone();
        corio::gather(url_list.map(move |url| download_image(url, d.clone()))).await
    });
    for path in saved.expect("a download task panicked") {
        println!("saved {}", path?.display());
    }
    std::fs::remove_dir_all(&dir)
}

// `cargo test --examples` runs the program itself.
#[test]
fn runs_to_completion() {
    main().unwrap();
}

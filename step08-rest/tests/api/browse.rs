//! `/browse` in a real browser: headless Chromium, driven through
//! chromedriver with `fantoccini`, runs `static/browse.js` against the API.
//!
//! Each test starts its own chromedriver on a free port and its own browser
//! profile, so the tests run in parallel like the others. Without Chromium
//! or chromedriver the tests fail and say how to install them;
//! `STEP08_BROWSER_TESTS=skip` turns that into a loud skip instead.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{wd::Capabilities, Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::json;

use crate::helpers::{post, spawn_app, spawn_app_with};

/// The names the browser is looked for under on `PATH`, in order (Debian's
/// `chromium` package, Ubuntu's, Google's build): the same list as the
/// Makefile's, so that `make test` skips exactly when the tests cannot run.
const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];
/// How long a page may take to reach the state a test waits for.
const TIMEOUT: Duration = Duration::from_secs(20);
/// How often the page is looked at while waiting.
const POLL: Duration = Duration::from_millis(100);

/// A chromedriver child process and the browser profile it uses; both are
/// gone when this is dropped, even when the test panicked.
struct Driver {
    child: Child,
    /// `http://127.0.0.1:<port>`, the WebDriver endpoint.
    url: String,
    /// The browser binary chromedriver starts.
    browser: PathBuf,
    profile: PathBuf,
}

impl Driver {
    /// Starts chromedriver, or says what is missing.
    fn start() -> Result<Self, String> {
        let chromedriver = on_path("chromedriver").ok_or("chromedriver is not on PATH")?;
        let browser = BROWSERS
            .iter()
            .find_map(|name| on_path(name))
            .ok_or_else(|| format!("no browser on PATH (looked for {})", BROWSERS.join(", ")))?;
        let profile = std::env::temp_dir().join(format!("step08-browse-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).map_err(|e| e.to_string())?;
        // A port the system says is free, which chromedriver binds a moment
        // later: another test's server may take it first. chromedriver then
        // says "port not available" and exits, and another port is tried.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
            let mut child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", profile.join("chromedriver.log").display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start chromedriver: {e}"))?;
            // Its stdout ends with "ChromeDriver was started successfully",
            // or closes when it exits.
            let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
            if lines.by_ref().map_while(Result::ok).any(|line| line.contains("started successfully")) {
                // Keep reading what it prints later, so that it never writes
                // into a closed pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return Ok(Self { child, url: format!("http://127.0.0.1:{port}"), browser, profile });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        Err("chromedriver did not start on any of five free ports".into())
    }

    /// A browser session, once chromedriver accepts connections.
    async fn connect(&self) -> Client {
        let chrome_options = json!({
            "binary": self.browser,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,800",
                format!("--user-data-dir={}", self.profile.join("chromium").display()),
            ],
        });
        let mut capabilities = Capabilities::new();
        capabilities.insert("goog:chromeOptions".into(), chrome_options);
        let started = Instant::now();
        loop {
            // Refused until chromedriver listens: retried, not slept on.
            match ClientBuilder::new(HttpConnector::new()).capabilities(capabilities.clone()).connect(&self.url).await {
                Ok(client) => return client,
                Err(e) if started.elapsed() > TIMEOUT => {
                    panic!("no browser session from chromedriver ({e}); see {}", self.profile.display())
                }
                Err(_) => actix_web::rt::time::sleep(POLL).await,
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The first `name` in a `PATH` directory.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|path| path.is_file())
}

/// chromedriver, or `None` when the browser is missing and the tests were
/// told to skip (a panic saying how to install it otherwise).
fn driver() -> Option<Driver> {
    match Driver::start() {
        Ok(driver) => Some(driver),
        Err(missing) if std::env::var("STEP08_BROWSER_TESTS").as_deref() == Ok("skip") => {
            // Written to stderr directly: the test harness swallows
            // `eprintln!` of a passing test, and a skip must be seen.
            let message = format!("\n!!!!! SKIPPED: a /browse browser test ({missing}; STEP08_BROWSER_TESTS=skip)\n\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
            None
        }
        Err(missing) => panic!(
            "the /browse tests need Chromium and chromedriver: {missing}. Install them with \
             `apt-get install chromium chromium-driver`, or set STEP08_BROWSER_TESTS=skip to skip these tests."
        ),
    }
}

/// Runs `scenario` in a fresh browser session, and closes the session
/// whatever happens (killing chromedriver alone could leave Chromium behind).
async fn with_browser<F>(driver: &Driver, scenario: impl FnOnce(Client) -> F)
where
    F: std::future::Future<Output = ()>,
{
    let client = driver.connect().await;
    let outcome = std::panic::AssertUnwindSafe(scenario(client.clone())).catch_unwind().await;
    let _ = client.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// What the page shows, read in one round trip.
#[derive(Debug, Deserialize)]
struct Shown {
    titles: Vec<String>,
    links: Vec<String>,
    total: String,
    status: String,
}

const READ_PAGE: &str = r#"
    const rows = [...document.querySelectorAll('#posts li.post a.title')];
    return {
        titles: rows.map((a) => a.textContent),
        links: rows.map((a) => a.getAttribute('href')),
        total: document.getElementById('total').textContent,
        status: document.getElementById('status').textContent,
    };
"#;

async fn shown(client: &Client) -> Shown {
    let value = client.execute(READ_PAGE, vec![]).await.expect("the page is read");
    serde_json::from_value(value).expect("the page's state")
}

/// Polls the page until `ready` holds; panics with what the page shows
/// after [`TIMEOUT`].
async fn wait_until(client: &Client, what: &str, ready: impl Fn(&Shown) -> bool) -> Shown {
    let started = Instant::now();
    loop {
        let now = shown(client).await;
        if ready(&now) {
            return now;
        }
        if started.elapsed() > TIMEOUT {
            panic!("timed out waiting for {what}; the page shows {now:#?}");
        }
        actix_web::rt::time::sleep(POLL).await;
    }
}

async fn scroll_to_bottom(client: &Client) {
    client.execute("window.scrollTo(0, document.body.scrollHeight)", vec![]).await.expect("scrolled");
}

async fn search(client: &Client, words: &str) {
    let input = client.find(Locator::Css("#search input[name=words]")).await.expect("the search box");
    input.clear().await.expect("cleared");
    input.send_keys(words).await.expect("typed");
    client.find(Locator::Css("#search button[type=submit]")).await.expect("the button").click().await.expect("clicked");
}

#[actix_web::test]
async fn browse_scrolls_through_every_post_and_filters_by_title() {
    let Some(driver) = driver() else { return };
    let app = spawn_app().await;
    // 60 posts, scores 1000, 990, …, 410: the list's order is known. Three
    // zebras on pages 1, 2 and 3; one title full of regex metacharacters.
    let title = |i: i64| match i {
        3 | 30 | 57 => format!("Zebra sighting number {i}"),
        45 => "Learning C++ (and why?) in a weekend".to_owned(),
        _ => format!("Post number {i}"),
    };
    let ids = app.seed((0..60).map(|i| post(&title(i), 1000 - 10 * i, 10, 0, i)).collect()).await;
    let expected: Vec<String> = (0..60).map(title).collect();
    let address = app.address.clone();

    with_browser(&driver, |client| async move {
        let started = Instant::now();
        client.goto(&format!("{address}/browse")).await.expect("the page opens");

        let first = wait_until(&client, "the first page", |s| s.titles.len() == 25).await;
        assert_eq!(first.titles, expected[..25], "best score first");
        assert_eq!(first.links[0], format!("/posts/{}", ids[0].to_hex()));
        assert_eq!(first.total, "60 posts");
        eprintln!("first page after {:?}", started.elapsed());

        scroll_to_bottom(&client).await;
        let second = wait_until(&client, "the second page", |s| s.titles.len() == 50).await;
        assert_eq!(second.titles, expected[..50]);
        scroll_to_bottom(&client).await;
        let last = wait_until(&client, "the last page", |s| s.titles.len() == 60 && s.status == "no more posts").await;
        assert_eq!(last.titles, expected);
        eprintln!("all 60 posts after {:?}", started.elapsed());

        // Case-insensitive, and the zebra of page 3 is found from page 1.
        search(&client, "zebra").await;
        let zebras = wait_until(&client, "the zebras", |s| s.titles.len() == 3 && s.status == "no more posts").await;
        assert_eq!(zebras.titles, [&*expected[3], &*expected[30], &*expected[57]]);
        assert_eq!(zebras.total, "3 posts");

        // Metacharacters are literal text: `c++ (and` would not even compile
        // as a regex.
        search(&client, "c++  (AND why?)").await;
        let one = wait_until(&client, "the C++ post", |s| s.titles.len() == 1 && s.status == "no more posts").await;
        assert_eq!(one.titles, [&*expected[45]]);
        assert_eq!(one.total, "1 post");

        search(&client, "no such title").await;
        let none = wait_until(&client, "an empty result", |s| s.status == "no posts match “no such title”").await;
        assert!(none.titles.is_empty());
        assert_eq!(none.total, "0 posts");
        eprintln!("searches done after {:?}", started.elapsed());
    })
    .await;
}

#[actix_web::test]
async fn browse_says_so_when_the_api_is_down() {
    let Some(driver) = driver() else { return };
    // An address nothing listens on (the CSP still allows it: the page
    // meets a refused connection, not a policy violation).
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let dead = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(|s| {
        s.api_url = dead.clone();
        s.public_api_url = dead.clone();
    })
    .await;
    let address = app.address.clone();

    with_browser(&driver, |client| async move {
        client.goto(&format!("{address}/browse")).await.expect("the page opens");
        let down = wait_until(&client, "the error", |s| s.status.starts_with("Cannot load posts")).await;
        assert!(down.status.contains(&dead), "the message names the API: {:?}", down.status);
        assert!(down.titles.is_empty());
        let retry = client.find(Locator::Css("#status.error button")).await.expect("a retry button");
        assert_eq!(retry.text().await.expect("its label"), "Try again");
    })
    .await;
}

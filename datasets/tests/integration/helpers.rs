//! Shared test helpers: a throwaway database per test, fixture paths, and
//! queries the tests use to look at what was written.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::Database;

/// The server URI the tests use.
pub fn uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| datasets::db::DEFAULT_URI.to_owned())
}

/// A database of its own for one test, dropped at the end: by
/// [`TestDb::drop`] when the test gets there, or when the value goes out of
/// scope otherwise (a failed assertion unwinds through `Drop`), so that no
/// `test_datasets_*` database is left behind.
pub struct TestDb {
    /// The database.
    pub db: Database,
    /// Its name.
    pub name: String,
    /// Set once [`TestDb::drop`] has dropped it.
    dropped: bool,
}

impl TestDb {
    /// Connects and names a fresh database.
    pub async fn new() -> TestDb {
        let name = format!("test_datasets_{}", uuid::Uuid::new_v4().simple());
        let db = datasets::db::connect(&uri(), &name).await.expect("the test server should be running (make db)");
        TestDb { db, name, dropped: false }
    }

    /// Drops the database, checking that the server did.
    pub async fn drop(mut self) {
        self.db.drop().await.expect("drop test database");
        self.dropped = true;
    }

    /// Number of posts.
    pub async fn count(&self) -> u64 {
        datasets::db::posts(&self.db).count_documents(doc! {}).await.expect("count")
    }

    /// All posts, by `name`.
    pub async fn posts(&self) -> BTreeMap<String, Document> {
        let docs: Vec<Document> =
            datasets::db::posts(&self.db).find(doc! {}).await.expect("find").try_collect().await.expect("collect");
        docs.into_iter().map(|d| (d.get_str("name").expect("name").to_owned(), d)).collect()
    }

    /// Every document of `collection`, by `_id`.
    pub async fn all(&self, collection: &str) -> Vec<Document> {
        let coll = self.db.collection::<Document>(collection);
        coll.find(doc! {}).sort(doc! { "_id": 1 }).await.expect("find").try_collect().await.expect("collect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // The test's runtime may be gone or unwinding: drop the database from
        // a fresh runtime on a thread of its own, with a client of its own.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                if let Ok(db) = datasets::db::connect(&uri(), &name).await {
                    let _ = db.drop().await;
                }
            });
        })
        .join();
    }
}

/// A file of `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Writes `content` to a file named `name` in a new temporary directory.
pub fn temp_file(name: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write temp file");
    (dir, path)
}

//! The `datasets` binary itself: determinism of `generate`, the exit
//! status and messages of `import --strict`, `import --drop`, and `drop`.

use std::process::Command;

use crate::helpers::{temp_file, uri, TestDb};

fn datasets() -> Command {
    Command::new(env!("CARGO_BIN_EXE_datasets"))
}

#[test]
fn generate_is_byte_identical_for_a_seed() {
    let run = |seed: &str| {
        let out = datasets().args(["generate", "--count", "300", "--seed", seed]).output().expect("run datasets");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("read 0, written 300, skipped 0, errors 0"), "{stderr}");
        out.stdout
    };
    let a = run("11");
    assert_eq!(a, run("11"));
    assert_ne!(a, run("12"));
    assert_eq!(a.iter().filter(|&&b| b == b'\n').count(), 300);
}

#[tokio::test]
async fn strict_import_exits_non_zero_and_names_the_line() {
    let t = TestDb::new().await;
    let (_dir, path) = temp_file(
        "bad.jsonl",
        "{\"id\":\"c1\",\"title\":\"Fine\",\"created_utc\":1}\n\n{\"id\":\"c2\",\"created_utc\":1}\n",
    );
    let out = datasets()
        .args(["import", "--strict"])
        .arg(&path)
        .env("MONGODB_URI", uri())
        .env("MONGODB_DB", &t.name)
        .output()
        .expect("run datasets");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("{}:3: missing or empty `title`", path.display())), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("read 2, written 1, skipped 0, errors 1"), "{stdout}");
    assert_eq!(t.count().await, 1);

    // Without --strict: the same report, exit status 0.
    let out =
        datasets().arg("import").arg(&path).args(["--uri", &uri(), "--db", &t.name]).output().expect("run datasets");
    assert_eq!(out.status.code(), Some(0));
    t.drop().await;
}

#[test]
fn unreachable_database_exits_1_with_one_line() {
    let out = datasets()
        .args(["stats", "--uri", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"])
        .output()
        .expect("run datasets");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("make db"), "{stderr}");
}

#[tokio::test]
async fn import_drop_empties_the_posts_first() {
    let t = TestDb::new().await;
    let (_a, first) = temp_file("a.jsonl", "{\"id\":\"a1\",\"title\":\"First\",\"created_utc\":1}\n");
    let (_b, second) = temp_file("b.jsonl", "{\"id\":\"b1\",\"title\":\"Second\",\"created_utc\":2}\n");
    let import = |path: &std::path::Path, extra: &[&str]| {
        datasets()
            .arg("import")
            .args(extra)
            .arg(path)
            .args(["--uri", &uri(), "--db", &t.name])
            .output()
            .expect("run datasets")
    };
    assert!(import(&first, &[]).status.success());
    // Without --drop the second file adds to the first.
    assert!(import(&second, &[]).status.success());
    assert_eq!(t.count().await, 2);
    let out = import(&first, &["--drop"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("emptied {}.posts: 2 posts deleted", t.name)), "{stderr}");
    let names: Vec<String> = t.posts().await.into_keys().collect();
    assert_eq!(names, ["t3_a1"]);
    // The indexes stay (a drop of the collection would remove them).
    let indexes = datasets::db::posts(&t.db).list_index_names().await.expect("indexes");
    assert!(indexes.len() > 1, "{indexes:?}");
    t.drop().await;
}

#[tokio::test]
async fn drop_removes_whole_databases_and_ignores_missing_ones() {
    let t = TestDb::new().await;
    t.db.collection::<mongodb::bson::Document>("kept").insert_one(mongodb::bson::doc! { "x": 1 }).await.unwrap();
    let missing = format!("{}_never_made", t.name);
    let out = datasets().args(["drop", &t.name, &missing]).env("MONGODB_URI", uri()).output().expect("run datasets");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("dropped {}, {missing}\n", t.name));
    let client = t.db.client();
    let names = client.list_database_names().await.unwrap();
    assert!(!names.contains(&t.name), "{names:?}");
}

//! The service client against real HTTP servers on port 0: the whole call
//! under one timeout (a slow body included), a refused instance skipped,
//! the request id forwarded, redirects not followed, writes never sent twice,
//! raw bodies sent as they are with their content type.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use actix_web::{http::Method, web, App, HttpRequest, HttpResponse, HttpServer};
use futures::stream;
use step10_kit::upstream::{Ctx, Instances, Upstream, UpstreamError};

/// What a stand-in saw.
#[derive(Default)]
struct Seen {
    calls: AtomicUsize,
    ids: Mutex<Vec<String>>,
}

/// A stand-in service on port 0: `/ok` answers JSON, `/slow-body` sends its
/// head at once and its body after 3 s, `/redirect` answers 303, `/busy` 503,
/// `/flaky` 503 to its first call and 200 after, `POST /echo` answers the
/// content type and body it got.
fn stand_in() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let data = web::Data::from(seen.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(
                "/ok",
                web::route().to(|req: HttpRequest, seen: web::Data<Seen>| async move {
                    seen.calls.fetch_add(1, Ordering::SeqCst);
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    seen.ids.lock().unwrap().push(id.to_owned());
                    HttpResponse::Ok().json(serde_json::json!({ "port": req.app_config().local_addr().port() }))
                }),
            )
            .route(
                "/slow-body",
                web::get().to(|| async {
                    let body = stream::once(async {
                        actix_web::rt::time::sleep(Duration::from_secs(3)).await;
                        Ok::<_, std::io::Error>(web::Bytes::from_static(b"{}"))
                    });
                    HttpResponse::Ok().content_type("application/json").streaming(body)
                }),
            )
            .route(
                "/redirect",
                web::get().to(|| async { HttpResponse::SeeOther().insert_header(("location", "/ok")).finish() }),
            )
            .route(
                "/echo",
                web::post().to(|req: HttpRequest, body: web::Bytes, seen: web::Data<Seen>| async move {
                    seen.calls.fetch_add(1, Ordering::SeqCst);
                    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok());
                    HttpResponse::Ok().json(serde_json::json!({
                        "content_type": content_type,
                        "body": String::from_utf8_lossy(&body),
                    }))
                }),
            )
            .route(
                "/busy",
                web::route().to(|seen: web::Data<Seen>| async move {
                    seen.calls.fetch_add(1, Ordering::SeqCst);
                    HttpResponse::ServiceUnavailable().finish()
                }),
            )
            .route(
                "/flaky",
                web::route().to(|seen: web::Data<Seen>| async move {
                    match seen.calls.fetch_add(1, Ordering::SeqCst) {
                        0 => HttpResponse::ServiceUnavailable().finish(),
                        _ => HttpResponse::Ok().json(serde_json::json!({ "ok": true })),
                    }
                }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    actix_web::rt::spawn(server.run());
    (url, seen)
}

/// A port nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
}

fn ctx(id: &str) -> Ctx {
    Ctx { request_id: id.into(), ..Ctx::default() }
}

#[actix_web::test]
async fn a_slow_body_times_out_with_the_whole_call() {
    let (url, _) = stand_in();
    let client = Upstream::new(Instances::new("slow", vec![url]), Duration::from_millis(500));
    let started = Instant::now();
    let result = client.call(&ctx("t1"), Method::GET, "/slow-body", None).await;
    assert!(matches!(result, Err(UpstreamError::Timeout { .. })), "{result:?}");
    // One timeout, never the 3 s body: a read that timed out is retried on
    // another instance only, and this service has one.
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
}

#[actix_web::test]
async fn a_refused_instance_is_skipped_and_the_request_id_forwarded() {
    let (url, seen) = stand_in();
    let client = Upstream::new(Instances::new("search", vec![closed_port(), url]), Duration::from_secs(2));
    let c = ctx("page-7");
    for _ in 0..4 {
        let reply = client.call(&c, Method::GET, "/ok", None).await.expect("the live instance answers");
        assert_eq!(reply.status, 200);
    }
    assert_eq!(seen.calls.load(Ordering::SeqCst), 4);
    assert!(seen.ids.lock().unwrap().iter().all(|id| id == "page-7"));
    // Every attempt is timed, the refused ones too.
    assert!(c.timings.calls().len() >= 4);
    // A write is moved on from a refused instance too: nothing was sent.
    let reply = client.call(&c, Method::POST, "/ok", Some(&serde_json::json!({}))).await.unwrap();
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn calls_alternate_between_live_instances() {
    let (a, seen_a) = stand_in();
    let (b, seen_b) = stand_in();
    let client = Upstream::new(Instances::new("search", vec![a, b]), Duration::from_secs(2));
    for _ in 0..6 {
        client.call(&ctx("x"), Method::GET, "/ok", None).await.unwrap();
    }
    assert_eq!((seen_a.calls.load(Ordering::SeqCst), seen_b.calls.load(Ordering::SeqCst)), (3, 3));
}

#[actix_web::test]
async fn redirects_are_answers_and_a_busy_write_is_not_resent() {
    let (url, seen) = stand_in();
    let (other, seen_other) = stand_in();
    let client = Upstream::new(Instances::new("jobs", vec![url, other]), Duration::from_secs(2));
    let reply = client.call(&ctx("x"), Method::GET, "/redirect", None).await.unwrap();
    assert_eq!(reply.status, 303);
    let reply = client.call(&ctx("x"), Method::POST, "/busy", Some(&serde_json::json!({}))).await.unwrap();
    assert_eq!(reply.status, 503);
    assert_eq!(seen.calls.load(Ordering::SeqCst) + seen_other.calls.load(Ordering::SeqCst), 1);
    // A read that got a 503 is tried once more, on the other instance.
    let result = client.call(&ctx("x"), Method::GET, "/busy", None).await;
    assert!(matches!(result, Err(UpstreamError::Unavailable { .. })), "{result:?}");
    assert_eq!(seen.calls.load(Ordering::SeqCst) + seen_other.calls.load(Ordering::SeqCst), 3);
}

#[actix_web::test]
async fn a_raw_body_goes_as_it_is_with_its_content_type_and_is_not_resent() {
    let (closed, (url, seen)) = (closed_port(), stand_in());
    // The refused instance first: a raw POST moves on from it (nothing was sent).
    let client = Upstream::new(Instances::new("jobs", vec![closed, url.clone()]), Duration::from_secs(2));
    let body = web::Bytes::from_static(b"{\"title\": \"a\"}\n{\"title\": \"b\"}\n");
    for _ in 0..2 {
        let reply = client
            .call_raw(&ctx("raw-1"), Method::POST, "/echo", &body, "application/x-ndjson", &[("idempotency-key", "k")])
            .await
            .expect("the live instance answers");
        assert_eq!(reply.status, 200);
        let echoed: serde_json::Value = reply.json().unwrap();
        assert_eq!(echoed["content_type"], "application/x-ndjson");
        assert_eq!(echoed["body"], "{\"title\": \"a\"}\n{\"title\": \"b\"}\n");
    }
    assert_eq!(seen.calls.load(Ordering::SeqCst), 2);
    // A raw POST answered 503 is an answer: not sent to the other instance.
    let (other, seen_other) = stand_in();
    let client = Upstream::new(Instances::new("jobs", vec![url, other]), Duration::from_secs(2));
    let before = seen.calls.load(Ordering::SeqCst);
    let reply = client.call_raw(&ctx("raw-2"), Method::POST, "/busy", &body, "application/xml", &[]).await.unwrap();
    assert_eq!(reply.status, 503);
    assert_eq!(seen.calls.load(Ordering::SeqCst) - before + seen_other.calls.load(Ordering::SeqCst), 1);
    // No instance at all: unavailable, never a panic.
    let client = Upstream::new(Instances::new("jobs", vec![closed_port()]), Duration::from_secs(2));
    let result = client.call_raw(&ctx("raw-3"), Method::POST, "/echo", &body, "application/json", &[]).await;
    assert!(matches!(result, Err(UpstreamError::Unavailable { .. })), "{result:?}");
}

#[actix_web::test]
async fn a_read_is_retried_once_on_a_single_instance_and_a_write_is_not() {
    let (url, seen) = stand_in();
    let client = Upstream::new(Instances::new("likes", vec![url]), Duration::from_secs(2));
    let c = ctx("retry-1");
    // A read that got a 503 from the only instance is tried on it once more.
    let reply = client.call(&c, Method::GET, "/flaky", None).await.expect("the retry answers");
    assert_eq!(reply.status, 200);
    assert_eq!(seen.calls.load(Ordering::SeqCst), 2);
    assert_eq!(c.timings.calls().len(), 2, "both attempts are timed");
    // Once, not more: a read that keeps getting 503 is two calls.
    let (url, seen) = stand_in();
    let client = Upstream::new(Instances::new("likes", vec![url]), Duration::from_secs(2));
    let result = client.call(&ctx("retry-2"), Method::GET, "/busy", None).await;
    assert!(matches!(result, Err(UpstreamError::Unavailable { .. })), "{result:?}");
    assert_eq!(seen.calls.load(Ordering::SeqCst), 2);
    // A write that got a 503 is that answer: sent once.
    let (url, seen) = stand_in();
    let client = Upstream::new(Instances::new("likes", vec![url]), Duration::from_secs(2));
    let reply = client.call(&ctx("retry-3"), Method::POST, "/flaky", Some(&serde_json::json!({}))).await.unwrap();
    assert_eq!(reply.status, 503);
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
}

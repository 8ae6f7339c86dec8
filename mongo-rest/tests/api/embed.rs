//! A service embedding the engine adds routes of its own beside the
//! generic ones ([`mongo_rest::Builder::routes`]): they are served, they
//! reach the store, they win over a resource of the same name, and the
//! generic routes keep working around them.

use actix_web::{web, HttpResponse};
use mongo_rest::{routes::ApiState, Application};
use serde_json::json;

use crate::helpers::{post, spawn, test_settings};

/// A handler of the embedding service that uses the engine's store.
async fn resources(state: web::Data<ApiState>) -> HttpResponse {
    let names: Vec<&str> = state.store.resources().map(|served| served.name.as_str()).collect();
    HttpResponse::Ok().json(json!({ "resources": names }))
}

#[actix_web::test]
async fn routes_of_the_embedding_service_are_served_beside_the_generic_ones() {
    let settings = test_settings();
    let db_name = settings.mongodb_db.clone();
    let builder = Application::builder(settings)
        .routes(|cfg| {
            cfg.route("/version", web::get().to(|| async { HttpResponse::Ok().json(json!({ "version": "1.2.3" })) }));
        })
        .routes(|cfg| {
            cfg.route("/about/resources", web::get().to(resources))
                // Shadows the test domain's `tags` resource.
                .route("/tags", web::get().to(|| async { HttpResponse::Ok().body("mine") }));
        });
    let api = spawn(builder, &db_name).await;

    api.get("/version").await.assert_status(200);
    assert_eq!(api.get("/version").await.body, json!({ "version": "1.2.3" }));
    let names = api.get("/about/resources").await;
    names.assert_status(200);
    assert_eq!(names.body, json!({ "resources": ["oplog", "posts", "tags"] }));
    let tags = api.raw("GET", "/tags", "text/plain", Vec::new()).await;
    assert_eq!(tags.status, 200, "an added route wins over a resource of the same name");

    // The generic routes and their middleware are still there.
    api.seed("posts", vec![post("embedded", 5, 6, 1, 0)]).await;
    let page = api.get("/posts").await;
    page.assert_status(200);
    assert_eq!(page.body["_meta"]["total"], 1);
    // A method an added route does not take falls through to the generic
    // routes, whose errors are Eve's envelope.
    api.request("POST", "/version", &[], None).await.assert_error(404, "no resource named \"version\"");
}

//! The recording client: every database a command went to is listed, so a
//! service that strays into another service's database shows it.

use std::time::Duration;

use mongodb::bson::doc;
use step09_kit::mongo::Mongo;

#[tokio::test]
async fn every_database_a_command_reaches_is_recorded() {
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into());
    let own = format!("test_kit_{}", uuid::Uuid::new_v4().simple());
    let other = format!("{own}_other");
    let mongo = Mongo::connect(&uri, &own, "kit-test", Duration::from_secs(2)).await.unwrap();
    mongo.ping().await.expect("the test server should be running (make db)");
    assert_eq!(mongo.touched(), std::slice::from_ref(&own));
    // A read of someone else's database is enough to be recorded.
    let stray = mongo.client.database(&other).collection::<mongodb::bson::Document>("posts");
    stray.find_one(doc! {}).await.unwrap();
    assert_eq!(mongo.touched(), [own.clone(), other.clone()]);
    mongo.db.drop().await.unwrap();
}

//! The `step08-api` binary: read the settings, start logging, serve the
//! REST API.
//!
//! Everything else lives in the library (`step08_rest::api`), so that the
//! integration tests can start the very same API on a random port.

use step08_rest::api::{settings::ApiSettings, startup};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let settings = ApiSettings::from_env()?;
    let app = startup::build(settings).await?;
    log::info!("step08-api listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

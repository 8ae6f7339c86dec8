//! The `step08-web` binary: read the settings, start logging, serve.
//!
//! Everything else lives in the library (`step08_rest::startup`), so that
//! the integration tests can start the very same application on a random port.

use step08_rest::{settings::Settings, startup::Application};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let settings = Settings::from_env()?;
    let app = Application::build(settings).await?;
    log::info!("{} listening on http://{}", env!("CARGO_BIN_NAME"), app.address());
    app.run_until_stopped().await?;
    Ok(())
}

//! The `step09-web` binary: read the settings, start logging, serve.
//!
//! Everything else lives in the library (`step09_web::startup`), so that
//! the integration tests can start the very same application on a random port.

use step09_web::{settings::Settings, startup::Application};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let settings = Settings::from_env()?;
    let app = Application::build(settings).await?;
    log::info!("{} listening on http://{}", env!("CARGO_BIN_NAME"), app.address());
    app.run_until_stopped().await?;
    Ok(())
}

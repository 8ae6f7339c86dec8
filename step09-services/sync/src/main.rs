//! The `step09-sync` binary: read the settings, start logging, relay.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let app = step09_sync::Application::build(step09_sync::Settings::from_env()?).await?;
    log::info!("step09-sync listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

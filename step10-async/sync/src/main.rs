//! The `step10-sync` binary: read the settings, start logging, relay.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let app = step10_sync::Application::build(step10_sync::Settings::from_env()?).await?;
    log::info!("step10-sync listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

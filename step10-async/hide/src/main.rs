//! The `step10-hide` binary: start logging, read the settings, serve.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let settings = step10_hide::settings::Settings::from_env()?;
    let app = step10_hide::Application::build(settings).await?;
    log::info!("step10-hide listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

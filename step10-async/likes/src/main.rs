//! The `step10-likes` binary: start logging, read the settings, serve.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let settings = step10_likes::settings::Settings::from_env()?;
    let app = step10_likes::Application::build(settings).await?;
    log::info!("step10-likes listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

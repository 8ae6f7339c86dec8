//! The `step09-search` binary: start logging, read the settings, serve.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let settings = step09_search::settings::Settings::from_env()?;
    let app = step09_search::Application::build(settings).await?;
    log::info!("step09-search listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

//! `step10-recommend`: reads the settings, starts logging, serves.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let settings = step10_recommend::Settings::from_env()?;
    let app = step10_recommend::Application::build(settings).await?;
    log::info!("step10-recommend listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

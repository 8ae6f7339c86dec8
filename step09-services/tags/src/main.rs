//! The `step09-tags` binary: read the settings, start logging, serve.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let app = step09_tags::build(step09_tags::settings()?).await?;
    log::info!("step09-tags listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

//! The `step10-tags` binary: read the settings, start logging, serve.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let app = step10_tags::build(step10_tags::settings()?).await?;
    log::info!("step10-tags listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

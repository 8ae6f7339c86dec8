//! The `step10-posts` binary: read the settings, start logging, serve.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let app = step10_posts::build(step10_posts::settings()?).await?;
    log::info!("step10-posts listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

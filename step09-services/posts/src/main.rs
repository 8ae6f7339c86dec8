//! The `step09-posts` binary: read the settings, start logging, serve.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    kit::init_logging();
    let app = step09_posts::build(step09_posts::settings()?).await?;
    log::info!("step09-posts listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}

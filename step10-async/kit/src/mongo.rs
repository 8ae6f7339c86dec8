//! The service's own database, and a record of every database it touches.
//!
//! The law "each service owns its data" is easy to state and easy to break
//! by accident (a quick `client.database("reddit")` in a handler). The
//! client made here carries a command monitor that records the database
//! of every command the service sends; `/health/ready` reports the list,
//! and the tests check that it holds the service's own database only.
//! `admin` is left out: the driver sends `commitTransaction` and
//! `endSessions` there for every client.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use mongodb::{
    bson::doc,
    error::ErrorKind,
    event::{command::CommandEvent, EventHandler},
    options::ClientOptions,
    Client, Database,
};

/// A connected client, the service's database, and the databases touched.
#[derive(Clone)]
pub struct Mongo {
    /// The driver's client (a connection pool).
    pub client: Client,
    /// The service's own database.
    pub db: Database,
    touched: Arc<Mutex<BTreeSet<String>>>,
}

impl Mongo {
    /// Connects to `uri` (lazily: the driver connects on first use) for
    /// the database `db`, naming the service `app_name` in the server's logs.
    /// `timeout` bounds server selection and connecting.
    pub async fn connect(uri: &str, db: &str, app_name: &str, timeout: Duration) -> anyhow::Result<Self> {
        let mut options = ClientOptions::parse(uri).await?;
        options.app_name = Some(app_name.to_owned());
        options.server_selection_timeout = Some(timeout);
        options.connect_timeout = Some(timeout);
        let touched = Arc::new(Mutex::new(BTreeSet::new()));
        let record = touched.clone();
        options.command_event_handler = Some(EventHandler::callback(move |event: CommandEvent| {
            if let CommandEvent::Started(started) = event {
                if started.db != "admin" {
                    record.lock().expect("not poisoned").insert(started.db);
                }
            }
        }));
        let client = Client::with_options(options)?;
        Ok(Self { db: client.database(db), client, touched })
    }

    /// The databases this service has sent commands to, `admin` aside.
    pub fn touched(&self) -> Vec<String> {
        self.touched.lock().expect("not poisoned").iter().cloned().collect()
    }

    /// `Ok` when the database answers a `ping`.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.db.run_command(doc! { "ping": 1 }).await.map(|_| ())
    }
}

/// Whether an error means "MongoDB cannot be reached" (answered with 503)
/// rather than "the query failed" (500).
pub fn is_unavailable(e: &mongodb::error::Error) -> bool {
    matches!(*e.kind, ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. })
}

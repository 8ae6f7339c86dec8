//! Flash messages ("Welcome back!", "Please type something to search for")
//! kept in the session.
//!
//! `actix-web-flash-messages` gives the `FlashMessage::info(..).send()` API
//! and the `IncomingFlashMessages` extractor. Its own session store removes
//! the message key on *every* response, which marks every session as changed
//! and costs a MongoDB write per request; [`SessionFlashStore`] touches the
//! session only when there is something to add or to clear.

use actix_session::SessionExt;
use actix_web::{dev::ResponseHead, HttpRequest};
use actix_web_flash_messages::{
    storage::{FlashMessageStore, LoadError, StoreError},
    FlashMessage, FlashMessagesFramework,
};

/// The session entry that holds pending messages.
const FLASH_KEY: &str = "_flash";

/// A [`FlashMessageStore`] on top of `actix-session`.
#[derive(Clone, Copy, Default)]
pub struct SessionFlashStore;

/// The middleware to install (inside the session middleware).
pub fn framework() -> FlashMessagesFramework {
    FlashMessagesFramework::builder(SessionFlashStore).build()
}

impl FlashMessageStore for SessionFlashStore {
    fn load(&self, request: &HttpRequest) -> Result<Vec<FlashMessage>, LoadError> {
        request
            .get_session()
            .get::<Vec<FlashMessage>>(FLASH_KEY)
            .map(Option::unwrap_or_default)
            .map_err(|e| LoadError::GenericError(anyhow::anyhow!("{e}")))
    }

    fn store(
        &self,
        messages: &[FlashMessage],
        request: HttpRequest,
        _response: &mut ResponseHead,
    ) -> Result<(), StoreError> {
        let session = request.get_session();
        if !messages.is_empty() {
            session.insert(FLASH_KEY, messages).map_err(|e| StoreError::GenericError(anyhow::anyhow!("{e}")))?;
        } else if session.entries().contains_key(FLASH_KEY) {
            // The messages were shown by this request: clear them.
            session.remove(FLASH_KEY);
        }
        Ok(())
    }
}
